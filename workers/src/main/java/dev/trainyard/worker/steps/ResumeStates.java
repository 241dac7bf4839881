package dev.trainyard.worker.steps;

import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.FileTrees;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A training attempt's intermediate checkpoints kept in the artifact store, so that a retry on
 * another host (its own root, only the store shared) resumes from the newest one.
 *
 * <p>Each state is an ordinary content-addressed artifact of the internal type {@value #TYPE} (no
 * catalog row names it; it is never a step's output), verified on download like any other. It is
 * found by a store name, {@code resume/<run>/<step>/attempt-<k>/step-<N>}, pointing at its id. A
 * small {@value #IDENTITY_FILE} (run, step, attempt, training step) goes into each state, so two
 * attempts never share one artifact and deleting one attempt's states never touches another's.
 */
public final class ResumeStates {
  public static final String TYPE = "resume-state";
  public static final String IDENTITY_FILE = "trainyard-resume.json";
  private static final Pattern NAME = Pattern.compile(".*/attempt-(\\d+)/step-(\\d+)");

  /** A stored state: its name, artifact id, the attempt that wrote it and its training step. */
  public record Stored(String name, String id, int attempt, long step) {
    public ArtifactRef ref() {
      return new ArtifactRef(id, null);
    }
  }

  private ResumeStates() {}

  static String attemptPrefix(String runId, String stepId, int attempt) {
    return stepPrefix(runId, stepId) + "attempt-" + attempt + "/";
  }

  static String stepPrefix(String runId, String stepId) {
    return "resume/" + runId + "/" + stepId + "/";
  }

  /**
   * Uploads one complete {@code step-<N>} dir (left in place: it is copied by hard links first, so
   * the trainer's own rotation of old states does not disturb the upload) and names it.
   */
  public static Stored upload(
      ArtifactStore store, String runId, String stepId, int attempt, long step, Path stateDir)
      throws IOException {
    Path staging = stateDir.resolveSibling(".upload-" + UUID.randomUUID());
    try {
      FileTrees.linkOrCopyTree(stateDir, staging);
      Files.writeString(
          staging.resolve(IDENTITY_FILE),
          "{\"run\":\""
              + runId
              + "\",\"step\":\""
              + stepId
              + "\",\"attempt\":"
              + attempt
              + ",\"training_step\":"
              + step
              + "}\n",
          StandardCharsets.UTF_8);
      ProducedArtifact stored = store.put(staging, TYPE);
      String name = attemptPrefix(runId, stepId, attempt) + "step-" + step;
      store.putName(name, stored.id());
      // One state per attempt is kept: the earlier ones of this attempt go once this one is named.
      for (Stored older : list(store, runId, stepId, attempt)) {
        if (older.step() < step) {
          store.deleteName(older.name());
          store.delete(older.id());
        }
      }
      return new Stored(name, stored.id(), attempt, step);
    } finally {
      FileTrees.deleteQuietly(staging);
    }
  }

  /** Every stored state of this step of this run, any attempt. */
  public static List<Stored> list(ArtifactStore store, String runId, String stepId)
      throws IOException {
    return parse(store.names(stepPrefix(runId, stepId)));
  }

  /** The states one attempt stored. */
  public static List<Stored> list(ArtifactStore store, String runId, String stepId, int attempt)
      throws IOException {
    return parse(store.names(attemptPrefix(runId, stepId, attempt)));
  }

  /**
   * The newest state stored by an attempt before {@code attempt}: highest training step, on a tie
   * the later attempt; only states whose artifact is still complete in the store.
   */
  public static Optional<Stored> newestBefore(
      ArtifactStore store, String runId, String stepId, int attempt) throws IOException {
    Stored best = null;
    for (Stored s : list(store, runId, stepId)) {
      if (s.attempt() >= attempt || !store.contains(s.id())) {
        continue;
      }
      if (best == null
          || s.step() > best.step()
          || (s.step() == best.step() && s.attempt() > best.attempt())) {
        best = s;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Deletes an attempt's states (retention): each name first, then its artifact.
   *
   * @return how many states were deleted
   */
  public static int delete(ArtifactStore store, String runId, String stepId, int attempt)
      throws IOException {
    int deleted = 0;
    for (Stored s : list(store, runId, stepId, attempt)) {
      store.deleteName(s.name());
      store.delete(s.id());
      deleted++;
    }
    return deleted;
  }

  private static List<Stored> parse(Map<String, String> names) {
    List<Stored> states = new ArrayList<>();
    names.forEach(
        (name, id) -> {
          Matcher m = NAME.matcher(name);
          if (m.matches() && m.group(1).length() < 10 && m.group(2).length() < 19) {
            states.add(
                new Stored(name, id, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2))));
          }
        });
    return states;
  }
}
