package dev.trainyard.worker.tensor.safetensors;

/** A file written completely, with the sha256 (hex) computed while writing it. */
public record WrittenFile(String name, long size, String sha256) {}
