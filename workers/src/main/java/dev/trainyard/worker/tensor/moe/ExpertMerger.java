package dev.trainyard.worker.tensor.moe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.merge.MergeRequest;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;

/**
 * Merges the experts within one Mixtral ({@code merge} method {@code moe-experts}, after MC-SMoE),
 * layer by layer:
 *
 * <ol>
 *   <li>the {@code experts} most frequently routed experts are the dominant ones (ties: lower
 *       index), kept in their original order and renumbered;
 *   <li>every other expert joins the dominant expert it is most similar to: by the profile's
 *       router-logit similarity (experts the router scores alike on the task's tokens), or by the
 *       cosine of their flattened w1‖w3‖w2 weights ({@code group_by: weights});
 *   <li>each group becomes one expert, the average of its members weighted by routing frequency (or
 *       uniformly, the baseline), optionally after aligning each member's hidden units to the
 *       dominant expert's ({@link Alignment}) and then compressing each of w1, w2, w3 to rank r by
 *       truncated SVD ({@link LowRank});
 *   <li>the router keeps the dominant experts' rows, so tokens that went to a merged-away expert
 *       now go to whichever dominant expert the router scores highest, usually its group's.
 * </ol>
 *
 * With {@code experts} = N every group is one expert and, without {@code rank}, every tensor is a
 * byte copy; merging identical experts averages identical tensors, so the model is unchanged.
 */
public final class ExpertMerger {
  private ExpertMerger() {}

  /** The method's own settings, read from the resolved body after {@link MergeRequest#parse}. */
  public record Request(
      Path profile,
      String profileRef,
      int experts,
      String weighting,
      String groupBy,
      boolean align,
      Integer rank) {

    public static Request parse(Map<String, Object> body, Function<String, Path> resolve) {
      List<String> errors = new ArrayList<>();
      Path profile = null;
      Object ref = body.get("profile");
      if (ref instanceof String s && !s.isBlank()) {
        try {
          profile = resolve.apply(s);
        } catch (IllegalArgumentException e) {
          errors.add("profile: " + e.getMessage());
        }
      } else {
        errors.add("profile: must name a routing profile");
      }
      Map<?, ?> config = body.get("config") instanceof Map<?, ?> c ? c : Map.of();
      int experts = config.get("experts") instanceof Number n ? n.intValue() : 0;
      if (experts < 1) {
        errors.add("config.experts: must be an int >= 1");
      }
      String weighting = choice(config, "weighting", List.of("frequency", "uniform"), errors);
      String groupBy = choice(config, "group_by", List.of("router-logits", "weights"), errors);
      Object align = config.get("align");
      if (align != null && !(align instanceof Boolean)) {
        errors.add("config.align: must be true or false");
      }
      Integer rank = null;
      if (config.get("rank") != null) {
        if (config.get("rank") instanceof Number n && n.intValue() >= 1) {
          rank = n.intValue();
        } else {
          errors.add("config.rank: must be an int >= 1");
        }
      }
      if (!errors.isEmpty()) {
        throw new InvalidMergeException(errors);
      }
      return new Request(
          profile,
          String.valueOf(ref),
          experts,
          weighting,
          groupBy,
          Boolean.TRUE.equals(align),
          rank);
    }

    /** The first choice is the default. */
    private static String choice(
        Map<?, ?> config, String key, List<String> choices, List<String> errors) {
      Object v = config.get(key);
      if (v == null) {
        return choices.get(0);
      }
      if (!choices.contains(String.valueOf(v))) {
        errors.add("config." + key + ": must be one of " + String.join(", ", choices));
      }
      return String.valueOf(v);
    }
  }

  /**
   * One merged expert.
   *
   * @param members original indices, the dominant expert first, then the others in index order
   * @param weights one per member, summing to 1
   */
  public record Group(int dominant, int[] members, double[] weights) {}

  public record Plan(
      List<TensorPipeline.Item> items,
      ObjectNode config,
      List<List<Group>> groups,
      Map<String, Object> report) {}

