package dev.trainyard.backend.datasets;

import dev.trainyard.backend.catalog.AliasEntity;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.DatasetVersionEntity;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a reference to a dataset means: {@code corpus} is its latest version, {@code corpus:v3}
 * version 3, {@code corpus@production} the version the alias {@code production} points at (which
 * must be a version of {@code corpus}), a bare alias what it points at, and 8 or more hex
 * characters the one dataset version whose id starts with them. Only teams the caller sees count.
 */
public final class DatasetRefs {
  private DatasetRefs() {}

  /** Hash prefixes shorter than this are not taken as ids. */
  public static final int MIN_PREFIX = 8;

  /** The format of versions registered before V10: never checked nor copied into the store. */
  static final String UNCHECKED = "unchecked";

  private static final Pattern VERSIONED = Pattern.compile("(.+):v([0-9]{1,9})");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{" + MIN_PREFIX + ",64}");

  /** The outcome: one version, several candidates, or none. */
  public sealed interface Resolution {
    /** A sentence for the caller when nothing or too much matched. */
    default String problem() {
      return null;
    }
  }

  public record Found(ArtifactEntity artifact) implements Resolution {}

  public record Ambiguous(String ref, int candidates, String what) implements Resolution {
    @Override
    public String problem() {
      return "'" + ref + "' is ambiguous: it matches " + candidates + " " + what;
    }
  }

  public record Missing(String ref, String why) implements Resolution {
    @Override
    public String problem() {
      return why;
    }
  }

  public static Resolution resolve(String ref, Predicate<String> sees) {
    int at = ref.lastIndexOf('@');
    if (at > 0) {
      return viaAlias(ref, ref.substring(0, at), ref.substring(at + 1), sees);
    }
    Matcher versioned = VERSIONED.matcher(ref);
    if (versioned.matches()) {
      String name = versioned.group(1);
      int number = Integer.parseInt(versioned.group(2));
      List<DatasetVersionEntity> rows =
          DatasetVersionEntity.numbered(name, number).stream()
              .filter(v -> sees.test(v.team))
              .toList();
      if (rows.size() > 1) {
        return new Ambiguous(ref, rows.size(), "datasets of different teams");
      }
      return rows.isEmpty()
          ? new Missing(ref, "no dataset '" + name + "' with version " + number)
          : found(rows.get(0));
    }
    AliasEntity alias = AliasEntity.findById(ref);
    if (alias != null) {
      ArtifactEntity target = ArtifactEntity.findById(alias.artifactId);
      if (target != null && "dataset".equals(target.type) && sees.test(target.team)) {
        DatasetVersionEntity version = DatasetVersionEntity.findById(target.id);
        return version != null ? found(version) : new Found(target);
      }
    }
    Map<String, DatasetVersionEntity> latestByTeam =
        DatasetVersionEntity.named(ref).stream()
            .filter(v -> sees.test(v.team))
            .collect(
                Collectors.toMap(v -> v.team, v -> v, (a, b) -> a.version >= b.version ? a : b));
    if (latestByTeam.size() > 1) {
      return new Ambiguous(ref, latestByTeam.size(), "datasets of different teams");
    }
    if (latestByTeam.size() == 1) {
      return found(latestByTeam.values().iterator().next());
    }
    if (HEX.matcher(ref).matches()) {
      List<ArtifactEntity> matches =
          ArtifactEntity.datasetsWithIdPrefix(ref).stream().filter(a -> sees.test(a.team)).toList();
      if (matches.size() > 1) {
        return new Ambiguous(ref, matches.size(), "dataset versions; give more of the hash");
      }
      if (matches.size() == 1) {
        return new Found(matches.get(0));
      }
    }
    return new Missing(ref, "no dataset with alias, name, name:vN or id '" + ref + "'");
  }

  private static Resolution viaAlias(
      String ref, String name, String aliasName, Predicate<String> sees) {
    AliasEntity alias = AliasEntity.findById(aliasName);
    DatasetVersionEntity version =
        alias == null ? null : DatasetVersionEntity.findById(alias.artifactId);
    if (version == null || !sees.test(version.team)) {
      return new Missing(ref, "no alias '" + aliasName + "' on a dataset");
    }
    if (!version.name.equals(name)) {
      return new Missing(
          ref,
          "alias '"
              + aliasName
              + "' points at a version of '"
              + version.name
              + "', not '"
              + name
              + "'");
    }
    return found(version);
  }

  private static Resolution found(DatasetVersionEntity version) {
    if (UNCHECKED.equals(version.format)) {
      return new Missing(
          version.ref(),
          "dataset "
              + version.ref()
              + " was registered before datasets were copied into the artifact store, so no step"
              + " can read it; register its files again");
    }
    ArtifactEntity artifact = ArtifactEntity.findById(version.artifactId);
    return artifact == null
        ? new Missing(version.ref(), "dataset " + version.ref() + " has no artifact row")
        : new Found(artifact);
  }

  /** The versions of one name that the caller sees, newest first. */
  public static List<DatasetVersionEntity> versions(String name, Predicate<String> sees) {
    return DatasetVersionEntity.named(name).stream()
        .filter(v -> sees.test(v.team))
        .sorted(Comparator.comparingInt((DatasetVersionEntity v) -> v.version).reversed())
        .toList();
  }
}
