package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepContract;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code command} kind: the body's {@code run} as a shell command; its output is plain {@code
 * files}, or a {@code checkpoint} or {@code adapter} when the step says so ({@code output_type}),
 * whose layout is checked when it ends ({@link OutputLayout}).
 *
 * <p>Resume: the command may write intermediate checkpoints as {@code checkpoint-<step>/} (the
 * Hugging Face Trainer's naming) to {@code $TRAINYARD_CHECKPOINTS}, this attempt's {@code
 * checkpoints/}, which is kept when the attempt is delivered again and left for later attempts,
 * like the reference trainer's. A later attempt of a checkpoint or adapter step gets the newest
 * complete one (it has the output layout) as {@code $TRAINYARD_RESUME_FROM}; the worker records it
 * as step.json's {@code resume}, as a {@code resumed_from_step} metric and in the log.
 *
 * <p>Where the worker has a trainer runtime, the command also sees {@code TRAINYARD_PYTHON} and
 * {@code TRAINYARD_TRAINER_PYTHONPATH}, so a pipeline can call the trainer's tools (e.g. the
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
    // Not created here: the command makes it when it saves (the Hugging Face Trainer does), so an
    // attempt that saved nothing leaves no resume state for retention to list.
    env.put(StepContract.CHECKPOINTS, step.dir().resolve(ResumePoints.CHECKPOINTS).toString());
    return new Launch(command.command(), env);
  }

  /** Only a layout says when an intermediate checkpoint is complete; files steps have none. */
  @Override
  public Optional<ResumePoints.Layout> resumeLayout(StepTask task) {
    ArtifactType type = output(task).type();
    if (!OutputLayout.hasLayout(type)) {
      return Optional.empty();
    }
    return Optional.of(ResumePoints.Layout.command(dir -> OutputLayout.isComplete(type, dir)));
  }

  /** The command sees the state as {@code $TRAINYARD_RESUME_FROM}, recorded as the trainer's. */
  @Override
  public Launch resumeAt(Launch launch, StepContext step, Path state, long at) throws IOException {
    Map<String, String> env = new LinkedHashMap<>(launch.env());
    env.put(StepContract.RESUME_FROM, state.toString());
    recordResume(step, new ResumePoints.Point(state, at));
    return new Launch(launch.command(), env, state);
  }

  /**
   * The same record the reference trainer leaves when it resumes: a metrics line (kept as the
   * attempt's {@code resumed_from_step}) and a log line.
   */
  private static void recordResume(StepContext step, ResumePoints.Point resume) throws IOException {
    Files.writeString(
        step.metrics(),
        "{\"step\":" + resume.step() + ",\"resumed_from_step\":" + resume.step() + "}\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    Files.writeString(
        step.log(),
        "trainyard: resumed from " + resume.dir() + " at step " + resume.step() + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
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
