package dev.trainyard.workflow;

import java.util.List;

/**
 * An artifact a step attempt wrote, already stored immutably.
 *
 * @param id sha256 (hex) of the canonical manifest text (one line per file, sorted by path: {@code
 *     <sha256> <size> <path>\n})
 * @param type {@code checkpoint}, {@code eval-report} or {@code files}
 */
public record ProducedArtifact(
    String id, String type, String uri, long sizeBytes, List<ManifestEntry> files) {
  public ProducedArtifact {
    files = List.copyOf(files);
  }
}
