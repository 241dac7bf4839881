package dev.trainyard.workflow.trust;

import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Optional;

/** A worker's check that the backend granted a step task: it holds the public key only. */
public final class TaskVerifier {
  private final PublicKey backendKey;

  public TaskVerifier(PublicKey backendKey) {
    this.backendKey = backendKey;
  }

  public static TaskVerifier fromPem(Path publicKeyPem) throws IOException {
    return new TaskVerifier(TaskSignatures.readPublicKey(publicKeyPem));
  }

  /** Why the task must not run, or empty when the backend's signature covers exactly this task. */
  public Optional<String> refusal(StepTask task) {
    StepGrant grant = task.grant();
    if (grant == null) {
      return Optional.of("it carries no backend signature");
    }
    byte[] payload =
        TaskSignatures.stepPayload(
            task.runId(),
            task.stepId(),
            grant.templateVersion(),
            TaskSignatures.resolvedStepSha256(task));
    return TaskSignatures.verifies(backendKey, payload, grant.signature())
        ? Optional.empty()
        : Optional.of(
            "its backend signature does not match the run, step, template version and body");
  }
}
