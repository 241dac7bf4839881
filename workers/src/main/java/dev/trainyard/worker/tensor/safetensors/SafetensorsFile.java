package dev.trainyard.worker.tensor.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header is parsed and checked completely on open, so
 * that corrupt input is refused before any work starts; tensor data is memory-mapped on access,
 * never copied onto the heap except into the caller's float array.
 */
public final class SafetensorsFile implements AutoCloseable {
  /**
   * The reference implementation's limit; a larger header is corruption or an attack, not a model.
   */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  /** Regions mapped at once; a mapping is limited to 2 GiB and large tensors are read piecewise. */
  private static final long MAP_CHUNK = 1L << 30;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  public static SafetensorsFile open(Path path) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      return parse(path, channel);
    } catch (RuntimeException | IOException e) {
      channel.close();
      throw e;
    }
  }

  private static SafetensorsFile parse(Path path, FileChannel channel) throws IOException {
    long size = channel.size();
    if (size < 8) {
      throw new SafetensorsException(
          path, "truncated: " + size + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, lenBuf, 0);
    long headerLen = lenBuf.flip().getLong();
    if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
      throw new SafetensorsException(
          path,
          "header too large: "
              + Long.toUnsignedString(headerLen)
              + " bytes (limit "
              + MAX_HEADER_BYTES
              + ")");
    }
    if (8 + headerLen > size) {
      throw new SafetensorsException(
          path,
          "truncated: header says "
              + headerLen
              + " bytes but the file has only "
              + (size - 8)
              + " after the length");
    }
    ByteBuffer header = ByteBuffer.allocate((int) headerLen);
    readFully(channel, header, 8);
    JsonNode root;
    try {
      root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(path, "bad JSON header: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(path, "bad JSON header: not an object");
    }
    long dataStart = 8 + headerLen;
    long dataLen = size - dataStart;
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        if (!e.getValue().isObject()) {
          throw new SafetensorsException(path, "bad JSON header: __metadata__ is not an object");
        }
        e.getValue()
            .fields()
            .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      tensors.put(e.getKey(), entry(path, e.getKey(), e.getValue(), dataLen));
    }
    List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    TensorInfo previous = null;
    for (TensorInfo t : byOffset) {
      if (previous != null && t.begin() < previous.end()) {
        throw new SafetensorsException(
            path,
            "tensor '"
                + t.name()
                + "' data ["
                + t.begin()
                + ", "
                + t.end()
                + ") overlaps tensor '"
                + previous.name()
                + "' ["
                + previous.begin()
                + ", "
                + previous.end()
                + ")");
      }
      previous = t;
    }
    return new SafetensorsFile(
        path,
        channel,
        dataStart,
        Collections.unmodifiableMap(tensors),
        Collections.unmodifiableMap(metadata));
  }

  private static TensorInfo entry(Path path, String name, JsonNode node, long dataLen) {
    String where = "tensor '" + name + "': ";
    if (!node.isObject()) {
      throw new SafetensorsException(path, where + "header entry is not an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offsets = node.get("data_offsets");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new SafetensorsException(path, where + "missing dtype");
    }
    DType dtype =
        DType.parse(dtypeNode.asText())
            .orElseThrow(
                () ->
                    new SafetensorsException(
                        path, where + "unknown dtype '" + dtypeNode.asText() + "'"));
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new SafetensorsException(path, where + "missing shape");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new SafetensorsException(path, where + "bad shape " + shapeNode);
      }
      shape[i] = d.asLong();
    }
    if (offsets == null
        || !offsets.isArray()
        || offsets.size() != 2
        || !offsets.get(0).isIntegralNumber()
        || !offsets.get(1).isIntegralNumber()) {
      throw new SafetensorsException(path, where + "data_offsets must be [begin, end]");
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new SafetensorsException(path, where + "bad data_offsets [" + begin + ", " + end + "]");
    }
    if (end > dataLen) {
      throw new SafetensorsException(
          path,
          where
              + "data_offsets ["
              + begin
              + ", "
              + end
              + "] out of range: the data section has "
              + dataLen
              + " bytes (truncated file?)");
    }
    long numel;
    try {
      numel = TensorInfo.numel(shape);
      long expected = Math.multiplyExact(numel, (long) dtype.size());
      if (expected != end - begin) {
        throw new SafetensorsException(
            path,
            where
                + "dtype/shape mismatch: "
                + dtype
                + " "
                + shapeNode
                + " needs "
                + expected
                + " bytes but data_offsets span "
                + (end - begin));
      }
    } catch (ArithmeticException overflow) {
      throw new SafetensorsException(
          path, where + "dtype/shape mismatch: shape " + shapeNode + " overflows");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static void readFully(FileChannel channel, ByteBuffer buf, long position)
      throws IOException {
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      position += n;
    }
  }

  public Path path() {
    return path;
  }

  /** Tensors in header order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public TensorInfo info(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new SafetensorsException(path, "no tensor '" + name + "'");
    }
    return t;
  }

  /**
   * Decodes elements {@code [from, from + count)} of a float tensor into {@code dst[dstOffset..]}.
   * Safe to call from several threads at once.
   */
  public void readFloats(TensorInfo t, long from, float[] dst, int dstOffset, int count)
      throws IOException {
    if (!t.dtype().isFloat()) {
      throw new SafetensorsException(
          path, "tensor '" + t.name() + "' has dtype " + t.dtype() + ", not a float type");
    }
    int es = t.dtype().size();
    long perMap = MAP_CHUNK / es;
    int done = 0;
    while (done < count) {
      int n = (int) Math.min(count - done, perMap);
      MappedByteBuffer map =
          channel.map(
              FileChannel.MapMode.READ_ONLY,
              dataStart + t.begin() + (from + done) * es,
              (long) n * es);
      int base = dstOffset + done;
      dev.trainyard.worker.tensor.Parallel.forRange(
          n,
          (a, b) ->
              decode(
                  t.dtype(),
                  map.slice(a * es, (b - a) * es).order(ByteOrder.LITTLE_ENDIAN),
                  dst,
                  base + a,
                  b - a));
      done += n;
    }
  }

  /** Decodes elements {@code [from, from + count)} of one float tensor; safe from any thread. */
  @FunctionalInterface
  public interface FloatSource {
    void read(int from, float[] dst, int dstOffset, int count);
  }

  /**
   * A float tensor mapped once and decoded piece by piece where it is used, so that a caller that
   * only streams over it (a linear merge) needs no array of the whole input; empty when the tensor
   * is larger than one mapping.
   */
  public java.util.Optional<FloatSource> source(TensorInfo t) throws IOException {
    if (!t.dtype().isFloat() || t.byteSize() > MAP_CHUNK) {
      return java.util.Optional.empty();
    }
    int es = t.dtype().size();
    DType dtype = t.dtype();
    MappedByteBuffer map =
        channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize());
    return java.util.Optional.of(
        (from, dst, off, count) ->
            decode(
                dtype,
                map.slice(from * es, count * es).order(ByteOrder.LITTLE_ENDIAN),
                dst,
                off,
                count));
  }

  /** The whole float tensor as a new array. */
  public float[] readFloats(TensorInfo t) throws IOException {
    long n = t.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new SafetensorsException(
          path, "tensor '" + t.name() + "' has " + n + " elements, more than one array holds");
    }
    float[] out = new float[(int) n];
    readFloats(t, 0, out, 0, (int) n);
    return out;
  }

  /** The raw bytes of a tensor as a read-only mapping (for tensors passed through unchanged). */
  public ByteBuffer mapRaw(TensorInfo t, long fromByte, long length) throws IOException {
    return channel
        .map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + fromByte, length)
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  static void decode(DType dtype, ByteBuffer src, float[] dst, int off, int n) {
    switch (dtype) {
      case F32 -> src.asFloatBuffer().get(dst, off, n);
      case BF16 -> {
        var s = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16);
        }
      }
      case F16 -> {
        var s = src.asShortBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = Float.float16ToFloat(s.get(i));
        }
      }
      case F64 -> {
        var s = src.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) s.get(i);
        }
      }
      default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return path.toString();
  }
}
