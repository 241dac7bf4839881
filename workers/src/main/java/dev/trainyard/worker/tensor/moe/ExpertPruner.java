package dev.trainyard.worker.tensor.moe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.prune.PruneRequest;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;

/**
 * Task-specific expert pruning of a Mixtral ({@code prune} method {@code experts}, after UNCURL):
 * each layer keeps its k top-ranked experts, in their original order and renumbered 0..k-1; the
 * others' tensors and router rows are dropped, so the result is a smaller Mixtral whose router
 * chooses among the kept experts only. Every kept tensor is a byte copy, so k = N is the identity.
 *
 * <p>Ranking: {@code frequency} (share of the profiled tokens routed to the expert), {@code
 * gate-norm} ({@code gate_weighted_output_norm}: how much the expert adds to the layer's output on
 * those tokens), or {@code random} (the baseline: a permutation seeded by (seed, layer)). Ties keep
 * the lower index.
 */
public final class ExpertPruner {
  private ExpertPruner() {}

  /** The planned output, the rewritten config and the report section listing the kept experts. */
  public record Plan(
      List<TensorPipeline.Item> items,
      ObjectNode config,
      int[][] kept,
      Map<String, Object> report) {}

  /** Validates, ranks and plans; throws before any output is written. */
  public static Plan plan(PruneRequest r, Checkpoint model) throws IOException {
    MixtralLayout layout = MixtralLayout.of(model, "model", "method experts");
    int[] counts = counts(r.experts(), r.expertsPerLayer(), layout, "config.experts");
    RoutingProfile profile =
        r.profile() == null ? null : RoutingProfile.read(r.profile(), "profile", model, layout);
    int[][] kept = new int[layout.layers()][];
    List<Map<String, Object>> layers = new ArrayList<>();
    for (int i = 0; i < layout.layers(); i++) {
      double[] scores =
          switch (r.rankBy()) {
            case "frequency" -> profile.layers().get(i).frequency();
            case "gate-norm" -> profile.layers().get(i).gateNorm();
            default -> randomScores(r.seed(), i, layout.experts()[i]);
          };
      kept[i] = top(scores, counts[i]);
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("layer", i);
      l.put("experts_before", layout.experts()[i]);
      l.put("kept", kept[i]);
      if (profile != null) {
        l.put("scores", scores);
      }
      layers.add(l);
    }
    List<TensorPipeline.Item> items = items(model, layout, kept);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("rank_by", r.rankBy());
    report.put("experts_per_layer", counts);
    report.put("layers", layers);
    return new Plan(items, layout.withExperts(counts), kept, report);
  }

  /**
   * Experts kept per layer from {@code config.experts} (one count, or one per layer), checked
   * against the layers the model has.
   */
  static int[] counts(List<Integer> given, boolean perLayer, MixtralLayout layout, String at) {
    List<String> errors = new ArrayList<>();
    int layers = layout.layers();
    if (perLayer && given.size() != layers) {
      throw new InvalidMergeException(
          List.of(
              at + ": lists " + given.size() + " counts, but the model has " + layers + " layers"));
    }
    int[] counts = new int[layers];
    for (int i = 0; i < layers; i++) {
      counts[i] = given.get(perLayer ? i : 0);
      String path = perLayer ? at + "[" + i + "]" : at;
      if (counts[i] < 1) {
        errors.add(path + ": must be >= 1, got " + counts[i]);
      } else if (counts[i] > layout.experts()[i]) {
        errors.add(
            path
                + ": keeps "
                + counts[i]
                + " experts, but layer "
                + i
                + " has only "
                + layout.experts()[i]);
      }
      if (!perLayer && !errors.isEmpty()) {
        break; // one message for a uniform count
      }
    }
    if (!errors.isEmpty()) {
      throw new InvalidMergeException(errors);
    }
    return counts;
  }

  /** The k highest scores' indices in ascending index order (ties: the lower index ranks first). */
  static int[] top(double[] scores, int k) {
    Integer[] order = new Integer[scores.length];
    for (int j = 0; j < order.length; j++) {
      order[j] = j;
    }
    Arrays.sort(
        order, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a]) : a - b);
    int[] kept = new int[k];
    for (int j = 0; j < k; j++) {
      kept[j] = order[j];
    }
    Arrays.sort(kept);
    return kept;
  }

  private static double[] randomScores(long seed, int layer, int experts) {
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + layer);
    double[] s = new double[experts];
    for (int j = 0; j < experts; j++) {
      s[j] = rnd.nextDouble();
    }
    return s;
  }

  /**
   * Input order kept; kept experts renamed to their new index, the router sliced to the kept rows
   * (a byte copy when a layer keeps every expert).
   */
  private static List<TensorPipeline.Item> items(
      Checkpoint model, MixtralLayout layout, int[][] kept) {
    int[][] newIndex = new int[kept.length][];
    for (int i = 0; i < kept.length; i++) {
      newIndex[i] = new int[layout.experts()[i]];
      Arrays.fill(newIndex[i], -1);
      for (int n = 0; n < kept[i].length; n++) {
        newIndex[i][kept[i][n]] = n;
      }
    }
    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : model.tensors().entrySet()) {
      String name = e.getKey();
      Checkpoint.Entry source = e.getValue();
      TensorInfo info = source.info();
      Matcher expert = MixtralLayout.EXPERT.matcher(name);
      Matcher gate = MixtralLayout.GATE.matcher(name);
      if (expert.matches()) {
        int layer = Integer.parseInt(expert.group(1));
        int to = newIndex[layer][Integer.parseInt(expert.group(2))];
        if (to >= 0) {
          String out = MixtralLayout.expert(layer, to, expert.group(3));
          items.add(
              TensorPipeline.Item.copied(new TensorSpec(out, info.dtype(), info.shape()), source));
        }
      } else if (gate.matches() && kept[Integer.parseInt(gate.group(1))].length < info.dim(0)) {
        items.add(rows(name, source, kept[Integer.parseInt(gate.group(1))], info.dtype()));
      } else {
        items.add(
            TensorPipeline.Item.copied(new TensorSpec(name, info.dtype(), info.shape()), source));
      }
    }
    return items;
  }

  /** The rows {@code keep} of a 2-D tensor, in that order. */
  static TensorPipeline.Item rows(String name, Checkpoint.Entry source, int[] keep, DType dtype) {
    TensorInfo info = source.info();
    int cols = (int) info.dim(1);
    TensorSpec spec = new TensorSpec(name, dtype, new long[] {keep.length, cols});
    return TensorPipeline.Item.computed(
        spec,
        () -> {
          float[] all = source.readFloats();
          float[] out = new float[keep.length * cols];
          for (int n = 0; n < keep.length; n++) {
            System.arraycopy(all, keep[n] * cols, out, n * cols, cols);
          }
          return out;
        });
  }
}
