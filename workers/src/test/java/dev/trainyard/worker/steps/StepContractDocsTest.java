package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.kind.StepContract;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.gpu.GpuLease;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.StepTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented step contract ({@link StepContract}, printed in docs/spec-reference.md) is what a
 * step really gets.
 */
class StepContractDocsTest {
  @TempDir Path root;

  @Test
  void aStepProcessGetsExactlyTheDocumentedEnvironmentFilesAndStepJsonKeys() throws Exception {
    StepTask task =
        new StepTask("run-1", "train", "command", 1, Map.of("run", "true"), Map.of(), 1, 60);
    AttemptWorkDir work =
        AttemptWorkDir.create(
            root.resolve("worker"), task, new LocalArtifactStore(root.resolve("store")));
    try (GpuLease lease = new GpuAllocator(List.of(0)).acquire(1)) {
      work.writeStepJson(lease, null, dev.trainyard.pipeline.kind.StepKinds.COMMAND.runner());

      assertThat(work.contractEnvironment(lease).keySet())
          .containsExactlyElementsOf(StepContract.names(StepContract.ENVIRONMENT));
      assertThat(work.contractEnvironment(lease)).containsEntry("CUDA_VISIBLE_DEVICES", "0");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> stepJson =
        new ObjectMapper().readValue(StepFiles.stepJson(work.dir()).toFile(), Map.class);
    assertThat(stepJson.keySet())
        .containsExactlyElementsOf(StepContract.names(StepContract.STEP_JSON));

    List<String> files = new ArrayList<>();
    try (var children = Files.list(work.dir())) {
      children.forEach(p -> files.add(p.getFileName() + (Files.isDirectory(p) ? "/" : "")));
    }
    List<String> documented =
        StepContract.names(StepContract.FILES).stream()
            .map(name -> name.replace("/<name>", "/"))
            .toList();
    assertThat(files).containsExactlyInAnyOrderElementsOf(documented);
  }
}
