package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.spec.Processes;
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
 * trainyard_trainer step.json} with the packaged trainer on {@code PYTHONPATH}; a resumable
 * (training) kind whose step asks for several processes ({@code resources.processes}, {@code gpus}
 * above 1, {@code nodes}) runs as DDP ranks under torchrun ({@link #commandLine}). What the trainer
 * does is in step.json (the kind's runner settings), not in a list of names here. {@value
 * TokenizerServerCommand#ENV} tells the trainer how to start the worker's tokenizer server.
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
    Processes processes = kind.resumable() ? Processes.of(task.body(), task.gpus()) : Processes.ONE;
    String command = commandLine(python.python(), step.stepJson(), processes, attemptId(task));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PYTHONPATH", trainerPath.toString());
    env.put("PYTHONUNBUFFERED", "1");
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    env.put("TRAINYARD_TRAINER_VERSION", python.trainer().hash());
    // The trainer encodes and decodes text of Hugging Face tokenizers through the worker's own DJL.
    env.put(TokenizerServerCommand.ENV, TokenizerServerCommand.envValue());
    return new Launch(command, env);
  }

  /**
   * The step process's shell command: the trainer itself, or torchrun starting its ranks. torchrun
   * is started through {@code trainyard_trainer.launch}, which takes torchrun's arguments and keeps
   * the trainer's exit codes (see its docstring). One host rendezvouses on a free port of its own
   * ({@code localhost:0}, what {@code --standalone} means since torch 2.0; torch 1.13's standalone
   * takes the fixed port 29400, which two steps on one host would share). Every host of a
   * multi-node step names the step's rendezvous endpoint and the same rendezvous id: the attempt's.
   */
  static String commandLine(Path python, Path stepJson, Processes processes, String attemptId) {
    String trainer = " -m trainyard_trainer " + ShellQuoting.quote(stepJson.toString());
    String py = "exec " + ShellQuoting.quote(python.toString());
    if (!processes.distributed()) {
      return py + trainer;
    }
    String endpoint = processes.nodes() > 1 ? processes.rendezvous() : "localhost:0";
    return py
        + " -m trainyard_trainer.launch --nnodes="
        + processes.nodes()
        + " --nproc_per_node="
        + processes.perNode()
        + " --rdzv_backend=c10d --rdzv_endpoint="
        + ShellQuoting.quote(endpoint)
        + " --rdzv_id="
        + ShellQuoting.quote(attemptId)
        + trainer;
  }

  /** One attempt of one step of one run: the same on every host the attempt spans. */
  static String attemptId(StepTask task) {
    return task.runId() + "." + task.stepId() + "." + task.attempt();
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
