package dev.trainyard.pipeline.kind;

import java.util.List;

/**
 * The model families Trainyard trains and imports, by their Hugging Face {@code config.json} {@code
 * model_type}. The one Java list: checkpoint import refuses any other family, and the trainer's
 * catalogue ({@code step_kinds.json}, {@code model_families}) is generated from it, so its family
 * registry can be checked against it.
 */
public final class ModelFamilies {
  private ModelFamilies() {}

  public static final List<String> SUPPORTED =
      List.of("llama", "qwen2", "qwen3", "mistral", "mixtral");

  /** Whether a {@code model_type} names a supported family (exactly, as transformers reads it). */
  public static boolean isSupported(String modelType) {
    return modelType != null && SUPPORTED.contains(modelType);
  }

  /**
   * The supported families as a message lists them: {@code llama, qwen2, qwen3, mistral, mixtral}.
   */
  public static String describe() {
    return String.join(", ", SUPPORTED);
  }
}
