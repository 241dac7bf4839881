package dev.trainyard.workflow.trust;

/**
 * The backend's permission to run one step of one run, carried in its {@code StepTask}: an Ed25519
 * signature over {@link TaskSignatures#stepPayload}. It names no attempt, so every retry of the
 * same step (same body, same inputs) is covered by it.
 *
 * @param templateVersion the version of the template the run was launched from, as the catalog
 *     records it
 * @param signature base64 of the signature
 */
public record StepGrant(int templateVersion, String signature) {}
