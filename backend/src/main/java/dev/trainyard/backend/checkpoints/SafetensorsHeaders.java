package dev.trainyard.backend.checkpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.intake.Intake.Issue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads only the header of a safetensors file (an 8-byte little-endian length, then that much
 * JSON): each tensor's dtype and shape, checked against the file's size, never its data. The
 * backend cannot use the worker's tensor engine (WorkerImportsTest), and the header is all an
 * import needs.
 */
final class SafetensorsHeaders {
  private SafetensorsHeaders() {}

  /** The format's own bound on the header (the safetensors crate refuses larger ones). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  /** safetensors dtype → bytes per element and the name torch gives it. */
  private static final Map<String, Object[]> DTYPES =
      Map.ofEntries(
          Map.entry("BOOL", new Object[] {1, "bool"}),
          Map.entry("U8", new Object[] {1, "uint8"}),
          Map.entry("I8", new Object[] {1, "int8"}),
          Map.entry("F8_E4M3", new Object[] {1, "float8_e4m3fn"}),
          Map.entry("F8_E5M2", new Object[] {1, "float8_e5m2"}),
          Map.entry("I16", new Object[] {2, "int16"}),
          Map.entry("U16", new Object[] {2, "uint16"}),
          Map.entry("F16", new Object[] {2, "float16"}),
          Map.entry("BF16", new Object[] {2, "bfloat16"}),
          Map.entry("I32", new Object[] {4, "int32"}),
          Map.entry("U32", new Object[] {4, "uint32"}),
          Map.entry("F32", new Object[] {4, "float32"}),
          Map.entry("I64", new Object[] {8, "int64"}),
          Map.entry("U64", new Object[] {8, "uint64"}),
          Map.entry("F64", new Object[] {8, "float64"}));

  /** One tensor as its header describes it; {@code dtype} is torch's name ({@code bfloat16}). */
  record Tensor(String name, String dtype, long elements) {}

  /**
   * The tensors of the file, or null with every problem added (at {@code <path>} or {@code
   * <path>:<tensor>}).
   */
  static List<Tensor> read(Path file, String path, ObjectMapper json, List<Issue> problems)
      throws IOException {
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = channel.size();
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      if (size < 8 || readFully(channel, lengthBytes, 0) < 8) {
        problems.add(
            new Issue(path, "not a safetensors file: shorter than its 8-byte header length"));
        return null;
      }
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
        problems.add(
            new Issue(
                path,
                "not a safetensors file: a header length of "
                    + headerLength
                    + " bytes in a file of "
                    + size));
        return null;
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        header = json.readTree(headerBytes.array());
      } catch (IOException e) {
        problems.add(new Issue(path, "not a safetensors file: its header is not JSON"));
        return null;
      }
      if (header == null || !header.isObject()) {
        problems.add(new Issue(path, "not a safetensors file: its header is not a JSON object"));
        return null;
      }
      long dataBytes = size - 8 - headerLength;
      int before = problems.size();
      List<Tensor> tensors = new ArrayList<>();
      for (var field : header.properties()) {
        if (field.getKey().equals("__metadata__")) {
          continue;
        }
        Tensor t = tensor(field.getKey(), field.getValue(), dataBytes, path, problems);
        if (t != null) {
          tensors.add(t);
        }
      }
      return problems.size() == before ? tensors : null;
    }
  }

  private static Tensor tensor(
      String name, JsonNode info, long dataBytes, String path, List<Issue> problems) {
    String at = path + ":" + name;
    Object[] dtype = info.path("dtype").isTextual() ? DTYPES.get(info.get("dtype").asText()) : null;
    if (dtype == null) {
      problems.add(
          new Issue(at, "dtype '" + info.path("dtype").asText() + "' is not a safetensors dtype"));
      return null;
    }
    JsonNode shape = info.path("shape");
    JsonNode offsets = info.path("data_offsets");
    if (!shape.isArray() || !offsets.isArray() || offsets.size() != 2) {
      problems.add(new Issue(at, "needs a shape and two data_offsets"));
      return null;
    }
    long elements = 1;
    try {
      for (JsonNode d : shape) {
        if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
          problems.add(new Issue(at, "shape " + shape + " is not a list of sizes"));
          return null;
        }
        elements = Math.multiplyExact(elements, d.asLong());
      }
      long begin = offsets.get(0).asLong(-1);
      long end = offsets.get(1).asLong(-1);
      long bytes = Math.multiplyExact(elements, (long) (int) dtype[0]);
      if (begin < 0 || end < begin || end > dataBytes || end - begin != bytes) {
        problems.add(
            new Issue(
                at,
                "data_offsets "
                    + offsets
                    + " do not hold "
                    + bytes
                    + " bytes of shape "
                    + shape
                    + " inside the file's "
                    + dataBytes
                    + " data bytes"));
        return null;
      }
    } catch (ArithmeticException e) {
      problems.add(new Issue(at, "shape " + shape + " is too large"));
      return null;
    }
    return new Tensor(name, (String) dtype[1], elements);
  }

  private static int readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    int total = 0;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }
}
