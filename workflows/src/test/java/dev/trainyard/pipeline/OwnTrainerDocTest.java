package dev.trainyard.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The template docs/byot.md shows is one a user can paste: it validates and plans as written. */
class OwnTrainerDocTest {
  static final Path DOC = Path.of("../docs/byot.md");

  static List<String> templates() throws Exception {
    List<String> found = new ArrayList<>();
    Matcher blocks =
        Pattern.compile("```yaml\n(apiVersion:.*?)```", Pattern.DOTALL)
            .matcher(Files.readString(DOC));
    while (blocks.find()) {
      found.add(blocks.group(1));
    }
    return found;
  }

  @Test
  void theTorchrunExampleIsAValidPipelineWhoseTrainerFeedsTheGatedEvaluation() throws Exception {
    List<String> templates = templates();
    assertThat(templates).hasSize(1);

    ExecutionPlan plan =
        Pipelines.compile(
            templates.get(0),
            Map.of("base", "a".repeat(64), "chat", "b".repeat(64), "evalset", "c".repeat(64)));

    assertThat(plan.steps()).extracting(s -> s.id()).containsExactly("finetune", "eval");
    assertThat(plan.steps().get(0).body()).containsEntry("output_type", "checkpoint");
    assertThat(plan.steps().get(0).retry().maxAttempts()).isEqualTo(3);
    assertThat(plan.steps().get(1).needs()).containsExactly("finetune");
  }
}
