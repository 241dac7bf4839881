package dev.trainyard.worker.tensor.upcycle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plans an upcycle: every tensor of the dense checkpoint copied as is, except each layer's {@code
 * mlp.{gate,up,down}_proj.weight}, which become {@code block_sparse_moe.experts.{j}.{w1,w3,w2}} for
 * every expert j, plus a router {@code block_sparse_moe.gate.weight} [experts, hidden] per layer.
 *
 * <p>Noise: expert 0 is always the dense MLP bit for bit; experts 1..N-1 get gaussian noise of std
 * {@code noise × std(tensor)}, from a generator seeded by (seed, tensor name, expert), so a given
 * seed gives the same checkpoint whatever the order or sharding. With noise 0 every expert is a
 * byte copy, and with renormalised top-k routing the model computes exactly the dense function.
 */
public final class Upcycler {
  private Upcycler() {}

  private static final Pattern MLP =
      Pattern.compile("^model\\.layers\\.(\\d+)\\.mlp\\.(gate_proj|up_proj|down_proj)\\.weight$");
  private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");

  /** Dense MLP projection → Mixtral expert weight (w1 gate, w3 up, w2 down). */
  private static final Map<String, String> EXPERT_NAMES =
      Map.of("gate_proj", "w1", "up_proj", "w3", "down_proj", "w2");

