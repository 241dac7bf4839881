package dev.trainyard.backend.datasets;

import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.DatasetVersionEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.intake.Intake;
import dev.trainyard.backend.intake.Intake.Conflict;
import dev.trainyard.backend.intake.Intake.Issue;
import dev.trainyard.backend.intake.Intake.Rejected;
import dev.trainyard.backend.intake.Intake.Staged;
import dev.trainyard.workflow.ProducedArtifact;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.function.Predicate;

/**
 * Registers dataset versions: content staged by {@link Intake} is checked record by record there
 * (so the bytes checked are the bytes stored), stored through the artifact store, and only then
 * numbered in the catalog. A refused registration leaves no row and no stored files.
 */
@ApplicationScoped
public class DatasetRegistry {
  /** Names the staging directories of dataset registrations. */
  public static final String STAGING = "dataset";

  @Inject Intake intake;
  @Inject DatasetVersionRepository versions;
  @Inject dev.trainyard.backend.events.DomainEvents events;

  public record Registered(DatasetVersionEntity version, boolean created) {}

  /**
   * Checks, stores and numbers the staged content as the next version of {@code name} in {@code
   * team}; the same content under the same name is the version it already is.
   *
   * @param expectedSha256 when given, the single file's sha256 the caller expects
   * @param sees which teams the caller may see (what a conflict may reveal)
   */
  public Registered register(
      Staged staged,
      String name,
      String team,
      String user,
      String source,
      String expectedSha256,
      Predicate<String> sees)
      throws IOException {
    FormatCheck.Result checked = FormatCheck.check(staged.dir());
    if (!checked.ok()) {
      throw new Rejected(
          checked.problems().stream().map(p -> new Issue(p.path(), p.message())).toList(),
          checked.problemCount());
    }
    if (expectedSha256 != null) {
      if (staged.singleFile() == null) {
        throw new Rejected(
            new Issue("sha256", "only a single file can be checked against a sha256"));
      }
      if (!Sha256.ofFile(staged.dir().resolve(staged.singleFile())).equals(expectedSha256)) {
        // The actual hash is not echoed: the caller learns only that its expectation was wrong.
        throw new Rejected(new Issue("sha256", "does not match the file's content"));
      }
    }
    return intake.publish(
        staged.dir(), "dataset", stored -> record(stored, checked, name, team, user, source, sees));
  }

  private Registered record(
      ProducedArtifact stored,
      FormatCheck.Result checked,
      String name,
      String team,
      String user,
      String source,
      Predicate<String> sees) {
    // One registration of a name at a time, so version numbers are dense and never collide.
    versions.lockName(team, name);
    ArtifactEntity existing = ArtifactEntity.findById(stored.id());
    if (existing != null) {
      DatasetVersionEntity version = DatasetVersionEntity.findById(stored.id());
      if (version != null && version.name.equals(name) && version.team.equals(team)) {
        return new Registered(version, false);
      }
      // Never describe another team's object (issue 11, Low): its name and type stay unsaid.
      throw new Conflict(
          sees.test(existing.team)
              ? "this content is already registered as '"
                  + (version != null ? version.ref() : existing.name)
                  + "' ("
                  + existing.type
                  + ")"
              : "this content is already registered");
    }
    int latest = versions.latestVersion(team, name);
    OffsetDateTime now = OffsetDateTime.now();
    ArtifactEntity a = Intake.persistArtifact(stored, "dataset", name, team, user, now);
    DatasetVersionEntity v = new DatasetVersionEntity();
    v.artifactId = a.id;
    v.team = team;
    v.name = name;
    v.version = latest + 1;
    v.format = checked.format().wireName();
    v.records = checked.records();
    v.fileFormats = FormatCheck.asRow(checked);
    v.source = source;
    v.createdAt = now;
    v.createdBy = user;
    v.persist();
    events.datasetVersionRegistered(v);
    return new Registered(v, true);
  }
}
