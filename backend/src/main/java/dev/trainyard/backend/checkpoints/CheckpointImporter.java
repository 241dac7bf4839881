package dev.trainyard.backend.checkpoints;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.CheckpointImportEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.intake.Intake;
import dev.trainyard.backend.intake.Intake.Conflict;
import dev.trainyard.backend.intake.Intake.Staged;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.workflow.ProducedArtifact;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Imports a Hugging Face folder staged by {@link Intake} as a checkpoint artifact: checked and read
 * where it is staged ({@link HfCheckpoint}), stored content-addressed like a step's output, and
 * recorded with what it is, where it came from and who imported it, with an audit event, in one
 * transaction. The same content imported again is the checkpoint it already is.
 */
@ApplicationScoped
public class CheckpointImporter {
  /** Names the staging directories of imports. */
  public static final String STAGING = "checkpoint";

  static final String TYPE = ArtifactType.CHECKPOINT.wireName();

  @Inject Intake intake;
  @Inject ObjectMapper json;
  @Inject AuditLog audit;
  @Inject CheckpointImportRepository repository;

  /** Who asks, and the request the audit event belongs to. */
  public record Requester(Caller caller, String requestId, String clientAddress) {}

  /** What to record beside the files; {@code name} and {@code description} may be null. */
  public record Request(String name, String description, String team, String source) {}

  public record Imported(ArtifactEntity artifact, CheckpointImportEntity facts, boolean created) {}

  public Imported importStaged(Staged staged, Request request, Requester requester)
      throws IOException {
    Path root = contentRoot(staged.dir());
    HfCheckpoint.Facts facts = HfCheckpoint.inspect(root, json);
    return intake.publish(root, TYPE, stored -> record(stored, facts, request, requester));
  }

  /**
   * A tar of a folder often holds the folder itself ({@code tar cf m.tar my-model}): its one
   * directory is the checkpoint, so the same files give the same id however they were sent.
   */
  private static Path contentRoot(Path dir) throws IOException {
    if (Files.exists(dir.resolve(HfCheckpoint.CONFIG))) {
      return dir;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      List<Path> all = entries.toList();
      return all.size() == 1 && Files.isDirectory(all.get(0)) ? all.get(0) : dir;
    }
  }

  private Imported record(
      ProducedArtifact stored, HfCheckpoint.Facts facts, Request request, Requester requester) {
    repository.lockContent(stored.id());
    Caller caller = requester.caller();
    ArtifactEntity existing = ArtifactEntity.findById(stored.id());
    if (existing != null) {
      if (!existing.type.equals(TYPE)
          || !existing.team.equals(request.team())
          || existing.deleted()) {
        // Never describe another team's object (issue 11, Low): its name and type stay unsaid.
        throw new Conflict(
            caller.sees(existing.team)
                ? "this content is already registered as "
                    + (existing.name != null
                        ? "'" + existing.name + "'"
                        : existing.id.substring(0, 12))
                    + " ("
                    + existing.type
                    + (existing.deleted() ? ", deleted by retention" : "")
                    + ", team "
                    + existing.team
                    + ")"
                : "this content is already registered");
      }
      CheckpointImportEntity known = CheckpointImportEntity.findById(stored.id());
      if (known != null) {
        return new Imported(existing, known, false);
      }
      // A checkpoint a run wrote, now imported too: it gains what the import read, nothing else.
      return new Imported(existing, persistFacts(stored, facts, request, requester), false);
    }
    ArtifactEntity a =
        Intake.persistArtifact(
            stored, TYPE, request.name(), request.team(), caller.name(), OffsetDateTime.now());
    return new Imported(a, persistFacts(stored, facts, request, requester), true);
  }

  private CheckpointImportEntity persistFacts(
      ProducedArtifact stored, HfCheckpoint.Facts facts, Request request, Requester requester) {
    Caller caller = requester.caller();
    CheckpointImportEntity row = new CheckpointImportEntity();
    row.artifactId = stored.id();
    row.team = request.team();
    row.family = facts.family();
    row.parameters = facts.parameters();
    row.dtype = facts.dtype();
    row.tokenizer = facts.tokenizer();
    row.chatTemplate = facts.chatTemplate();
    row.description = request.description();
    row.source = request.source();
    row.createdAt = OffsetDateTime.now();
    row.createdBy = caller.name();
    row.persist();
    // Beside the request's own event: this one names the checkpoint, and commits with its rows.
    audit.append(
        caller.name(),
        String.join(",", new TreeSet<>(caller.roles())),
        String.join(",", new TreeSet<>(caller.teams())),
        "CHECKPOINT IMPORT",
        "/api/v1/artifacts/" + stored.id(),
        201,
        requester.clientAddress(),
        requester.requestId(),
        Sha256.of(request.source()));
    return row;
  }
}
