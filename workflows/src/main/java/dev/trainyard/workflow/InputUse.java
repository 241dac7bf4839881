package dev.trainyard.workflow;

/** An artifact an attempt read, for lineage: binding name, edge role and artifact id. */
public record InputUse(String name, String role, String artifactId) {}
