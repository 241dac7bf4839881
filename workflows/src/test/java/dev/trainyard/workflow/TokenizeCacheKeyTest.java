package dev.trainyard.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.PlannedStep;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Token shards are cached by (dataset version, tokenizer, settings): the step cache's key. */
class TokenizeCacheKeyTest {
  private static final String DATASET = "d".repeat(64);
  private static final String TOKENIZER = "e".repeat(64);

  private static String key(String pipeline, String dataset, String tokenizer) {
    ExecutionPlan plan = Pipelines.compile(pipeline, Map.of("chats", dataset, "base", tokenizer));
    PlannedStep step = plan.step("tokenize").orElseThrow();
    Map<String, ArtifactRef> inputs = new java.util.TreeMap<>();
    step.inputs()
        .forEach(
            b ->
                inputs.put(b.name(), new ArtifactRef(b.artifactId(), "file:///" + b.artifactId())));
    return StepCacheKey.of(step, inputs);
  }

  @Test
  void tokenizeIsCachedByDefaultAndItsKeyChangesWithTheDatasetTheTokenizerAndEverySetting() {
    String pipeline = PipelineWorkflowTest.TOKENIZE_PIPELINE;
    String base = key(pipeline, DATASET, TOKENIZER);

    assertThat(base).as("cached without asking").isNotNull();
    assertThat(key(pipeline, DATASET, TOKENIZER)).isEqualTo(base);
    assertThat(key(pipeline, "f".repeat(64), TOKENIZER))
        .as("another dataset version")
        .isNotEqualTo(base);
    assertThat(key(pipeline, DATASET, "a".repeat(64))).as("another tokenizer").isNotEqualTo(base);
    assertThat(
            key(
                pipeline.replace("{records: chat}", "{records: chat, seed: 1}"),
                DATASET,
                TOKENIZER))
        .as("another setting")
        .isNotEqualTo(base);
    // The planner writes every default into the body, so spelling one out changes nothing.
    assertThat(
            key(
                pipeline.replace("{records: chat}", "{records: chat, add_eos: true}"),
                DATASET,
                TOKENIZER))
        .isEqualTo(base);
    assertThat(
            key(
                pipeline.replace("{records: chat}", "{records: chat}\n    cache: false"),
                DATASET,
                TOKENIZER))
        .as("opted out")
        .isNull();
  }
}
