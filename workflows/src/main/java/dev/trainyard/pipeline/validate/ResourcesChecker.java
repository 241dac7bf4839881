package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rules across the keys of a step's {@code resources} (each key's own type and bounds are {@link
 * ValueChecker}'s): several processes or hosts only for the reference trainer's training kinds, one
 * process per GPU, and a rendezvous exactly when the step spans hosts. A key given as an expression
 * is left out of these rules; the planner checks its substituted value's type and bounds.
 */
final class ResourcesChecker {
  /** A host name, an IPv4 address or a bracketed IPv6 address, then a port. */
  private static final Pattern ENDPOINT =
      Pattern.compile(
          "([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\]):([0-9]{1,5})");

  private ResourcesChecker() {}

  /** Whether a kind's attempts may run as DDP ranks: the reference trainer's training loop. */
  static boolean runsDistributed(StepKind kind) {
    return kind.execution() == Execution.WORKER_TRAINER && kind.resumable();
  }

  static void check(Map<?, ?> resources, StepKind kind, String path, Problems problems) {
    Integer gpus = integer(resources.get("gpus"));
    Integer processes = integer(resources.get("processes"));
    Integer nodes = integer(resources.get("nodes"));
    Object rendezvous = resources.get("rendezvous");
    if (kind != null && !runsDistributed(kind)) {
      String distributedKinds =
          String.join(
              ", ",
              StepKinds.all().stream()
                  .filter(ResourcesChecker::runsDistributed)
                  .map(StepKind::name)
                  .toList());
      if (processes != null && processes > 1) {
        problems.add(
            path + ".processes",
            "kind '"
                + kind.name()
                + "' runs as one process; only "
                + distributedKinds
                + " run as several (DDP ranks). A command step starts its own, e.g. torchrun in run:");
      }
      if (nodes != null && nodes > 1) {
        problems.add(
            path + ".nodes",
            "kind '"
                + kind.name()
                + "' runs on one host; only "
                + distributedKinds
                + " span hosts");
      }
    }
    if (processes != null && gpus != null && gpus > 0 && !processes.equals(gpus)) {
      problems.add(
          path + ".processes",
          processes
              + " processes on a host with "
              + gpus
              + " GPUs: each process drives one GPU, so processes must equal gpus (or be left out)");
    }
    boolean multiNode = nodes != null && nodes > 1;
    if (multiNode && (kind == null || runsDistributed(kind))) {
      // The worker builds a multi-node torchrun command line, but a workflow starts each attempt on
      // one worker, so the other hosts would never join: refused here rather than left to time out.
      problems.add(
          path + ".nodes",
          "multi-node steps do not run yet: an attempt runs on one worker, and the workflow does"
              + " not start one per host; use processes (or gpus) on one host");
    }
    if (multiNode && rendezvous == null) {
      problems.add(
          path + ".rendezvous",
          "required when nodes > 1: host:port of the c10d rendezvous on one of the step's hosts");
    }
    if (rendezvous != null && !multiNode && !isExpression(resources.get("nodes"))) {
      problems.add(path + ".rendezvous", "only with nodes > 1 (one host rendezvouses on its own)");
    }
    if (rendezvous instanceof String endpoint && !isExpression(endpoint)) {
      var match = ENDPOINT.matcher(endpoint);
      int port = match.matches() ? Integer.parseInt(match.group(3)) : -1;
      if (port < 1 || port > 65535) {
        problems.add(
            path + ".rendezvous",
            "'"
                + endpoint
                + "' is not host:port (a host name or address, and a port 1-65535), e.g."
                + " trainer-0.internal:29400");
      }
    }
  }

  private static Integer integer(Object value) {
    return value instanceof Number n && ValueChecker.isInteger(n) ? n.intValue() : null;
  }

  private static boolean isExpression(Object value) {
    return value instanceof String text && text.contains("${{");
  }
}
