package dev.trainyard.pipeline.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many processes one attempt of a training step runs as: one, or DDP ranks started by torchrun,
 * {@code perNode} on each of {@code nodes} hosts ({@code resources.processes}, {@code nodes},
 * {@code rendezvous}). The planned body carries these keys under {@link #BODY_KEY}, so the
 * backend's grant and the step cache key cover them like the rest of the body; the worker builds
 * its command line from them.
 *
 * @param perNode processes on each host: {@code resources.processes}, else {@code gpus} when it is
 *     above 1 (one process per GPU), else 1
 * @param rendezvous {@code host:port} of the c10d rendezvous of a multi-node step; null on one host
 */
public record Processes(int perNode, int nodes, String rendezvous) {
  /** The key of the planned body that holds {@link #KEYS}. */
  public static final String BODY_KEY = "resources";

  /** The keys of {@code resources} that shape the launch (not {@code pool} or {@code gpus}). */
  public static final List<String> KEYS = List.of("processes", "nodes", "rendezvous");

  public static final Processes ONE = new Processes(1, 1, null);

  public Processes {
    if (perNode < 1 || nodes < 1) {
      throw new IllegalArgumentException("resources: processes and nodes must be >= 1");
    }
    if (nodes > 1 && rendezvous == null) {
      throw new IllegalArgumentException("resources.rendezvous: required when nodes > 1");
    }
  }

  /** What a planned body (and the step's GPU count) says; one process when it says nothing. */
  public static Processes of(Map<String, ?> body, int gpus) {
    Map<?, ?> resources =
        body != null && body.get(BODY_KEY) instanceof Map<?, ?> map ? map : Map.of();
    int perNode = resources.get("processes") instanceof Number n ? n.intValue() : Math.max(1, gpus);
    int nodes = resources.get("nodes") instanceof Number n ? n.intValue() : 1;
    String rendezvous =
        resources.get("rendezvous") instanceof String text && !text.isBlank() ? text : null;
    return new Processes(perNode, nodes, rendezvous);
  }

  /**
   * The launch keys of a step's {@code resources}, as the planned body carries them; empty when the
   * step sets none (its body stays as it was before these keys existed).
   */
  public static Map<String, Object> bodyEntry(Map<?, ?> resources) {
    var entry = new LinkedHashMap<String, Object>();
    for (String key : KEYS) {
      if (resources.containsKey(key)) {
        entry.put(key, resources.get(key));
      }
    }
    return entry;
  }

  /** Ranks in all. */
  public int world() {
    return perNode * nodes;
  }

  public boolean distributed() {
    return world() > 1;
  }
}
