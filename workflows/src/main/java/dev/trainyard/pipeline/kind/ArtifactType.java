package dev.trainyard.pipeline.kind;

import java.util.Arrays;
import java.util.Optional;

/**
 * What an artifact is. Kinds declare the types their inputs accept and their outputs produce, so a
 * report is never handed to a step that needs a checkpoint. {@link #wireName()} is the catalog's
 * {@code artifact.type} and the store's manifest type.
 */
public enum ArtifactType {
  /** A Hugging Face model directory (config.json, safetensors, tokenizer files). */
  CHECKPOINT("checkpoint"),
  /** Registered training or evaluation data. */
  DATASET("dataset"),
  /** Packed token shards. */
  TOKENS("tokens"),
  /** An evaluation report ({@code eval.json}). */
  REPORT("eval-report"),
  /** A LoRA/PEFT adapter. */
  ADAPTER("adapter"),
  /**
   * How a mixture-of-experts model routes one dataset's tokens ({@code profile.json}: per layer and
   * expert, frequency, gate probability, output norm, co-activation, router-logit similarity).
   */
  ROUTING_PROFILE("routing-profile"),
  /** Anything else a command wrote. */
  FILES("files");

  private final String wireName;

  ArtifactType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<ArtifactType> fromWire(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }
}
