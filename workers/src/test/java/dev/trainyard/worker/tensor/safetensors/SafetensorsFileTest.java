package dev.trainyard.worker.tensor.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir Path tmp;

  /** A file with the given header JSON and {@code dataBytes} zero bytes of data. */
  private Path raw(String name, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path p = tmp.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  @Test
  void writtenTensorsReadBackInEveryFloatDtype() throws IOException {
    float[] values = {0f, 1f, -2.5f, 3.14159f, 1e-3f, -65504f};
    for (DType d : List.of(DType.F32, DType.F16, DType.BF16)) {
      Path p = tmp.resolve(d + ".safetensors");
      try (var w =
          new SafetensorsWriter(
              p, List.of(new TensorSpec("t", d, new long[] {2, 3})), Map.of("format", "pt"))) {
        w.writeFloats("t", values);
        WrittenFile f = w.finish();
        assertThat(f.size()).isEqualTo(Files.size(p));
        assertThat(f.sha256()).isEqualTo(CheckpointWriter.sha256(Files.readAllBytes(p)));
      }
      try (var r = SafetensorsFile.open(p)) {
        assertThat(r.metadata()).containsEntry("format", "pt");
        assertThat(r.info("t").shape()).containsExactly(2, 3);
        float[] back = r.readFloats(r.info("t"));
        for (int i = 0; i < values.length; i++) {
          float expected =
              switch (d) {
                case BF16 -> Floats.bf16ToFloat(Floats.floatToBf16(values[i]));
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(values[i]));
                default -> values[i];
              };
          assertThat(back[i]).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void theWritersBf16EncodingIsFloatToBf16ForEveryKindOfValueAndCountsZeros() {
    java.util.Random r = new java.util.Random(7);
    int n = 1 << 20;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      // every bit pattern is fair: NaNs of both signs and payloads, infinities, denormals, ±0
      v[i] = Float.intBitsToFloat(i % 97 == 0 ? (i % 2 == 0 ? 0 : 0x80000000) : r.nextInt());
    }
    v[1] = Float.intBitsToFloat(0x7F7FFFFF); // rounds up to infinity
    v[2] = Float.intBitsToFloat(0x7F800001); // a signalling NaN must not round to infinity
    v[3] = Float.intBitsToFloat(0xFFFFFFFF);
    ByteBuffer out = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
    long zeros = SafetensorsWriter.encode(DType.BF16, v, 0, n, out);
    long expectedZeros = 0;
    for (int i = 0; i < n; i++) {
      assertThat(out.getShort(2 * i)).as("element %d", i).isEqualTo(Floats.floatToBf16(v[i]));
      expectedZeros += v[i] == 0 ? 1 : 0;
    }
    assertThat(zeros).isEqualTo(expectedZeros).isGreaterThan(n / 100);
  }

  @Test
  void sameTensorsGiveTheSameBytesWhateverTheJvm() throws IOException {
    byte[] header =
        SafetensorsWriter.header(
            List.of(new TensorSpec("a", DType.BF16, new long[] {2, 3})), Map.of("format", "pt"));
    // a fixed key order (Map.of's changes from one JVM start to the next, and the hash with it)
    assertThat(new String(header, StandardCharsets.UTF_8).trim())
        .isEqualTo(
            "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}");
  }

  @Test
  void aTensorOfManyBuffersIsHashedAsWrittenWithItsZerosCounted() throws IOException {
    int n = 5 << 20; // 10 MiB as bf16: three 4 MiB writes, the two buffers taking turns
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = i % 3 == 0 ? 0f : i * 1e-3f;
    }
    Path p = tmp.resolve("big.safetensors");
    byte[] raw = new byte[1000];
    java.util.Arrays.fill(raw, (byte) 7);
    try (var w =
        new SafetensorsWriter(
            p,
            List.of(
                new TensorSpec("big", DType.BF16, new long[] {n}),
                new TensorSpec("raw", DType.U8, new long[] {1000}),
                new TensorSpec("f32", DType.F32, new long[] {n})),
            Map.of())) {
      assertThat(w.writeFloats("big", values)).isEqualTo((n + 2) / 3);
      w.writeRaw("raw", ByteBuffer.wrap(raw));
      assertThat(w.writeFloats("f32", values)).isEqualTo((n + 2) / 3);
      WrittenFile f = w.finish();
      assertThat(f.size()).isEqualTo(Files.size(p));
      assertThat(f.sha256()).isEqualTo(CheckpointWriter.sha256(Files.readAllBytes(p)));
    }
    try (var r = SafetensorsFile.open(p)) {
      float[] back = r.readFloats(r.info("f32"));
      assertThat(back).isEqualTo(values);
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa
    // (1.0)
    assertThat(Floats.floatToBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80);
    // 1.0078125 + 2^-8 is halfway between 0x3F81 and 0x3F82: even is 0x3F82
    assertThat(Floats.floatToBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82);
    // just above half rounds up, just below rounds down
    assertThat(Floats.floatToBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
    assertThat(Floats.floatToBf16(Float.intBitsToFloat(0x3F807FFF))).isEqualTo((short) 0x3F80);
    assertThat(Floats.floatToBf16(-1f)).isEqualTo((short) 0xBF80);
    assertThat(Float.isNaN(Floats.bf16ToFloat(Floats.floatToBf16(Float.NaN)))).isTrue();
    assertThat(Floats.bf16ToFloat(Floats.floatToBf16(Float.MAX_VALUE)))
        .isEqualTo(Float.POSITIVE_INFINITY);
    // f16 likewise: 1 + 2^-11 is halfway between 1.0 and 1 + 2^-10
    assertThat(Float.floatToFloat16(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
    assertThat(Float.floatToFloat16(1f + 0x1p-10f + 0x1p-11f)).isEqualTo((short) 0x3C02);
  }

  @Test
  void fileShorterThanTheLengthPrefixIsTruncated() throws IOException {
    Path p = tmp.resolve("short.safetensors");
    Files.write(p, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .isInstanceOf(SafetensorsException.class)
        .hasMessage(p + ": truncated: 3 bytes, too short for the 8-byte header length");
  }

  @Test
  void headerLongerThanTheFileIsTruncated() throws IOException {
    Path p =
        raw(
            "cut.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            4);
    byte[] all = Files.readAllBytes(p);
    Files.write(p, java.util.Arrays.copyOf(all, 20));
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessageContaining(p + ": truncated: header says");
  }

  @Test
  void dataCutShortIsReportedWithTheTensor() throws IOException {
    Path p =
        raw(
            "t.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
            8);
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessage(
            p
                + ": tensor 'w': data_offsets [0, 16] out of range: the data section has 8 bytes (truncated file?)");
  }

  @Test
  void overlappingTensorsAreRefused() throws IOException {
    Path p =
        raw(
            "o.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12);
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessage(p + ": tensor 'b' data [4, 12) overlaps tensor 'a' [0, 8)");
  }

  @Test
  void hugeHeaderLengthIsRefusedWithoutAllocating() throws IOException {
    Path p = tmp.resolve("huge.safetensors");
    ByteBuffer b =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
    Files.write(p, b.array());
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessage(p + ": header too large: 1099511627776 bytes (limit 104857600)");
  }

  @Test
  void badJsonIsRefused() throws IOException {
    Path p = raw("j.safetensors", "{\"a\": [1, 2", 0);
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessageStartingWith(p + ": bad JSON header: ");
    Path q = raw("k.safetensors", "[1, 2]", 0);
    assertThatThrownBy(() -> SafetensorsFile.open(q))
        .hasMessage(q + ": bad JSON header: not an object");
  }

  @Test
  void dtypeShapeMismatchNamesTheTensor() throws IOException {
    Path p =
        raw(
            "m.safetensors",
            "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}",
            8);
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessage(
            p
                + ": tensor 'w': dtype/shape mismatch: BF16 [2,3] needs 12 bytes but data_offsets span 8");
  }

  @Test
  void unknownDtypeAndMalformedEntriesAreRefused() throws IOException {
    Path p =
        raw("u.safetensors", "{\"w\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    assertThatThrownBy(() -> SafetensorsFile.open(p))
        .hasMessage(p + ": tensor 'w': unknown dtype 'F7'");
    Path q =
        raw(
            "s.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
            4);
    assertThatThrownBy(() -> SafetensorsFile.open(q))
        .hasMessage(q + ": tensor 'w': bad shape [-1]");
    Path r =
        raw("r.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4);
    assertThatThrownBy(() -> SafetensorsFile.open(r))
        .hasMessage(r + ": tensor 'w': bad data_offsets [4, 0]");
  }

  @Test
  void shardedCheckpointsResolveThroughTheIndexAndReportMissingShards() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("ckpt"));
    List<TensorSpec> plan =
        List.of(
            new TensorSpec("a", DType.F32, new long[] {4}),
            new TensorSpec("b", DType.F32, new long[] {4}));
    try (var w = new CheckpointWriter(dir, plan, 16)) {
      w.writeFloats("a", new float[] {1, 2, 3, 4});
      w.writeFloats("b", new float[] {5, 6, 7, 8});
      Map<String, WrittenFile> files = w.commit();
      assertThat(files)
          .containsKeys(
              "model-00001-of-00002.safetensors",
              "model-00002-of-00002.safetensors",
              Checkpoint.INDEX);
    }
    try (var c = Checkpoint.open(dir)) {
      assertThat(c.entry("b").readFloats()).containsExactly(5, 6, 7, 8);
      assertThat(c.entry("b").file().path().getFileName().toString())
          .isEqualTo("model-00002-of-00002.safetensors");
    }
    Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
    assertThatThrownBy(() -> Checkpoint.open(dir))
        .hasMessage(
            dir.resolve(Checkpoint.INDEX)
                + ": shard 'model-00002-of-00002.safetensors' is missing");
  }

  @Test
  void aFailedWriteLeavesNothingInTheOutput() throws IOException {
    Path out = tmp.resolve("out");
    try (var w =
        new CheckpointWriter(
            out, List.of(new TensorSpec("a", DType.F32, new long[] {2})), 1 << 20)) {
      assertThatThrownBy(() -> w.writeFloats("a", new float[] {1, 2, 3}))
          .isInstanceOf(IllegalStateException.class);
    }
    try (var s = Files.list(out)) {
      assertThat(s).isEmpty();
    }
  }
}
