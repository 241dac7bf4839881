package dev.trainyard.worker.steps;

import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.util.Map;

/** A kind whose attempt is a step process (a process group the worker supervises and can kill). */
public non-sealed interface ProcessStepKind extends StepKindRunner {
  /**
   * The process to start. Called before GPUs are acquired, so a bad body or a missing runtime fails
   * without holding one.
   *
   * @throws IllegalArgumentException the body is wrong (non-retryable {@code InvalidStep})
   * @throws StepKindUnavailableException this worker cannot run the kind now, e.g. its runtime is
   *     missing
   */
  Launch launch(StepTask task, StepContext step) throws IOException;

  /**
   * Whether the newest intermediate checkpoint of an earlier attempt is passed as {@code resume} in
   * step.json.
   */
  default boolean resumable() {
    return false;
  }

  /**
   * The intermediate checkpoints an attempt of this kind keeps in its {@code checkpoints/}, if any:
   * the worker stores the newest in the artifact store while the attempt runs, and a retry resumes
   * from the newest of any attempt on any host. The reference trainer's when {@link #resumable()}.
   */
  default java.util.Optional<ResumePoints.Layout> resumeLayout(StepTask task) {
    return resumable()
        ? java.util.Optional.of(ResumePoints.Layout.TRAINER)
        : java.util.Optional.empty();
  }

  /**
   * The launch of an attempt that resumes from {@code state}, an earlier attempt's checkpoint
   * written at training step {@code step}. As it is by default: the reference trainer reads
   * step.json's {@code resume}.
   */
  default Launch resumeAt(Launch launch, StepContext context, java.nio.file.Path state, long step)
      throws IOException {
    return launch;
  }

  /** The failure type of a non-zero exit, e.g. a trainer's evaluate gate. */
  default FailureType failureType(int exitCode) {
    return FailureType.STEP_FAILED;
  }

  /**
   * @param command a shell command line, run in the work dir by {@code sh -c} in a new process
   *     group
   * @param env variables added to the step contract's
   * @param resumeFrom the earlier intermediate checkpoint the attempt resumes from (a command's
   *     {@code $TRAINYARD_RESUME_FROM}, see {@link #resumeAt}); or null
   */
  record Launch(String command, Map<String, String> env, java.nio.file.Path resumeFrom) {
    public Launch {
      env = Map.copyOf(env);
    }

    public Launch(String command, Map<String, String> env) {
      this(command, env, null);
    }
  }
}
