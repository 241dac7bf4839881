package dev.trainyard.worker.tensor.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one safetensors file sequentially: the header is fixed up front from the planned tensors,
 * then each tensor's data follows in plan order, hashed (sha256) as it is written — the file is
 * never read back.
 */
public final class SafetensorsWriter implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUFFER_BYTES = 4 << 20;

  private final Path path;
  private final List<TensorSpec> plan;
  private final FileChannel channel;
  private final MessageDigest digest;
  private final ByteBuffer buffer =
      ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private int next;
  private long written;

  public SafetensorsWriter(Path path, List<TensorSpec> plan, Map<String, String> metadata)
      throws IOException {
    this.path = path;
    this.plan = List.copyOf(plan);
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    byte[] header = header(this.plan, metadata);
    ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(header.length).put(header).flip();
    emit(head);
  }

  /**
   * The JSON header, padded with spaces to a multiple of 8 bytes so that the data section is
   * aligned.
   */
  static byte[] header(List<TensorSpec> plan, Map<String, String> metadata) {
    Map<String, Object> root = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      root.put("__metadata__", metadata);
    }
    long offset = 0;
    for (TensorSpec t : plan) {
      long end = offset + t.byteSize();
      root.put(
          t.name(),
          Map.of(
              "dtype", t.dtype().name(), "shape", t.shape(), "data_offsets", List.of(offset, end)));
      offset = end;
    }
    try {
      String json = JSON.writeValueAsString(root);
      int pad = (8 - (json.getBytes(StandardCharsets.UTF_8).length % 8)) % 8;
      return (json + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private TensorSpec expect(String name) {
    if (next >= plan.size() || !plan.get(next).name().equals(name)) {
      throw new IllegalStateException(
          path
              + ": expected tensor "
              + (next < plan.size() ? "'" + plan.get(next).name() + "'" : "none")
              + " next, got '"
              + name
              + "'");
    }
    return plan.get(next++);
  }

  /**
   * Encodes and writes the next tensor of the plan from floats, rounding to nearest even for 16-bit
   * types.
   */
  public void writeFloats(String name, float[] data) throws IOException {
    TensorSpec spec = expect(name);
    if (spec.numel() != data.length) {
      throw new IllegalStateException(
          path
              + ": tensor '"
              + name
              + "' planned with "
              + spec.numel()
              + " elements, got "
              + data.length);
    }
    int es = spec.dtype().size();
    int perChunk = BUFFER_BYTES / es;
    for (int from = 0; from < data.length; from += perChunk) {
      int n = Math.min(perChunk, data.length - from);
      buffer.clear();
      encode(spec.dtype(), data, from, n, buffer);
      buffer.position(n * es).flip();
      emit(buffer);
    }
  }

  /** Writes the next tensor of the plan from its raw bytes (a tensor passed through unchanged). */
  public void writeRaw(String name, ByteBuffer data) throws IOException {
    TensorSpec spec = expect(name);
    if (spec.byteSize() != data.remaining()) {
      throw new IllegalStateException(
          path
              + ": tensor '"
              + name
              + "' planned with "
              + spec.byteSize()
              + " bytes, got "
              + data.remaining());
    }
    while (data.hasRemaining()) {
      ByteBuffer slice = data.slice();
      int n = Math.min(slice.remaining(), BUFFER_BYTES);
      slice.limit(n);
      emit(slice);
      data.position(data.position() + n);
    }
  }

  static void encode(DType dtype, float[] src, int from, int n, ByteBuffer dst) {
    switch (dtype) {
      case F32 -> dst.asFloatBuffer().put(src, from, n);
      case BF16 -> {
        var s = dst.asShortBuffer();
        for (int i = 0; i < n; i++) {
          s.put(i, Floats.floatToBf16(src[from + i]));
        }
      }
      case F16 -> {
        var s = dst.asShortBuffer();
        for (int i = 0; i < n; i++) {
          s.put(i, Float.floatToFloat16(src[from + i]));
        }
      }
      case F64 -> {
        var s = dst.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          s.put(i, src[from + i]);
        }
      }
      default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
    }
  }

  private void emit(ByteBuffer buf) throws IOException {
    digest.update(buf.duplicate());
    while (buf.hasRemaining()) {
      written += channel.write(buf);
    }
  }

  /**
   * Closes the file once every planned tensor was written; its sha256 covers exactly the bytes
   * written.
   */
  public WrittenFile finish() throws IOException {
    if (next != plan.size()) {
      throw new IllegalStateException(
          path + ": " + (plan.size() - next) + " planned tensors were not written");
    }
    channel.close();
    return new WrittenFile(
        path.getFileName().toString(), written, HexFormat.of().formatHex(digest.digest()));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
