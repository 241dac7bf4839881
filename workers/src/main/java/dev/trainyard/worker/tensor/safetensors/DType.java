package dev.trainyard.worker.tensor.safetensors;

import java.util.Locale;
import java.util.Optional;

/** Element types of the safetensors format. Only the float types take part in arithmetic. */
public enum DType {
  F64(8, true),
  F32(4, true),
  F16(2, true),
  BF16(2, true),
  I64(8, false),
  I32(4, false),
  I16(2, false),
  I8(1, false),
  U8(1, false),
  BOOL(1, false),
  U16(2, false),
  U32(4, false),
  U64(8, false),
  F8_E4M3(1, false),
  F8_E5M2(1, false);

  private final int size;
  private final boolean arithmetic;

  DType(int size, boolean arithmetic) {
    this.size = size;
    this.arithmetic = arithmetic;
  }

  /** Bytes per element. */
  public int size() {
    return size;
  }

  /** Whether merge and prune can compute on it (decoded to float). */
  public boolean isFloat() {
    return arithmetic;
  }

  public static Optional<DType> parse(String name) {
    try {
      return Optional.of(valueOf(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * From the names users write in configs ({@code bfloat16}, {@code float16}, {@code float32}, or
   * {@code BF16}).
   */
  public static DType fromConfigName(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "float32", "fp32", "f32" -> F32;
      case "float16", "fp16", "f16", "half" -> F16;
      case "bfloat16", "bf16" -> BF16;
      default ->
          throw new IllegalArgumentException(
              "unknown dtype '" + name + "' (float32, float16 or bfloat16)");
    };
  }
}
