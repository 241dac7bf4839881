package dev.trainyard.workflow;

import java.util.Map;

/**
 * A completed attempt with the same cache key was found: its outputs, and which attempt it was
 * ({@code <run>/<step>/<attempt>}).
 */
public record StepCacheHit(Map<String, ArtifactRef> outputs, String source) {}
