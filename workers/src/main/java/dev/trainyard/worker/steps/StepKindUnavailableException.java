package dev.trainyard.worker.steps;

/**
 * This worker cannot run the kind now (e.g. its Python runtime is missing); the message says why
 * and what to do.
 */
public final class StepKindUnavailableException extends RuntimeException {
  public StepKindUnavailableException(String message) {
    super(message);
  }
}