  /** Validates the checkpoint and profile, groups every layer and plans the merged output. */
  public static Plan plan(MergeRequest m, Request r, Checkpoint model) throws IOException {
    MixtralLayout layout = MixtralLayout.of(model, "models[0].model", "method moe-experts");
    int[] counts = ExpertPruner.counts(List.of(r.experts()), false, layout, "config.experts");
    RoutingProfile profile = RoutingProfile.read(r.profile(), "profile", model, layout);
    List<List<Group>> groups = new ArrayList<>();
    List<Map<String, Object>> layers = new ArrayList<>();
    for (int i = 0; i < layout.layers(); i++) {
      RoutingProfile.Layer stats = profile.layers().get(i);
      int[] dominant = ExpertPruner.top(stats.frequency(), counts[i]);
      double[][] similarity =
          r.groupBy().equals("weights") && dominant.length < layout.experts()[i]
              ? weightCosines(model, i, layout.experts()[i])
              : stats.similarity();
      List<Group> layer = group(dominant, similarity, stats.frequency(), r.weighting());
      groups.add(layer);
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("layer", i);
      l.put("experts_before", layout.experts()[i]);
      l.put("dominant", dominant);
      l.put(
          "groups",
          layer.stream()
              .map(
                  g -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("members", g.members());
                    e.put("weights", g.weights());
                    return e;
                  })
              .toList());
      layers.add(l);
    }
    DType forced = m.dtype() == null ? null : DType.fromConfigName(m.dtype());
    List<TensorPipeline.Item> items = items(model, groups, r, forced);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("weighting", r.weighting());
    report.put("group_by", r.groupBy());
    report.put("align", r.align());
    if (r.rank() != null) {
      report.put("rank", r.rank());
    }
    report.put("experts_per_layer", counts);
    report.put("layers", layers);
    return new Plan(items, layout.withExperts(counts), groups, report);
  }

  /**
   * Each non-dominant expert joins the dominant one with the highest similarity (ties: the lower
   * index); weights by routing frequency, or uniform (also when a group was never routed to).
   */
  static List<Group> group(
      int[] dominant, double[][] similarity, double[] frequency, String weighting) {
    int experts = frequency.length;
    List<List<Integer>> members = new ArrayList<>();
    for (int d : dominant) {
      members.add(new ArrayList<>(List.of(d)));
    }
    for (int j = 0; j < experts; j++) {
      if (Arrays.binarySearch(dominant, j) >= 0) {
        continue;
      }
      int best = 0;
      for (int n = 1; n < dominant.length; n++) {
        if (similarity[j][dominant[n]] > similarity[j][dominant[best]]) {
          best = n;
        }
      }
      members.get(best).add(j);
    }
    List<Group> out = new ArrayList<>();
    for (int n = 0; n < dominant.length; n++) {
      int[] g = members.get(n).stream().mapToInt(Integer::intValue).toArray();
      double[] w = new double[g.length];
      double total = 0;
      for (int x : g) {
        total += frequency[x];
      }
      for (int k = 0; k < g.length; k++) {
        w[k] =
            weighting.equals("frequency") && total > 0 ? frequency[g[k]] / total : 1.0 / g.length;
      }
      out.add(new Group(dominant[n], g, w));
    }
    return out;
  }

  /** Cosine similarity of every pair of a layer's experts, each flattened as w1‖w3‖w2. */
  private static double[][] weightCosines(Checkpoint model, int layer, int experts)
      throws IOException {
    double[][] dots = new double[experts][experts];
    for (String w : MixtralLayout.WEIGHTS) {
      float[][] x = new float[experts][];
      for (int j = 0; j < experts; j++) {
        x[j] = model.entry(MixtralLayout.expert(layer, j, w)).readFloats();
      }
      for (int a = 0; a < experts; a++) {
        for (int b = a; b < experts; b++) {
          double s = 0;
          for (int k = 0; k < x[a].length; k++) {
            s += (double) x[a][k] * x[b][k];
          }
          dots[a][b] += s;
          dots[b][a] = dots[a][b];
        }
      }
    }
    double[][] cos = new double[experts][experts];
    for (int a = 0; a < experts; a++) {
      for (int b = 0; b < experts; b++) {
        double den = Math.sqrt(dots[a][a] * dots[b][b]);
        cos[a][b] = den == 0 ? 0 : dots[a][b] / den;
      }
    }
    return cos;
  }

  private static List<TensorPipeline.Item> items(
      Checkpoint model, List<List<Group>> groups, Request r, DType forced) {
    // the permutation aligning each member to its dominant expert, shared by its w1, w2 and w3
    Map<String, int[]> alignments = new HashMap<>();
    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : model.tensors().entrySet()) {
      String name = e.getKey();
      Checkpoint.Entry source = e.getValue();
      TensorInfo info = source.info();
      DType dtype = forced != null && info.dtype().isFloat() ? forced : info.dtype();
      Matcher expert = MixtralLayout.EXPERT.matcher(name);
      Matcher gate = MixtralLayout.GATE.matcher(name);
      if (expert.matches()) {
        int layer = Integer.parseInt(expert.group(1));
        int j = Integer.parseInt(expert.group(2));
        String w = expert.group(3);
        List<Group> layerGroups = groups.get(layer);
        for (int n = 0; n < layerGroups.size(); n++) {
          Group g = layerGroups.get(n);
          if (g.dominant() != j) {
            continue; // a merged-away expert has no tensor of its own
          }
          TensorSpec spec = new TensorSpec(MixtralLayout.expert(layer, n, w), dtype, info.shape());
          if (g.members().length == 1 && r.rank() == null && dtype == info.dtype()) {
            items.add(TensorPipeline.Item.copied(spec, source));
          } else {
            items.add(
                TensorPipeline.Item.computed(
                    spec, () -> merged(model, layer, g, w, info, r, alignments)));
          }
        }
      } else if (gate.matches()) {
        int layer = Integer.parseInt(gate.group(1));
        int[] rows = groups.get(layer).stream().mapToInt(Group::dominant).toArray();
        items.add(
            rows.length == info.dim(0) && dtype == info.dtype()
                ? TensorPipeline.Item.copied(new TensorSpec(name, dtype, info.shape()), source)
                : ExpertPruner.rows(name, source, rows, dtype));
      } else if (dtype == info.dtype()) {
        items.add(TensorPipeline.Item.copied(new TensorSpec(name, dtype, info.shape()), source));
      } else {
        items.add(
            TensorPipeline.Item.computed(
                new TensorSpec(name, dtype, info.shape()), source::readFloats));
      }
    }
    return items;
  }

  /** One weight of a merged expert: the weighted average of its group, aligned, then truncated. */
  private static float[] merged(
      Checkpoint model,
      int layer,
      Group g,
      String w,
      TensorInfo info,
      Request r,
      Map<String, int[]> alignments)
      throws IOException {
    int rows = (int) info.dim(0);
    int cols = (int) info.dim(1);
    double[] sum = new double[rows * cols];
    for (int k = 0; k < g.members().length; k++) {
      int member = g.members()[k];
      float[] x = model.entry(MixtralLayout.expert(layer, member, w)).readFloats();
      if (r.align() && member != g.dominant()) {
        int[] perm =
            alignments.computeIfAbsent(
                layer + "/" + member, key -> Alignment.match(model, layer, g.dominant(), member));
        x = Alignment.permute(x, rows, cols, perm, w.equals("w2"));
      }
      double weight = g.weights()[k];
      for (int i = 0; i < sum.length; i++) {
        sum[i] += weight * x[i];
      }
    }
    float[] out = new float[sum.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) sum[i];
    }
    return r.rank() == null ? out : LowRank.truncate(out, rows, cols, r.rank());
  }
}