  /** The step body, resolved (defaults filled in by the planner). */
  public record Request(
      Path model,
      String modelRef,
      int experts,
      int topK,
      String routerInit,
      double routerStd,
      double noise,
      long seed,
      double auxLossCoef,
      long maxShardBytes) {

    public static Request parse(Map<String, Object> body, Function<String, Path> resolve) {
      List<String> errors = new ArrayList<>();
      Path model = null;
      Object ref = body.get("model");
      if (!(ref instanceof String s) || s.isBlank()) {
        errors.add("model: must name a checkpoint");
      } else {
        try {
          model = resolve.apply(s);
        } catch (IllegalArgumentException e) {
          errors.add("model: " + e.getMessage());
        }
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> config =
          body.get("config") instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of();
      var known = StepKinds.UPCYCLE.configKeys().keySet();
      for (String key : config.keySet()) {
        if (!known.contains(key)) {
          errors.add("config." + key + ": unknown key (known: " + new TreeSet<>(known) + ")");
        }
      }
      int experts = config.get("experts") instanceof Number x ? x.intValue() : -1;
      if (experts < 2 || experts > 64) {
        errors.add("config.experts: must be between 2 and 64");
      }
      int topK = config.get("top_k") instanceof Number x ? x.intValue() : -1;
      if (topK < 1 || (experts >= 2 && topK > experts)) {
        errors.add("config.top_k: must be between 1 and config.experts (" + experts + ")");
      }
      String init = String.valueOf(config.get("router_init"));
      if (!init.equals("zeros") && !init.equals("normal")) {
        errors.add("config.router_init: must be 'zeros' or 'normal'");
      }
      double std = config.get("router_std") instanceof Number x ? x.doubleValue() : Double.NaN;
      if (!(std > 0)) {
        errors.add("config.router_std: must be > 0");
      }
      double noise = config.get("noise") instanceof Number x ? x.doubleValue() : Double.NaN;
      if (!(noise >= 0)) {
        errors.add("config.noise: must be >= 0");
      }
      long seed = config.get("seed") instanceof Number x ? x.longValue() : 0;
      double aux = config.get("aux_loss_coef") instanceof Number x ? x.doubleValue() : Double.NaN;
      if (!(aux >= 0)) {
        errors.add("config.aux_loss_coef: must be >= 0");
      }
      long maxShard = config.get("max_shard_bytes") instanceof Number x ? x.longValue() : 0;
      if (maxShard <= 0) {
        errors.add("config.max_shard_bytes: must be a positive number of bytes");
      }
      if (!errors.isEmpty()) {
        throw new InvalidMergeException(errors);
      }
      return new Request(
          model, String.valueOf(ref), experts, topK, init, std, noise, seed, aux, maxShard);
    }
  }

  /** The output tensors and config; validates the checkpoint first, so a refusal writes nothing. */
  public record Plan(List<TensorPipeline.Item> items, ObjectNode config, int layers) {}

  public static Plan plan(Request r, Checkpoint model) {
    String where = "model (" + r.modelRef() + ")";
    ObjectNode config =
        model
            .config()
            .orElseThrow(
                () ->
                    new InvalidCheckpointException(
                        List.of(where + ": has no config.json, so its family is unknown")));
    List<String> problems = new ArrayList<>();
    String type = config.path("model_type").asText("");
    if (config.has("num_local_experts")) {
      problems.add(
          where
              + ": is already a mixture of experts (num_local_experts "
              + config.get("num_local_experts")
              + "); upcycle reads a dense "
              + String.join(" or ", StepKinds.UPCYCLE_SOURCES)
              + " checkpoint");
    } else if (!StepKinds.UPCYCLE_SOURCES.contains(type)) {
      problems.add(
          where
              + ": model_type '"
              + type
              + "' cannot be upcycled; supported sources: "
              + String.join(", ", StepKinds.UPCYCLE_SOURCES)
              + " (Mixtral has no attention biases or q/k norms)");
    }
    for (String flag : List.of("attention_bias", "mlp_bias")) {
      if (config.path(flag).asBoolean(false)) {
        problems.add(where + ": config " + flag + " is true; Mixtral layers have no biases");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidCheckpointException(problems);
    }

    Map<String, Checkpoint.Entry> tensors = model.tensors();
    int layers = config.path("num_hidden_layers").asInt(-1);
    if (layers < 0) {
      layers = 0;
      for (String name : tensors.keySet()) {
        Matcher m = LAYER.matcher(name);
        if (m.find()) {
          layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
      }
    }
    for (int i = 0; i < layers; i++) {
      for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
        String name = "model.layers." + i + ".mlp." + proj + ".weight";
        Checkpoint.Entry e = tensors.get(name);
        if (e == null) {
          problems.add(where + ": missing tensor " + name);
        } else if (!e.info().dtype().isFloat() || e.info().rank() != 2) {
          problems.add(where + ": tensor " + name + " is not a 2-D float matrix");
        }
      }
    }
    for (String name : tensors.keySet()) {
      if (name.contains(".mlp.") && !MLP.matcher(name).matches()) {
        problems.add(where + ": tensor " + name + " has no place in a Mixtral expert");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidCheckpointException(problems);
    }

    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : tensors.entrySet()) {
      String name = e.getKey();
      Checkpoint.Entry source = e.getValue();
      TensorInfo info = source.info();
      Matcher m = MLP.matcher(name);
      if (!m.matches()) {
        items.add(
            TensorPipeline.Item.copied(new TensorSpec(name, info.dtype(), info.shape()), source));
        continue;
      }
      String prefix = "model.layers." + m.group(1) + ".block_sparse_moe.";
      if (m.group(2).equals("gate_proj")) {
        items.add(router(r, prefix + "gate.weight", info));
      }
      String w = EXPERT_NAMES.get(m.group(2));
      for (int j = 0; j < r.experts(); j++) {
        String out = prefix + "experts." + j + "." + w + ".weight";
        TensorSpec spec = new TensorSpec(out, info.dtype(), info.shape());
        if (j == 0 || r.noise() == 0) {
          items.add(TensorPipeline.Item.copied(spec, source));
        } else {
          long expertSeed = mix(r.seed(), out);
          items.add(
              TensorPipeline.Item.computed(
                  spec, () -> addNoise(source.readFloats(), r.noise(), expertSeed)));
        }
      }
    }

    config.put("model_type", "mixtral");
    config.putArray("architectures").add("MixtralForCausalLM");
    config.put("num_local_experts", r.experts());
    config.put("num_experts_per_tok", r.topK());
    config.put("router_aux_loss_coef", r.auxLossCoef());
    config.put("output_router_logits", false);
    return new Plan(items, config, layers);
  }

  /**
   * The router [experts, hidden], in the dense MLP's dtype (gate_proj is [intermediate, hidden]).
   */
  private static TensorPipeline.Item router(Request r, String name, TensorInfo gateProj) {
    int hidden = (int) gateProj.dim(1);
    TensorSpec spec = new TensorSpec(name, gateProj.dtype(), new long[] {r.experts(), hidden});
    long routerSeed = mix(r.seed(), name);
    return TensorPipeline.Item.computed(
        spec,
        () -> {
          float[] w = new float[r.experts() * hidden];
          if (r.routerInit().equals("normal")) {
            SplittableRandom rnd = new SplittableRandom(routerSeed);
            for (int i = 0; i < w.length; i++) {
              w[i] = (float) (rnd.nextGaussian() * r.routerStd());
            }
          }
          return w;
        });
  }

  /** x + N(0, (noise · std(x))²), in place. */
  static float[] addNoise(float[] x, double noise, long seed) {
    double sum = 0;
    double sq = 0;
    for (float v : x) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = x.length == 0 ? 0 : sum / x.length;
    double std = x.length == 0 ? 0 : Math.sqrt(Math.max(0, sq / x.length - mean * mean));
    double scale = noise * std;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < x.length; i++) {
      x[i] += (float) (rnd.nextGaussian() * scale);
    }
    return x;
  }

  /** A seed per output tensor: stable across runs, orders and shardings (String.hashCode is). */
  private static long mix(long seed, String tensor) {
    long h = seed * 0x9E3779B97F4A7C15L + tensor.hashCode();
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
