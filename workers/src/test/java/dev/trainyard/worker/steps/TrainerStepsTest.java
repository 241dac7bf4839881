package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.runtime.TrainerPackage;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer kinds run for real: the packaged Python trainer, launched by the step activity. */
class TrainerStepsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Object> TINY =
      Map.of(
          "preset",
          "tiny",
          "hidden_size",
          32,
          "intermediate_size",
          64,
          "num_hidden_layers",
          2,
          "num_attention_heads",
          2,
          "num_key_value_heads",
          1);

  @TempDir Path root;
  private TestActivityEnvironment env;
  private LocalArtifactStore store;

  @BeforeEach
  void setUp() {
    store = new LocalArtifactStore(root);
    env = TestActivityEnvironment.newInstance();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private StepActivities steps(PythonRuntime python) {
    env.registerActivitiesImplementations(
        new StepActivitiesImpl(
            root,
            store,
            new GpuAllocator(List.of()),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            "test-host/1",
            StepKindRegistry.standard(python)));
    return env.newActivityStub(
        StepActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofMinutes(3))
            .setHeartbeatTimeout(Duration.ofSeconds(5))
            .build());
  }

  private StepActivities realTrainer() {
    PythonRuntime python = PythonRuntime.fromEnvironment(root);
    RuntimeCheck check = python.check();
    assertThat(check.ok()).as("trainer runtime: %s", check.summary()).isTrue();
    return steps(python);
  }

  private ArtifactRef corpus() throws Exception {
    Path dir = Files.createDirectories(root.resolve("incoming/corpus"));
    Files.writeString(
        dir.resolve("train.txt"), "12+35=47\nthe cat sees a red ball.\n\n".repeat(200));
    ProducedArtifact stored = store.put(dir, "dataset");
    return new ArtifactRef(stored.id(), stored.uri());
  }

  private static StepTask pretrain(int attempt, ArtifactRef corpus, Map<String, Object> config) {
    return new StepTask(
        "run-1",
        "pre",
        "pretrain",
        attempt,
        // As the planner sends it: the kind's defaults filled in.
        Defaults.resolve(
            StepKinds.PRETRAIN,
            Map.of("model", TINY, "data", "${{ inputs.params.corpus }}", "config", config)),
        Map.of("params.corpus", corpus),
        0,
        170);
  }

  @Test
  void aPretrainStepProducesAHuggingFaceCheckpointArtifact() throws Exception {
    StepActivities steps = realTrainer();

    StepResult result =
        steps.execute(
            pretrain(
                1, corpus(), Map.of("max_steps", 6, "batch_size", 4, "seq_len", 32, "lr", 0.003)));

    ProducedArtifact model = result.outputs().get("model");
    assertThat(model.type()).isEqualTo("checkpoint");
    assertThat(model.files())
        .extracting(ManifestEntry::path)
        .contains(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "trainyard.json");
    Path dir = store.resolve(new ArtifactRef(model.id(), model.uri()));
    JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
    assertThat(config.path("architectures").get(0).asText()).isEqualTo("LlamaForCausalLM");
    assertThat(config.path("hidden_size").asInt()).isEqualTo(32);
    assertThat(result.metrics()).containsKeys("loss", "lr", "grad_norm", "tokens_per_s");
    assertThat(
            Files.readAllLines(StepFiles.metricsFile(StepFiles.workDir(root, "run-1", "pre", 1))))
        .hasSize(6);
  }

  @Test
  void aMixtureStepRecordsTheTokensItConsumedPerSourceArtifactInItsCheckpointAndMetrics()
      throws Exception {
    StepActivities steps = realTrainer();
    ArtifactRef web = corpus();
    Path other = Files.createDirectories(root.resolve("incoming/other"));
    Files.writeString(other.resolve("train.txt"), "def f(x):\n    return x + 1\n\n".repeat(200));
    ProducedArtifact stored = store.put(other, "dataset");
    ArtifactRef code = new ArtifactRef(stored.id(), stored.uri());
    List<Map<String, Object>> data =
        List.of(
            Map.of("dataset", "${{ inputs.params.web }}", "weight", 3),
            Map.of("dataset", "${{ inputs.params.code }}", "weight", 1));
    var task =
        new StepTask(
            "run-1",
            "mix",
            "pretrain",
            1,
            Defaults.resolve(
                StepKinds.PRETRAIN,
                Map.of(
                    "model",
                    TINY,
                    "data",
                    data,
                    "config",
                    Map.of("max_steps", 5, "batch_size", 8, "seq_len", 16))),
            Map.of("params.web", web, "params.code", code),
            0,
            170);

    StepResult result = steps.execute(task);

    assertThat(result.metrics())
        .containsEntry("mix/params.web/tokens", 480.0)
        .containsEntry("mix/params.code/tokens", 160.0)
        .containsEntry("mix/params.web/sequences", 30.0);
    ProducedArtifact model = result.outputs().get("model");
    JsonNode mixture =
        JSON.readTree(
                store
                    .resolve(new ArtifactRef(model.id(), model.uri()))
                    .resolve("trainyard.json")
                    .toFile())
            .path("mixture");
    assertThat(mixture).hasSize(2);
    assertThat(mixture.get(0).path("source").asText()).isEqualTo(web.id());
    assertThat(mixture.get(0).path("weight").asDouble()).isEqualTo(0.75);
    assertThat(mixture.get(0).path("tokens").asLong()).isEqualTo(480);
    assertThat(mixture.get(1).path("source").asText()).isEqualTo(code.id());
    assertThat(mixture.get(1).path("tokens").asLong()).isEqualTo(160);
  }

  @Test
  void aRetriedAttemptResumesFromTheNewestIntermediateCheckpointOfAnEarlierOne() throws Exception {
    StepActivities steps = realTrainer();
    ArtifactRef corpus = corpus();
    Map<String, Object> config =
        Map.of("max_steps", 6, "batch_size", 4, "seq_len", 32, "checkpoint_every", 2);
    steps.execute(pretrain(1, corpus, config));
    Path earlier = StepFiles.workDir(root, "run-1", "pre", 1).resolve("checkpoints/step-4");
    assertThat(earlier.resolve(ResumePoints.STATE_FILE)).exists();

    StepResult retried = steps.execute(pretrain(2, corpus, config));

    JsonNode stepJson =
        JSON.readTree(StepFiles.stepJson(StepFiles.workDir(root, "run-1", "pre", 2)).toFile());
    assertThat(stepJson.path("resume").asText()).isEqualTo(earlier.toString());
    assertThat(retried.metrics()).containsEntry("resumed_from_step", 4.0);
    assertThat(retried.logTail()).contains("resumed from " + earlier + " at step 4");
  }

  /**
   * A pretrain step of the given run, with {@code resources} as the planner puts them in bodies.
   */
  private static StepTask pretrainOn(
      String runId, ArtifactRef corpus, Map<String, Object> config, Map<String, Object> resources) {
    var body = new java.util.LinkedHashMap<String, Object>();
    body.put("model", TINY);
    body.put("data", "${{ inputs.params.corpus }}");
    body.put("config", config);
    if (!resources.isEmpty()) {
      body.put("resources", resources);
    }
    return new StepTask(
        runId,
        "pre",
        "pretrain",
        1,
        Defaults.resolve(StepKinds.PRETRAIN, body),
        Map.of("params.corpus", corpus),
        0,
        170);
  }

  private List<JsonNode> lossLines(String runId) throws Exception {
    var lines = new java.util.ArrayList<JsonNode>();
    for (String line :
        Files.readAllLines(StepFiles.metricsFile(StepFiles.workDir(root, runId, "pre", 1)))) {
      JsonNode node = JSON.readTree(line);
      if (node.has("loss")) {
        lines.add(node);
      }
    }
    return lines;
  }

  @Test
  void aTwoProcessGlooStepThroughTheWorkerTrainsAsOneProcessWithTheSameGlobalBatch()
      throws Exception {
    StepActivities steps = realTrainer();
    ArtifactRef corpus = corpus();
    Map<String, Object> config =
        Map.of("max_steps", 4, "batch_size", 2, "seq_len", 32, "log_every", 1, "device", "cpu");
    var twoAccumulated = new java.util.HashMap<>(config);
    twoAccumulated.put("grad_accum", 2);

    StepResult one = steps.execute(pretrainOn("run-one", corpus, twoAccumulated, Map.of()));
    StepResult ranks = steps.execute(pretrainOn("run-ddp", corpus, config, Map.of("processes", 2)));

    Path log = StepFiles.logFile(StepFiles.workDir(root, "run-ddp", "pre", 1));
    String text = Files.readString(log);
    // Two ranks, one voice: the trainer's first line is in the step log once.
    assertThat(text.split("\\(world 2, ", -1)).as(text).hasSize(2);
    assertThat(text).doesNotContain("(world 1, ");
    // Rank 0 alone writes metrics: one line per step, with the loss of one process.
    List<JsonNode> a = lossLines("run-one");
    List<JsonNode> b = lossLines("run-ddp");
    assertThat(b).hasSize(4);
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i).path("step").asInt()).isEqualTo(i + 1);
      assertThat(b.get(i).path("loss").asDouble())
          .isCloseTo(a.get(i).path("loss").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
      assertThat(b.get(i).path("tokens").asLong()).isEqualTo(a.get(i).path("tokens").asLong());
    }
    ProducedArtifact model = ranks.outputs().get("model");
    assertThat(model.files()).extracting(ManifestEntry::path).contains("model.safetensors");
    assertThat(ranks.metrics().get("loss")).isCloseTo(one.metrics().get("loss"), within(1e-5));
  }

  @Test
  void textIntoACheckpointWithoutATokenizerFailsAsInvalidAndIsNeverRetried() throws Exception {
    StepActivities steps = realTrainer();
    ArtifactRef corpus = corpus();
    ProducedArtifact trained =
        steps
            .execute(pretrain(1, corpus, Map.of("max_steps", 2, "batch_size", 2, "seq_len", 16)))
            .outputs()
            .get("model");
    // The same weights without tokenizer files: nothing says how its ids map to text.
    Path bare = Files.createDirectories(root.resolve("incoming/bare"));
    Path from = store.resolve(new ArtifactRef(trained.id(), trained.uri()));
    for (String name : List.of("config.json", "model.safetensors", "trainyard.json")) {
      Files.copy(from.resolve(name), bare.resolve(name));
    }
    ProducedArtifact model = store.put(bare, "checkpoint");
    StepTask task =
        new StepTask(
            "run-1",
            "tune",
            "continual-pretrain",
            1,
            Defaults.resolve(
                StepKinds.CONTINUAL_PRETRAIN,
                Map.of(
                    "model", "${{ inputs.params.base }}", "data", "${{ inputs.params.corpus }}")),
            Map.of(
                "params.base", new ArtifactRef(model.id(), model.uri()), "params.corpus", corpus),
            0,
            120);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidStep");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage())
                  .contains("the checkpoint has no tokenizer")
                  .contains("train it on token shards");
            });
  }

  /** A tiny random model with the Qwen 3 vocabulary and tokenizer files, written by the trainer. */
  private ProducedArtifact qwenVocabCheckpoint(PythonRuntime python) throws Exception {
    Path qwen = dev.trainyard.worker.tokenize.RealTokenizers.dir().resolve("qwen3/models");
    Path dir = root.resolve("incoming/qwen-vocab");
    String script =
        """
        import json, os, sys, torch
        from trainyard_trainer import checkpoint, tokenizer as tok
        from trainyard_trainer.model import LlamaForCausalLM, resolve_config
        qwen, out = sys.argv[1], sys.argv[2]
        template = json.load(open(os.path.join(qwen, "tokenizer_config.json")))["chat_template"]
        t = tok.Tokenizer("hf", qwen, tok.sha256_of(os.path.join(qwen, "tokenizer.json")), None, 151643,
                          151643, template)
        model = LlamaForCausalLM(resolve_config({"vocab_size": 151669, "hidden_size": 16,
            "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 32,
            "num_hidden_layers": 1, "initializer_range": 0.5}))
        model.init_weights(torch.Generator().manual_seed(0))
        checkpoint.save_model(model, out, {"kind": "sft", "chat": True}, tokenizer=t)
        """;
    ProcessBuilder pb =
        new ProcessBuilder(
                python.python().toString(), "-c", script, qwen.toString(), dir.toString())
            .redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", python.trainerPath().toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    return store.put(dir, "checkpoint");
  }

  @Test
  void anEvaluateStepReadsTheTextOfAQwenTokenizerCheckpointThroughTheWorkersTokenizer()
      throws Exception {
    StepActivities steps = realTrainer();
    ProducedArtifact model = qwenVocabCheckpoint(PythonRuntime.fromEnvironment(root));
    Path evalDir = Files.createDirectories(root.resolve("incoming/eval-qwen"));
    Files.writeString(
        evalDir.resolve("notes.txt"), "Le chat est sur la table.\n\n机器学习是人工智能的一个分支。\n");
    Files.writeString(
        evalDir.resolve("qa.jsonl"), "{\"question\": \"What is 2 + 2?\", \"answer\": \"4\"}\n");
    ProducedArtifact eval = store.put(evalDir, "dataset");
    StepTask task =
        new StepTask(
            "run-1",
            "eval",
            "evaluate",
            1,
            Defaults.resolve(
                StepKinds.EVALUATE,
                Map.of(
                    "model",
                    "${{ inputs.params.model }}",
                    "data",
                    "${{ inputs.params.eval }}",
                    "gate",
                    Map.of("metric", "perplexity", "max", 1e6),
                    "config",
                    Map.of("max_new_tokens", 4))),
            Map.of(
                "params.model",
                new ArtifactRef(model.id(), model.uri()),
                "params.eval",
                new ArtifactRef(eval.id(), eval.uri())),
            0,
            170);

    // In the step's sandbox, the trainer starts the server from TRAINYARD_TOKENIZER_SERVER.
    ProducedArtifact report = steps.execute(task).outputs().get("report");

    JsonNode stored =
        JSON.readTree(
            store
                .resolve(new ArtifactRef(report.id(), report.uri()))
                .resolve("eval.json")
                .toFile());
    assertThat(stored.path("chat").asBoolean()).isTrue();
    // Scored over Qwen's 151,669 ids (a random model: about the vocabulary size), not over bytes.
    assertThat(stored.path("tasks").path("notes").path("metrics").path("perplexity").asDouble())
        .isBetween(1e4, 1e6);
    assertThat(stored.path("tasks").path("qa").path("samples").get(0).path("got").asText())
        .isNotBlank();
    assertThat(stored.path("gate").path("passed").asBoolean()).isTrue();
  }

  @Test
  void anEvaluateGateThatFailsStopsTheStepWithTheMetricInTheMessage() throws Exception {
    StepActivities steps = realTrainer();
    ProducedArtifact model =
        steps
            .execute(pretrain(1, corpus(), Map.of("max_steps", 2, "batch_size", 2, "seq_len", 16)))
            .outputs()
            .get("model");
    Path evalDir = Files.createDirectories(root.resolve("incoming/eval"));
    Files.writeString(
        evalDir.resolve("qa.jsonl"), "{\"question\": \"12+35=\", \"answer\": \"47\"}\n");
    ProducedArtifact eval = store.put(evalDir, "dataset");

    StepTask task =
        new StepTask(
            "run-1",
            "eval",
            "evaluate",
            1,
            Defaults.resolve(
                StepKinds.EVALUATE,
                Map.of(
                    "model",
                    "${{ inputs.pre.model }}",
                    "data",
                    "${{ inputs.params.eval }}",
                    "gate",
                    Map.of("metric", "accuracy", "min", 0.99),
                    "config",
                    Map.of("max_new_tokens", 3))),
            Map.of(
                "pre.model",
                new ArtifactRef(model.id(), model.uri()),
                "params.eval",
                new ArtifactRef(eval.id(), eval.uri())),
            0,
            120);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("GateFailed");
              // The report is stored anyway and travels with the failure, so the catalog keeps the
              // scores.
              StepResult kept = failure.getDetails().get(StepResult.class);
              assertThat(kept.outputs().get("report").type()).isEqualTo("eval-report");
              ProducedArtifact report = kept.outputs().get("report");
              assertThat(report.files()).extracting(ManifestEntry::path).contains("eval.json");
              try {
                JsonNode stored =
                    JSON.readTree(
                        store
                            .resolve(new ArtifactRef(report.id(), report.uri()))
                            .resolve("eval.json")
                            .toFile());
                assertThat(stored.path("gate").path("passed").asBoolean(true)).isFalse();
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              assertThat(failure.getOriginalMessage())
                  .contains("gate failed: gate accuracy = 0.0000 below the minimum 0.99");
            });
  }

  @Test
  void aMissingPythonRuntimeFailsTheStepWithWhatIsMissing() {
    StepActivities steps =
        steps(
            new PythonRuntime(
                Path.of("/nonexistent/python3"), TrainerPackage::fromClasspath, root));

    assertThatThrownBy(
            () ->
                steps.execute(
                    new StepTask(
                        "run-1",
                        "pre",
                        "pretrain",
                        1,
                        Map.of("model", "tiny", "data", "/dev/null"),
                        Map.of(),
                        0,
                        60)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("RuntimeMissing");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage())
                  .contains("/nonexistent/python3 does not exist or is not executable")
                  .contains("apt-get install python3-torch")
                  .contains("TRAINYARD_PYTHON")
                  .doesNotContain("Exception");
            });
  }

  @Test
  void aPythonWithoutTorchIsReportedAsLackingTorch() throws Exception {
    Path fakePython = root.resolve("python-without-torch");
    // A Python whose import of torch fails, however the host's real one is set up.
    Files.writeString(
        fakePython,
        "#!/bin/sh\nexec /usr/bin/python3 -c 'import sys; sys.modules[\"torch\"] = None; "
            + "import runpy; sys.argv = [\"trainyard_trainer\", \"check\"]; runpy.run_module(\"trainyard_trainer\", run_name=\"__main__\")'\n");
    fakePython.toFile().setExecutable(true);
    assertThat(Path.of("/usr/bin/python3")).exists();

    RuntimeCheck check = new PythonRuntime(fakePython, TrainerPackage::fromClasspath, root).check();

    assertThat(check.ok()).isFalse();
    assertThat(check.missing()).singleElement().asString().startsWith("torch (");
    assertThat(check.summary()).contains("lacks what the trainer needs: torch");
  }

  @Test
  void theTrainerIsExtractedOnceUnderTheWorkerRoot() throws Exception {
    TrainerPackage trainer = TrainerPackage.fromClasspath();
    Path first = trainer.extractUnder(root);
    Path second = trainer.extractUnder(root);

    assertThat(first).isEqualTo(second).startsWith(root.resolve("runtime"));
    assertThat(first.getFileName().toString())
        .isEqualTo("trainer-" + trainer.hash().substring(0, 16));
    assertThat(first.resolve("trainyard_trainer/train.py")).exists();
  }

  @Test
  void theBundledDemoTemplatePlansTrainingThenMergeAndPruneBeforeEvaluation() throws Exception {
    String yaml = Files.readString(Path.of("../backend/src/main/resources/templates/demo.yaml"));

    ExecutionPlan plan = Pipelines.compile(yaml, Map.of());

    assertThat(plan.steps())
        .extracting(s -> s.kind())
        .containsExactly(
            "command",
            "pretrain",
            "continual-pretrain",
            "sft",
            "dpo",
            "merge",
            "prune",
            "evaluate",
            "evaluate");
  }
}
