package dev.trainyard.backend.runs;

import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.datasets.DatasetRefs;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.workflow.ArtifactRef;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A launch's artifact parameters (checkpoints, datasets) resolved from an alias, name or id to the
 * stored artifact the caller may see. Every parameter that resolves to nothing, to the wrong type
 * or to a deleted artifact is a problem at {@code params.<name>}.
 */
final class LaunchParams {
  private LaunchParams() {}

  /**
   * @param params the given parameters with each artifact reference replaced by its id
   * @param artifacts the resolved input artifacts by id
   */
  record Resolved(Map<String, Object> params, Map<String, ArtifactRef> artifacts) {}

  /**
   * Problems go to {@code problems}; their parameters get a placeholder id so compile checks the
   * rest.
   */
  static Resolved resolve(
      PipelineSpec spec, Map<String, Object> given, Caller caller, List<FieldError> problems) {
    Map<String, Object> resolved = new LinkedHashMap<>(given);
    Map<String, ArtifactRef> artifacts = new HashMap<>();
    for (ParamSpec param : spec.params()) {
      Object value =
          given.containsKey(param.name()) ? given.get(param.name()) : param.defaultValue();
      if (param.type().isArtifact() && value instanceof String ref) {
        String wanted = param.type().artifactType().wireName();
        Optional<ArtifactEntity> artifact;
        if (param.type() == ParamType.DATASET) {
          // Datasets have versions: name, name:vN, name@alias, a hash prefix (DatasetRefs).
          DatasetRefs.Resolution found = DatasetRefs.resolve(ref, caller::sees);
          if (found instanceof DatasetRefs.Found f) {
            artifact = Optional.of(f.artifact());
          } else {
            // Packed token shards are data too: a dataset parameter may name them (issue 13).
            artifact =
                ArtifactResolver.resolve(ref, ArtifactType.TOKENS.wireName())
                    .filter(a -> caller.sees(a.team));
            if (artifact.isEmpty()) {
              problems.add(new FieldError("params." + param.name(), found.problem()));
              resolved.put(param.name(), "0".repeat(64));
              continue;
            }
          }
        } else {
          artifact = ArtifactResolver.resolve(ref, null).filter(a -> caller.sees(a.team));
        }
        if (artifact.isPresent() && !accepted(param.type()).contains(artifact.get().type)) {
          // A command's files or a report given as a checkpoint would fail minutes later in the
          // trainer.
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "'"
                      + ref
                      + "' ("
                      + artifact.get().id.substring(0, 12)
                      + ") is "
                      + artifact.get().type
                      + ", not "
                      + wanted));
          resolved.put(param.name(), "0".repeat(64));
        } else if (artifact.isPresent() && artifact.get().deleted()) {
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "'"
                      + ref
                      + "' ("
                      + artifact.get().id.substring(0, 12)
                      + ") was deleted by retention on "
                      + artifact.get().deletedAt.toLocalDate()
                      + ": "
                      + artifact.get().deletionReason));
          resolved.put(param.name(), "0".repeat(64));
        } else if (artifact.isPresent()) {
          resolved.put(param.name(), artifact.get().id);
          artifacts.put(artifact.get().id, new ArtifactRef(artifact.get().id, artifact.get().uri));
        } else {
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "no "
                      + param.type().name().toLowerCase()
                      + " with alias, name or id '"
                      + ref
                      + "'"));
          resolved.put(param.name(), "0".repeat(64)); // lets compile check everything else
        }
      }
    }
    return new Resolved(resolved, artifacts);
  }

  /** The artifact types a parameter of this type may name. */
  private static java.util.Set<String> accepted(ParamType type) {
    return type == ParamType.DATASET
        ? java.util.Set.of(type.artifactType().wireName(), ArtifactType.TOKENS.wireName())
        : java.util.Set.of(type.artifactType().wireName());
  }
}
