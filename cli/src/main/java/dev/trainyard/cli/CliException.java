package dev.trainyard.cli;

/**
 * A failure the user caused or must act on, shown as one line and exit code 1 (never a stack
 * trace).
 */
final class CliException extends RuntimeException {
  CliException(String message) {
    super(message);
  }
}
