package dev.trainyard.worker.tensor.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.SafetensorsFile;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Plans a merge: opens every input, refuses architecture and shape mismatches before any work
 * (listing all of them), and yields one pipeline item per output tensor.
 */
public final class Merger {
  private static final int MAX_LISTED = 20;

  private Merger() {}

  public static MergeMethod method(MergeRequest r) {
    return switch (r.method()) {
      case "linear" -> new LinearMerge(r.settings());
      case "slerp" -> new SlerpMerge(r.settings());
      case "model-stock" -> new ModelStockMerge();
      default -> TaskVectorMerge.of(r.method(), r.settings());
    };
  }

  /**
   * @param base the opened base, or {@code null}
   * @param models the opened models, in request order
   */
  public static List<TensorPipeline.Item> plan(
      MergeRequest r, Checkpoint base, List<Checkpoint> models) {
    Checkpoint reference = base != null ? base : models.get(0);
    List<Checkpoint> all = new ArrayList<>();
    if (base != null) {
      all.add(base);
    }
    all.addAll(models);
    List<String> errors = new ArrayList<>();
    checkArchitectures(reference, all, errors);
    for (Checkpoint other : all) {
      if (other == reference) {
        continue;
      }
      for (var e : reference.tensors().entrySet()) {
        Checkpoint.Entry o = other.tensors().get(e.getKey());
        TensorInfo ri = e.getValue().info();
        if (o == null) {
          errors.add(other.dir() + ": missing tensor '" + e.getKey() + "'");
        } else if (!Arrays.equals(o.info().shape(), ri.shape())) {
          errors.add(
              other.dir()
                  + ": tensor '"
                  + e.getKey()
                  + "' has shape "
                  + o.info().shapeText()
                  + ", "
                  + reference.dir()
                  + " has "
                  + ri.shapeText());
        } else if (ri.dtype().isFloat() != o.info().dtype().isFloat()) {
          errors.add(
              other.dir()
                  + ": tensor '"
                  + e.getKey()
                  + "' is "
                  + o.info().dtype()
                  + ", "
                  + reference.dir()
                  + " has "
                  + ri.dtype());
        }
      }
      for (String name : other.tensors().keySet()) {
        if (!reference.tensors().containsKey(name)) {
          errors.add(other.dir() + ": extra tensor '" + name + "' not in " + reference.dir());
        }
      }
    }
    if (!errors.isEmpty()) {
      List<String> shown =
          errors.size() > MAX_LISTED ? new ArrayList<>(errors.subList(0, MAX_LISTED)) : errors;
      if (errors.size() > MAX_LISTED) {
        shown.add("… and " + (errors.size() - MAX_LISTED) + " more");
      }
      throw new MergeRequest.InvalidMergeException(shown);
    }
    MergeMethod method = method(r);
    DType forced = r.dtype() == null ? null : DType.fromConfigName(r.dtype());
    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : reference.tensors().entrySet()) {
      String name = e.getKey();
      TensorInfo info = e.getValue().info();
      if (!info.dtype().isFloat()) {
        items.add(
            TensorPipeline.Item.copied(
                new TensorSpec(name, info.dtype(), info.shape()), e.getValue()));
        continue;
      }
      DType out = forced != null ? forced : info.dtype();
      if (method instanceof LinearMerge linear) {
        items.add(
            TensorPipeline.Item.computed(
                new TensorSpec(name, out, info.shape()), () -> streamed(linear, name, models)));
        continue;
      }
      items.add(
          TensorPipeline.Item.computed(
              new TensorSpec(name, out, info.shape()),
              () -> {
                float[] b = base == null ? null : base.entry(name).readFloats();
                float[][] xs = new float[models.size()][];
                for (int i = 0; i < xs.length; i++) {
                  xs[i] = models.get(i).entry(name).readFloats();
                }
                return method.merge(name, b, xs);
              }));
    }
    return items;
  }

  /** A linear merge decoded block by block from the inputs' mappings, whole arrays otherwise. */
  private static float[] streamed(LinearMerge linear, String name, List<Checkpoint> models)
      throws IOException {
    SafetensorsFile.FloatSource[] sources = new SafetensorsFile.FloatSource[models.size()];
    float[][] whole = new float[models.size()][];
    boolean all = true;
    for (int i = 0; i < sources.length; i++) {
      Checkpoint.Entry e = models.get(i).entry(name);
      sources[i] = e.file().source(e.info()).orElse(null);
      all &= sources[i] != null;
    }
    if (all) {
      return linear.merge(name, sources, (int) models.get(0).entry(name).info().numel());
    }
    for (int i = 0; i < whole.length; i++) {
      whole[i] = models.get(i).entry(name).readFloats();
    }
    return linear.merge(name, null, whole);
  }

  private static void checkArchitectures(
      Checkpoint reference, List<Checkpoint> all, List<String> errors) {
    ObjectNode rc = reference.config().orElse(null);
    if (rc == null) {
      return;
    }
    for (Checkpoint c : all) {
      ObjectNode oc = c.config().orElse(null);
      if (oc == null || c == reference) {
        continue;
      }
      for (String key :
          List.of(
              "architectures", "model_type", "hidden_size", "num_hidden_layers", "vocab_size")) {
        if (rc.has(key) && oc.has(key) && !Objects.equals(rc.get(key), oc.get(key))) {
          errors.add(
              c.dir()
                  + ": config.json "
                  + key
                  + " is "
                  + oc.get(key)
                  + ", "
                  + reference.dir()
                  + " has "
                  + rc.get(key));
        }
      }
    }
  }
}
