package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code command} kind: the body's {@code run} as a shell command; its output is plain {@code
 * files}. Where the worker has a trainer runtime, the command also sees {@code TRAINYARD_PYTHON}
 * and {@code TRAINYARD_TRAINER_PYTHONPATH}, so a pipeline can call the trainer's tools (e.g. the
 * synthetic dataset generator of the {@code demo} template) without knowing where the worker
 * unpacked them.
 */
final class CommandStepKind implements ProcessStepKind {
  /** Work-dir folder of the files behind list variables ({@code lists/TRAINYARD_INPUTS}). */
  static final String LISTS = "lists";

  private final StepKind kind;
  private final PythonRuntime python;

  CommandStepKind(StepKind kind, PythonRuntime python) {
    this.kind = kind;
    this.python = python;
  }

  @Override
  public StepKind kind() {
    return kind;
  }

  @Override
  public Launch launch(StepTask task, StepContext step) throws IOException {
    CommandStep command = CommandStep.of(task.body(), new InputTokens(step.inputs()));
    Map<String, String> env = new LinkedHashMap<>();
    if (python != null) {
      env.put("TRAINYARD_PYTHON", python.python().toString());
      try {
        env.put("TRAINYARD_TRAINER_PYTHONPATH", python.trainerPath().toString());
      } catch (IOException | RuntimeException unavailable) {
        // A command step does not need the trainer; one that does fails with its own clear error.
      }
    }
    env.putAll(command.env());
    env.putAll(writeLists(command, step));
    return new Launch(command.command(), env);
  }

  /**
   * A list variable also comes as a file, one item per line: robust to any item, however long the
   * list.
   */
  private static Map<String, String> writeLists(CommandStep command, StepContext step)
      throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    if (command.lists().isEmpty()) {
      return files;
    }
    Path dir = Files.createDirectories(step.dir().resolve(LISTS));
    for (Map.Entry<String, List<String>> list : command.lists().entrySet()) {
      Path file = dir.resolve(StepFiles.safeName("variable name", list.getKey()));
      Files.write(file, list.getValue(), StandardCharsets.UTF_8);
      files.put(CommandStep.listFileVariable(list.getKey()), file.toString());
    }
    return files;
  }
}
