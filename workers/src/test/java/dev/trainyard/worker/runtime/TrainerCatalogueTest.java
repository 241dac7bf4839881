package dev.trainyard.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.kind.ValueSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code trainyard_trainer/step_kinds.json} is generated from {@link StepKinds}: the trainer's
 * kinds with their runner settings and config defaults, the model presets and the supported model
 * families. The trainer itself reads step.json (already resolved); this copy serves its tests
 * (which write step.json by hand) and the benchmark CLI. {@code -Dtrainyard.updateGolden=true}
 * rewrites it after a deliberate change to the catalogue.
 */
class TrainerCatalogueTest {
  static final Path GOLDEN = Path.of("src/main/python/trainyard_trainer/step_kinds.json");

  static String generated() throws Exception {
    Map<String, Object> kinds = new TreeMap<>();
    for (StepKind kind : StepKinds.all()) {
      if (kind.execution() != Execution.WORKER_TRAINER) {
        continue;
      }
      Map<String, Object> defaults = new TreeMap<>();
      Map<String, Object> derived = new TreeMap<>();
      kind.configKeys()
          .values()
          .forEach(
              key -> {
                if (key.defaultValue() instanceof ValueSchema.Derived rule) {
                  derived.put(key.name(), rule.rule());
                } else if (key.defaultValue() != null) {
                  defaults.put(key.name(), key.defaultValue());
                }
              });
      // Defaults of each source of a mixture (data: [{dataset, weight, ...}]).
      Map<String, Object> sourceDefaults = new TreeMap<>();
      var data = kind.fields().get("data");
      if (data != null && data.type() == dev.trainyard.pipeline.kind.ValueType.SOURCES) {
        data.entries().values().stream()
            .filter(key -> key.defaultValue() != null)
            .forEach(key -> sourceDefaults.put(key.name(), key.defaultValue()));
      }
      Map<String, Object> entry = new TreeMap<>();
      entry.put("runner", new TreeMap<>(kind.runner()));
      entry.put("config_defaults", defaults);
      entry.put("derived_defaults", derived);
      entry.put("source_defaults", sourceDefaults);
      // Defaults of adapter: (sft, dpo), which the planner writes into a LoRA step's body.
      var adapter = kind.fields().get("adapter");
      if (adapter != null && adapter.type() == dev.trainyard.pipeline.kind.ValueType.OBJECT) {
        Map<String, Object> adapterDefaults = new TreeMap<>();
        adapter.entries().values().stream()
            .filter(key -> key.defaultValue() != null)
            .forEach(key -> adapterDefaults.put(key.name(), key.defaultValue()));
        entry.put("adapter_defaults", adapterDefaults);
      }
      kinds.put(kind.name(), entry);
    }
    Map<String, Object> json = new TreeMap<>();
    json.put(
        "generated_from",
        StepKinds.class.getName() + " by " + TrainerCatalogueTest.class.getSimpleName());
    json.put("kinds", kinds);
    json.put("model_presets", new TreeMap<>(StepKinds.MODEL_PRESETS));
    // The families the trainer's registry must hold (ModelFamilies is the one list).
    json.put("model_families", dev.trainyard.pipeline.kind.ModelFamilies.SUPPORTED);
    return new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .writeValueAsString(json)
        + "\n";
  }

  @Test
  void theTrainersCopyOfTheCatalogueIsTheOneGeneratedFromStepKinds() throws Exception {
    String expected = generated();
    if (Boolean.getBoolean("trainyard.updateGolden")) {
      Files.writeString(GOLDEN, expected);
    }
    assertThat(GOLDEN).as("regenerate with -Dtrainyard.updateGolden=true").hasContent(expected);
  }
}
