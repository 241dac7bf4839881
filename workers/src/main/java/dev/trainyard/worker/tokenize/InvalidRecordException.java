package dev.trainyard.worker.tokenize;

/**
 * A record of the dataset cannot be read, rendered or tokenized; the message starts with {@code
 * FILE:LINE}. The step's input is wrong, so a retry cannot help.
 */
public final class InvalidRecordException extends IllegalArgumentException {
  public InvalidRecordException(String message) {
    super(message);
  }
}
