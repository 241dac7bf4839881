package dev.trainyard.backend.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Tiny Hugging Face checkpoint folders written by hand, as transformers' {@code save_pretrained}
 * lays them out: config.json, safetensors files (an 8-byte little-endian header length, the header
 * JSON, then the tensors' bytes), an index for sharded weights, tokenizer files.
 */
public final class HfFolders {
  private HfFolders() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A tensor to write: its safetensors dtype ({@code F32}, {@code BF16}) and shape. */
  public record Tensor(String dtype, long... shape) {
    long elements() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    int bytesPerElement() {
      return switch (dtype) {
        case "F32", "I32" -> 4;
        case "BF16", "F16" -> 2;
        case "F64", "I64" -> 8;
        default -> 1;
      };
    }
  }

  /** The tensors of a two-layer toy llama in one dtype: 2·(8·8) + 32·8 + 8 = 392 parameters. */
  public static Map<String, Tensor> toyTensors(String dtype) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", new Tensor(dtype, 32, 8));
    t.put("model.layers.0.self_attn.q_proj.weight", new Tensor(dtype, 8, 8));
    t.put("model.layers.1.self_attn.q_proj.weight", new Tensor(dtype, 8, 8));
    t.put("model.norm.weight", new Tensor(dtype, 8));
    return t;
  }

  public static final long TOY_PARAMETERS = 32 * 8 + 2 * 64 + 8;

  /** A config.json with a fresh {@code fixture} key, so every folder is new content. */
  public static void config(Path dir, String modelType) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("config.json"),
        JSON.writeValueAsString(
            Map.of(
                "fixture",
                java.util.UUID.randomUUID().toString(),
                "model_type",
                modelType,
                "architectures",
                List.of("LlamaForCausalLM"),
                "vocab_size",
                32,
                "hidden_size",
                8,
                "num_hidden_layers",
                2,
                "num_attention_heads",
                2,
                "num_key_value_heads",
                1,
                "intermediate_size",
                16)));
  }

  /**
   * Writes a safetensors file; each element's bytes come from {@code seed}, so different seeds give
   * different content (and ids).
   */
  public static void safetensors(Path file, Map<String, Tensor> tensors, int seed)
      throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    long offset = 0;
    for (var e : tensors.entrySet()) {
      long bytes = e.getValue().elements() * e.getValue().bytesPerElement();
      header.put(
          e.getKey(),
          Map.of(
              "dtype",
              e.getValue().dtype(),
              "shape",
              e.getValue().shape(),
              "data_offsets",
              List.of(offset, offset + bytes)));
      offset += bytes;
    }
    header.put("__metadata__", Map.of("format", "pt"));
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded).put(json);
    for (int i = json.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (var e : tensors.entrySet()) {
      Tensor t = e.getValue();
      for (long i = 0; i < t.elements(); i++) {
        // Small finite values in every dtype: a float32 in [-0.5, 0.5), or its top half as bf16.
        float v = (float) (((i * 7919 + seed * 104729L) % 1000) / 1000.0 - 0.5);
        int bits = Float.floatToIntBits(v);
        switch (t.dtype()) {
          case "F32" -> out.putInt(bits);
          case "BF16" -> out.putShort((short) (bits >>> 16));
          default -> {
            for (int b = 0; b < t.bytesPerElement(); b++) {
              out.put((byte) (i + seed));
            }
          }
        }
      }
    }
    Files.createDirectories(file.getParent());
    Files.write(file, out.array());
  }

  /** A folder with config.json and one model.safetensors. */
  public static Path single(Path dir, String modelType, String dtype, int seed) throws IOException {
    config(dir, modelType);
    safetensors(dir.resolve("model.safetensors"), toyTensors(dtype), seed);
    return dir;
  }

  /**
   * A folder with config.json, model.safetensors.index.json and two shards (the first two tensors
   * in shard 1, the rest in shard 2).
   */
  public static Path sharded(Path dir, String modelType, String dtype, int seed)
      throws IOException {
    config(dir, modelType);
    Map<String, Tensor> all = toyTensors(dtype);
    Map<String, Tensor> first = new LinkedHashMap<>();
    Map<String, Tensor> second = new LinkedHashMap<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    int i = 0;
    for (var e : all.entrySet()) {
      String shard =
          i++ < 2 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
      (shard.contains("00001-") ? first : second).put(e.getKey(), e.getValue());
      weightMap.put(e.getKey(), shard);
    }
    safetensors(dir.resolve("model-00001-of-00002.safetensors"), first, seed);
    safetensors(dir.resolve("model-00002-of-00002.safetensors"), second, seed + 1);
    Files.writeString(
        dir.resolve("model.safetensors.index.json"),
        JSON.writeValueAsString(Map.of("metadata", Map.of(), "weight_map", weightMap)));
    return dir;
  }

  /** A tokenizer.json (its content only needs to exist here) and a tokenizer_config.json. */
  public static void hfTokenizer(Path dir, String chatTemplate) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": {}}");
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    if (chatTemplate != null) {
      config.put("chat_template", chatTemplate);
    }
    Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
  }

  /** Trainyard's byte tokenizer, as the trainer marks it. */
  public static void byteTokenizer(Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": {}}");
    Files.writeString(
        dir.resolve("tokenizer_config.json"), "{\"trainyard_tokenizer\": \"byte-v1\"}");
  }

  /** The folder as a tar, its files under {@code top/} when top is given. */
  public static byte[] tar(Path dir, String top) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);
        Stream<Path> files = Files.walk(dir)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        String name = dir.relativize(file).toString();
        byte[] content = Files.readAllBytes(file);
        TarArchiveEntry entry = new TarArchiveEntry(top == null ? name : top + "/" + name);
        entry.setSize(content.length);
        out.putArchiveEntry(entry);
        out.write(content);
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  public static String uri(Path dir) {
    return dir.toUri().toString().replaceAll("/$", "");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
