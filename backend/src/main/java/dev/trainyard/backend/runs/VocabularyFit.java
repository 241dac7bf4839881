package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.spec.StepSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * At launch, before anything is created: a step whose model is an existing checkpoint may consume
 * packed tokens only if the model's vocabulary covers them ({@code config.json} {@code vocab_size}
 * ≥ {@code tokens.json} {@code vocab_size}). Otherwise the trainer would index past the embedding
 * table minutes into the run, on a GPU. Only what is known at launch is checked: artifacts chosen
 * by parameters, not outputs of earlier steps.
 *
 * <p>"Consumed as data" is every tokens artifact bound to the step under any field but its model
 * ({@code data}, {@code eval_data}, a mixture's sources, a replay), so a new way to feed data is
 * covered without a change here. Each problem's path is where the step's body names the input
 * ({@code steps[2].data}, {@code steps[2].data[1].dataset}).
 */
final class VocabularyFit {
  static final String MODEL_ROLE = "input:model";
  static final String CONFIG = "config.json";
  static final String TOKENS_INDEX = "tokens.json";

  /** config.json and tokens.json are small; anything larger is not read at launch. */
  private static final int MAX_JSON_BYTES = 4 << 20;

  private final StoredArtifacts store;
  private final ObjectMapper json;
  private final Map<String, OptionalLong> vocabularies = new HashMap<>();

  private VocabularyFit(StoredArtifacts store, ObjectMapper json) {
    this.store = store;
    this.json = json;
  }

  static List<FieldError> problems(
      PipelineSpec spec, ExecutionPlan plan, StoredArtifacts store, ObjectMapper json) {
    return new VocabularyFit(store, json).check(spec, plan);
  }

  private List<FieldError> check(PipelineSpec spec, ExecutionPlan plan) {
    List<FieldError> problems = new ArrayList<>();
    var fanOut = dev.trainyard.pipeline.plan.FanOut.of(spec.steps());
    for (StepSpec written : spec.steps()) {
      for (String id : fanOut.expandedIds(written.id())) {
        PlannedStep step = plan.step(id).orElse(null);
        if (step == null) {
          continue;
        }
        Optional<Model> model = model(step);
        if (model.isEmpty()) {
          continue;
        }
        for (InputBinding data : step.inputs()) {
          if (data.fromStepOutput() || data.role().equals(MODEL_ROLE)) {
            continue;
          }
          OptionalLong needed = vocabulary(data.artifactId(), ArtifactType.TOKENS, TOKENS_INDEX);
          if (needed.isPresent() && needed.getAsLong() > model.get().vocabSize()) {
            String message =
                "tokens "
                    + data.artifactId().substring(0, 12)
                    + " need a vocabulary of "
                    + needed.getAsLong()
                    + " (tokens.json vocab_size), more than the "
                    + model.get().vocabSize()
                    + " of model "
                    + model.get().id().substring(0, 12)
                    + " (config.json vocab_size): token ids past it have no embedding";
            String path = written.path() + "." + where(step.body(), data.name());
            if (problems.stream().noneMatch(p -> p.path().equals(path))) {
              problems.add(new FieldError(path, message));
            }
          }
        }
      }
    }
    return problems;
  }

  private record Model(String id, long vocabSize) {}

  private Optional<Model> model(PlannedStep step) {
    for (InputBinding binding : step.inputs()) {
      if (binding.role().equals(MODEL_ROLE) && !binding.fromStepOutput()) {
        OptionalLong size = vocabulary(binding.artifactId(), ArtifactType.CHECKPOINT, CONFIG);
        if (size.isPresent()) {
          return Optional.of(new Model(binding.artifactId(), size.getAsLong()));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * {@code vocab_size} from the artifact's index file, when the artifact has that type and the
   * store holds a readable file saying so; empty otherwise (nothing known, nothing refused).
   */
  private OptionalLong vocabulary(String id, ArtifactType type, String file) {
    return vocabularies.computeIfAbsent(
        id + "/" + file,
        key -> {
          ArtifactEntity artifact = ArtifactEntity.findById(id);
          if (artifact == null
              || artifact.deleted()
              || !artifact.type.equals(type.wireName())
              || !store.contains(id)) {
            return OptionalLong.empty();
          }
          try (SeekableByteChannel channel = store.openFile(id, file)) {
            if (channel.size() > MAX_JSON_BYTES) {
              return OptionalLong.empty();
            }
            try (InputStream in = Channels.newInputStream(channel)) {
              JsonNode size = json.readTree(in).path("vocab_size");
              return size.canConvertToLong() && size.asLong() > 0
                  ? OptionalLong.of(size.asLong())
                  : OptionalLong.empty();
            }
          } catch (IOException | RuntimeException unreadable) {
            return OptionalLong.empty();
          }
        });
  }

  /**
   * The path inside the step where its planned body names the input ({@code data}, {@code
   * data[1].dataset}); the first match, in the body's order.
   */
  static String where(Map<String, Object> body, String inputName) {
    String token = Expressions.inputToken(inputName);
    return find(body, token, "").orElse("inputs");
  }

  private static Optional<String> find(Object node, String token, String path) {
    if (node instanceof String text) {
      return text.contains(token) ? Optional.of(path) : Optional.empty();
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String at = path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey();
        Optional<String> found = find(e.getValue(), token, at);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        Optional<String> found = find(list.get(i), token, path + "[" + i + "]");
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }
}
