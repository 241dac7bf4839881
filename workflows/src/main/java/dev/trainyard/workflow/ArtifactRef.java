package dev.trainyard.workflow;

/**
 * An artifact as a worker reads it.
 *
 * @param id the sha256 (hex) of the artifact's manifest
 * @param uri where its files are, e.g. {@code file:///var/trainyard/artifacts/<id>}
 */
public record ArtifactRef(String id, String uri) {}
