package dev.trainyard.worker.tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** What the report says about one written tensor. */
public record TensorStat(String name, String dtype, long[] shape, long numel, long zeros) {
  public double sparsity() {
    return numel == 0 ? 0 : (double) zeros / numel;
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("dtype", dtype);
    m.put("shape", shape);
    m.put("numel", numel);
    m.put("zeros", zeros);
    m.put("sparsity", sparsity());
    return m;
  }
}
