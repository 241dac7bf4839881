package dev.trainyard.worker.tensor.safetensors;

/** Conversions between float and the 16-bit float formats, rounding to nearest, ties to even. */
public final class Floats {
  private Floats() {}

  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7FFFFFFF) > 0x7F800000) {
      return (short)
          ((bits >>> 16) | 0x0040); // keep NaN a (quiet) NaN rather than rounding it to infinity
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  public static float f16ToFloat(short bits) {
    return Float.float16ToFloat(bits);
  }

  public static short floatToF16(float value) {
    return Float.floatToFloat16(value); // round to nearest even, per its specification
  }
}
