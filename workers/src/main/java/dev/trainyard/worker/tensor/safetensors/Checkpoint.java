package dev.trainyard.worker.tensor.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Hugging Face checkpoint directory opened for reading: {@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json}, plus {@code config.json}. Every shard header is
 * checked on open.
 */
public final class Checkpoint implements AutoCloseable {
  public static final String INDEX = "model.safetensors.index.json";
  public static final String SINGLE = "model.safetensors";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where one tensor lives. */
  public record Entry(SafetensorsFile file, TensorInfo info) {
    public float[] readFloats() throws IOException {
      return file.readFloats(info);
    }
  }

  private final Path dir;
  private final List<SafetensorsFile> files;
  private final Map<String, Entry> tensors;
  private final ObjectNode config;

  private Checkpoint(
      Path dir, List<SafetensorsFile> files, Map<String, Entry> tensors, ObjectNode config) {
    this.dir = dir;
    this.files = files;
    this.tensors = tensors;
    this.config = config;
  }

  public static Checkpoint open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new SafetensorsException(dir, "not a checkpoint directory");
    }
    List<SafetensorsFile> files = new ArrayList<>();
    try {
      Map<String, Entry> tensors = new LinkedHashMap<>();
      Path index = dir.resolve(INDEX);
      if (Files.isRegularFile(index)) {
        Map<String, String> weightMap = weightMap(index);
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        for (String shard : new java.util.LinkedHashSet<>(weightMap.values())) {
          Path p = dir.resolve(shard).normalize();
          if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
            throw new SafetensorsException(index, "shard '" + shard + "' is missing");
          }
          SafetensorsFile f = SafetensorsFile.open(p);
          files.add(f);
          byName.put(shard, f);
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
          SafetensorsFile f = byName.get(e.getValue());
          TensorInfo info = f.tensors().get(e.getKey());
          if (info == null) {
            throw new SafetensorsException(
                f.path(),
                "tensor '" + e.getKey() + "' listed in " + INDEX + " is not in this shard");
          }
          tensors.put(e.getKey(), new Entry(f, info));
        }
      } else {
        List<Path> shards;
        try (Stream<Path> list = Files.list(dir)) {
          shards =
              list.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                  .sorted()
                  .toList();
        }
        if (shards.isEmpty()) {
          throw new SafetensorsException(dir, "no *.safetensors file and no " + INDEX);
        }
        for (Path p : shards) {
          SafetensorsFile f = SafetensorsFile.open(p);
          files.add(f);
          for (TensorInfo info : f.tensors().values()) {
            Entry previous = tensors.put(info.name(), new Entry(f, info));
            if (previous != null) {
              throw new SafetensorsException(
                  p, "tensor '" + info.name() + "' is also in " + previous.file().path());
            }
          }
        }
      }
      return new Checkpoint(
          dir, List.copyOf(files), Collections.unmodifiableMap(tensors), readConfig(dir));
    } catch (IOException | RuntimeException e) {
      for (SafetensorsFile f : files) {
        f.close();
      }
      throw e;
    }
  }

  private static Map<String, String> weightMap(Path index) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(index));
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(index, "bad JSON: " + e.getOriginalMessage());
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new SafetensorsException(index, "no weight_map object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().isTextual()) {
        throw new SafetensorsException(
            index, "weight_map['" + e.getKey() + "'] is not a file name");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static ObjectNode readConfig(Path dir) throws IOException {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(Files.readString(config));
      if (!(node instanceof ObjectNode o)) {
        throw new SafetensorsException(config, "not a JSON object");
      }
      return o;
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(config, "bad JSON: " + e.getOriginalMessage());
    }
  }

  public Path dir() {
    return dir;
  }

  /** Tensors in file order. */
  public Map<String, Entry> tensors() {
    return tensors;
  }

  public Entry entry(String name) {
    Entry e = tensors.get(name);
    if (e == null) {
      throw new SafetensorsException(dir, "no tensor '" + name + "'");
    }
    return e;
  }

  /** A copy of {@code config.json}, if the checkpoint has one. */
  public Optional<ObjectNode> config() {
    return Optional.ofNullable(config).map(ObjectNode::deepCopy);
  }

  @Override
  public void close() throws IOException {
    for (SafetensorsFile f : files) {
      f.close();
    }
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
