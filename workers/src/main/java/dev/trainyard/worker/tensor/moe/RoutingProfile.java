package dev.trainyard.worker.tensor.moe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code routing-profile} artifact ({@code profile.json}, format {@value #FORMAT}, written by
 * {@code route-stats}), checked against the checkpoint it is applied to: a profile is only
 * meaningful for the router it measured, so one whose router fingerprint, layer count or expert
 * counts differ is refused as "a profile from another model".
 */
public record RoutingProfile(List<Layer> layers) {
  public static final String FORMAT = "trainyard.routing-profile/v1";
  public static final String FILE = "profile.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One layer's statistics, per expert.
   *
   * @param frequency share of tokens whose top-k contains the expert
   * @param gateNorm {@code gate_weighted_output_norm}
   * @param similarity {@code router_logit_similarity} [experts × experts]
   */
  public record Layer(double[] frequency, double[] gateNorm, double[][] similarity) {}

  /**
   * Reads the profile at {@code path} (the artifact dir holding {@value #FILE}, or the file) and
   * checks it against {@code model}; problems are reported under {@code field}.
   */
  public static RoutingProfile read(Path path, String field, Checkpoint model, MixtralLayout layout)
      throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve(FILE) : path;
    String where = field + " (" + path + ")";
    if (!Files.isRegularFile(file)) {
      throw new InvalidCheckpointException(
          List.of(where + ": has no " + FILE + "; is it a route-stats output?"));
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidCheckpointException(
          List.of(where + ": " + FILE + " is not valid JSON: " + e.getMessage()));
    }
    if (!FORMAT.equals(root.path("format").asText())) {
      throw new InvalidCheckpointException(
          List.of(
              where
                  + ": format is '"
                  + root.path("format").asText()
                  + "', expected '"
                  + FORMAT
                  + "'"));
    }
    JsonNode m = root.path("model");
    String other = where + ": a profile from another model";
    int layers = m.path("num_hidden_layers").asInt(-1);
    if (layers != layout.layers()) {
      throw new InvalidCheckpointException(
          List.of(other + ": it has " + layers + " layers, the checkpoint " + layout.layers()));
    }
    int[] experts = new int[layers];
    JsonNode perLayer = m.path("layer_experts");
    for (int i = 0; i < layers; i++) {
      experts[i] =
          perLayer.isArray() && perLayer.size() == layers
              ? perLayer.get(i).asInt(-1)
              : m.path("num_local_experts").asInt(-1);
    }
    if (!Arrays.equals(experts, layout.experts())) {
      throw new InvalidCheckpointException(
          List.of(
              other
                  + ": it has "
                  + Arrays.toString(experts)
                  + " experts per layer, the checkpoint "
                  + Arrays.toString(layout.experts())));
    }
    String fingerprint = m.path("router_fingerprint").asText("");
    String actual = MixtralLayout.routerFingerprint(model, layers);
    if (!fingerprint.equalsIgnoreCase(actual)) {
      throw new InvalidCheckpointException(
          List.of(
              other
                  + ": its router fingerprint "
                  + abbreviate(fingerprint)
                  + " is not this checkpoint's "
                  + abbreviate(actual)
                  + " (profile the model you prune or merge)"));
    }
    JsonNode list = root.path("layers");
    List<String> problems = new ArrayList<>();
    List<Layer> out = new ArrayList<>();
    if (!list.isArray() || list.size() != layers) {
      throw new InvalidCheckpointException(
          List.of(where + ": needs one entry per layer in layers"));
    }
    for (int i = 0; i < layers; i++) {
      JsonNode l = list.get(i);
      String at = where + ": layers[" + i + "].";
      out.add(
          new Layer(
              vector(l.get("frequency"), experts[i], at + "frequency", problems),
              vector(
                  l.get("gate_weighted_output_norm"),
                  experts[i],
                  at + "gate_weighted_output_norm",
                  problems),
              matrix(
                  l.get("router_logit_similarity"),
                  experts[i],
                  at + "router_logit_similarity",
                  problems)));
    }
    if (!problems.isEmpty()) {
      throw new InvalidCheckpointException(problems);
    }
    return new RoutingProfile(out);
  }

  private static String abbreviate(String hex) {
    return hex.isEmpty() ? "(none)" : hex.substring(0, Math.min(12, hex.length())) + "…";
  }

  private static double[] vector(JsonNode node, int n, String at, List<String> problems) {
    double[] v = new double[n];
    if (node == null || !node.isArray() || node.size() != n) {
      problems.add(at + ": must list " + n + " numbers, one per expert");
      return v;
    }
    for (int j = 0; j < n; j++) {
      if (!node.get(j).isNumber() || !Double.isFinite(node.get(j).asDouble())) {
        problems.add(at + "[" + j + "]: must be a finite number");
      }
      v[j] = node.get(j).asDouble();
    }
    return v;
  }

  private static double[][] matrix(JsonNode node, int n, String at, List<String> problems) {
    double[][] m = new double[n][];
    if (node == null || !node.isArray() || node.size() != n) {
      problems.add(at + ": must be " + n + " × " + n);
      for (int i = 0; i < n; i++) {
        m[i] = new double[n];
      }
      return m;
    }
    for (int i = 0; i < n; i++) {
      m[i] = vector(node.get(i), n, at + "[" + i + "]", problems);
    }
    return m;
  }
}
