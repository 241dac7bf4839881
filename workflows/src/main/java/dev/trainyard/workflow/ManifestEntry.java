package dev.trainyard.workflow;

/** One file of an artifact: its path relative to the artifact root, size and sha256 (hex). */
public record ManifestEntry(String path, long sizeBytes, String sha256) {}
