package dev.trainyard.worker.tensor.moe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checkpoint in the Mixtral hub layout, checked: per layer a router {@code
 * block_sparse_moe.gate.weight} [experts, hidden] and per expert {@code w1}, {@code w3} [ffn,
 * hidden] and {@code w2} [hidden, ffn]. A layer's expert count is {@code layer_experts[i]} when
 * config.json has that key (a checkpoint pruned to different counts per layer), else {@code
 * num_local_experts}.
 *
 * @param experts experts of each layer
 * @param ffn each layer's expert width (rows of w1)
 */
public record MixtralLayout(ObjectNode config, int hidden, int[] experts, int[] ffn) {
  static final Pattern EXPERT =
      Pattern.compile(
          "^model\\.layers\\.(\\d+)\\.block_sparse_moe\\.experts\\.(\\d+)\\.(w1|w2|w3)\\.weight$");
  static final Pattern GATE =
      Pattern.compile("^model\\.layers\\.(\\d+)\\.block_sparse_moe\\.gate\\.weight$");

  /** The three weights of an expert, in the order they are written. */
  static final List<String> WEIGHTS = List.of("w1", "w2", "w3");

  public int layers() {
    return experts.length;
  }

  static String gate(int layer) {
    return "model.layers." + layer + ".block_sparse_moe.gate.weight";
  }

  static String expert(int layer, int expert, String w) {
    return "model.layers." + layer + ".block_sparse_moe.experts." + expert + "." + w + ".weight";
  }

  /**
   * Reads and checks the layout; every problem is listed under {@code field} (the step field that
   * named the checkpoint), and a dense checkpoint is refused as such.
   *
   * @param method the method reading it, for the messages
   */
  public static MixtralLayout of(Checkpoint model, String field, String method) {
    String where = field + " (" + model.dir() + ")";
    ObjectNode config =
        model
            .config()
            .orElseThrow(
                () ->
                    new InvalidCheckpointException(
                        List.of(where + ": has no config.json; " + method + " needs a Mixtral")));
    if (!config.has("num_local_experts")) {
      throw new InvalidCheckpointException(
          List.of(
              where
                  + ": is a dense "
                  + config.path("model_type").asText("?")
                  + " checkpoint (no num_local_experts); "
                  + method
                  + " needs a Mixtral mixture of experts (upcycle a dense model first)"));
    }
    List<String> problems = new ArrayList<>();
    String type = config.path("model_type").asText("");
    if (!type.equals("mixtral")) {
      problems.add(where + ": model_type '" + type + "' is not mixtral");
    }
    int layers = config.path("num_hidden_layers").asInt(-1);
    int hidden = config.path("hidden_size").asInt(-1);
    if (layers < 1 || hidden < 1) {
      problems.add(where + ": config.json needs num_hidden_layers and hidden_size");
      throw new InvalidCheckpointException(problems);
    }
    int[] experts = new int[layers];
    JsonNode perLayer = config.get("layer_experts");
    if (perLayer != null && !perLayer.isNull()) {
      if (!perLayer.isArray() || perLayer.size() != layers) {
        problems.add(where + ": config.json layer_experts must list one count per layer");
        throw new InvalidCheckpointException(problems);
      }
      for (int i = 0; i < layers; i++) {
        experts[i] = perLayer.get(i).asInt(-1);
      }
    } else {
      Arrays.fill(experts, config.path("num_local_experts").asInt(-1));
    }
    int[] ffn = new int[layers];
    for (int i = 0; i < layers; i++) {
      if (experts[i] < 1) {
        problems.add(where + ": layer " + i + " has no experts in config.json");
        continue;
      }
      expect(model, gate(i), experts[i], hidden, where, problems);
      TensorInfo w1 = info(model, expert(i, 0, "w1"));
      ffn[i] = w1 != null && w1.rank() == 2 ? (int) w1.dim(0) : -1;
      for (int j = 0; j < experts[i] && ffn[i] > 0; j++) {
        expect(model, expert(i, j, "w1"), ffn[i], hidden, where, problems);
        expect(model, expert(i, j, "w3"), ffn[i], hidden, where, problems);
        expect(model, expert(i, j, "w2"), hidden, ffn[i], where, problems);
      }
      if (ffn[i] <= 0) {
        problems.add(where + ": missing tensor " + expert(i, 0, "w1"));
      }
    }
    for (String name : model.tensors().keySet()) {
      Matcher m = EXPERT.matcher(name);
      if (m.matches()) {
        int layer = Integer.parseInt(m.group(1));
        if (layer >= layers || Integer.parseInt(m.group(2)) >= experts[layer]) {
          problems.add(where + ": tensor " + name + " is beyond the experts config.json declares");
        }
      } else if (name.contains(".mlp.")) {
        problems.add(where + ": tensor " + name + " is a dense MLP, not a Mixtral expert");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidCheckpointException(
          problems.size() > 20 ? new ArrayList<>(problems.subList(0, 20)) : problems);
    }
    return new MixtralLayout(config, hidden, experts, ffn);
  }

  private static TensorInfo info(Checkpoint model, String name) {
    Checkpoint.Entry e = model.tensors().get(name);
    return e == null ? null : e.info();
  }

  private static void expect(
      Checkpoint model, String name, long rows, long cols, String where, List<String> problems) {
    TensorInfo i = info(model, name);
    if (i == null) {
      problems.add(where + ": missing tensor " + name);
    } else if (!i.dtype().isFloat() || !Arrays.equals(i.shape(), new long[] {rows, cols})) {
      problems.add(
          where
              + ": tensor "
              + name
              + " is "
              + i.dtype()
              + " "
              + i.shapeText()
              + ", expected a float ["
              + rows
              + ", "
              + cols
              + "]");
    }
  }

  /**
   * The routing-profile contract's {@code router_fingerprint}: sha256 (lowercase hex) of every
   * layer's router weight as float32, row-major, little-endian, layer 0 first.
   */
  public static String routerFingerprint(Checkpoint model, int layers) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < layers; i++) {
      float[] w = model.entry(gate(i)).readFloats();
      ByteBuffer b = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(w);
      sha.update(b.array());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * The config of the model with {@code counts} experts per layer: {@code num_local_experts} the
   * largest, {@code layer_experts} only when they differ (a uniform model is one transformers
   * loads), and {@code num_experts_per_tok} at most the smallest count.
   */
  ObjectNode withExperts(int[] counts) {
    ObjectNode out = config.deepCopy();
    int max = Arrays.stream(counts).max().orElse(0);
    int min = Arrays.stream(counts).min().orElse(0);
    out.put("num_local_experts", max);
    if (min == max) {
      out.remove("layer_experts");
    } else {
      ArrayNode list = out.putArray("layer_experts");
      for (int c : counts) {
        list.add(c);
      }
    }
    int topK = config.path("num_experts_per_tok").asInt(2);
    out.put("num_experts_per_tok", Math.min(topK, min));
    return out;
  }
}
