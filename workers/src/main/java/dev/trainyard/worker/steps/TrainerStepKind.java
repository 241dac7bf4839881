package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.tokenize.TokenizerServerCommand;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reference trainer's kinds ({@code Execution.WORKER_TRAINER}) run as {@code python -m
 * trainyard_trainer step.json} with the packaged trainer on {@code PYTHONPATH}; with more than one
 * GPU, a resumable (training) kind runs under {@code torch.distributed.run} (DDP on this host).
 * What the trainer does is in step.json (the kind's runner settings), not in a list of names here.
 * {@value TokenizerServerCommand#ENV} tells the trainer how to start the worker's tokenizer server.
 */
final class TrainerStepKind implements ProcessStepKind {
  /** Exit codes of the trainer's entry point. */
  static final int EXIT_INVALID = 2;

  static final int EXIT_GATE_FAILED = 3;

  private final StepKind kind;
  private final PythonRuntime python;

  TrainerStepKind(StepKind kind, PythonRuntime python) {
    this.kind = kind;
    this.python = python;
  }

  @Override
  public StepKind kind() {
    return kind;
  }

  @Override
  public Launch launch(StepTask task, StepContext step) throws IOException {
    RuntimeCheck check = python.check();
    if (!check.ok()) {
      throw new StepKindUnavailableException(check.summary());
    }
    Path trainerPath = python.trainerPath();
    String py = ShellQuoting.quote(python.python().toString());
    String stepJson = ShellQuoting.quote(step.stepJson().toString());
    String command =
        task.gpus() > 1 && kind.resumable()
            ? "exec "
                + py
                + " -m torch.distributed.run --standalone --nproc_per_node="
                + task.gpus()
                + " -m trainyard_trainer "
                + stepJson
            : "exec " + py + " -m trainyard_trainer " + stepJson;
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PYTHONPATH", trainerPath.toString());
    env.put("PYTHONUNBUFFERED", "1");
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    env.put("TRAINYARD_TRAINER_VERSION", python.trainer().hash());
    // The trainer encodes and decodes text of Hugging Face tokenizers through the worker's own DJL.
    env.put(TokenizerServerCommand.ENV, TokenizerServerCommand.envValue());
    return new Launch(command, env);
  }

  @Override
  public boolean resumable() {
    return kind.resumable();
  }

  @Override
  public FailureType failureType(int exitCode) {
    return switch (exitCode) {
      case EXIT_INVALID -> FailureType.INVALID_STEP;
      case EXIT_GATE_FAILED -> FailureType.GATE_FAILED;
      default -> FailureType.STEP_FAILED;
    };
  }
}
