package dev.trainyard.worker.tokenize;

/**
 * One record to tokenize.
 *
 * @param where {@code FILE:LINE} of the record, for messages
 * @param text a text document, or a conversation as its chat template rendered it
 * @param spans null for a text document (every token is a loss target); for a conversation the
 *     assistant turns as {@code [start, end)} pairs of code-point offsets into {@code text}, sorted
 */
public record Document(String where, String text, int[] spans) {}
