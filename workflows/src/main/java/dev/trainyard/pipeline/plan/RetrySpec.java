package dev.trainyard.pipeline.plan;

/**
 * Retry policy of a step ({@code retry: {max_attempts: 3, backoff_seconds: 5, backoff_multiplier:
 * 2}}). {@code maxAttempts} counts the first attempt, so 1 means "never retry".
 */
public record RetrySpec(int maxAttempts, double backoffSeconds, double backoffMultiplier) {
  public static final RetrySpec DEFAULT = new RetrySpec(1, 5, 2);

  /** Seconds to wait before attempt {@code nextAttempt} (2, 3, ...). */
  public double delayBefore(int nextAttempt) {
    return backoffSeconds * Math.pow(backoffMultiplier, Math.max(0, nextAttempt - 2));
  }
}
