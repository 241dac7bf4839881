package dev.trainyard.backend.retention;

import dev.trainyard.backend.retention.RetentionService.Decision;
import dev.trainyard.backend.retention.RetentionService.Policy;
import dev.trainyard.workflow.RunStatus;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a template's retention policy does with each checkpoint, decided from rows alone: no
 * database, no files. The checks, in order: an alias points at it; it is in the lineage of an
 * aliased checkpoint; a run that produced it is not finished, or may be retried; an unfinished run
 * reads it; a run of another template produced it too; else it is one of the newest N finals or
 * intermediates, or it goes.
 */
public final class RetentionRules {
  private RetentionRules() {}

  /** One step output that is the checkpoint, with its run. */
  public record Producer(
      String runId,
      String stepId,
      String output,
      RunStatus runStatus,
      String runTemplate,
      Instant runCreatedAt,
      boolean consumedInRun) {}

  /** A live checkpoint of the template and every step output that is it. */
  public record Candidate(
      String id, long sizeBytes, OffsetDateTime createdAt, List<Producer> producers) {}

  /**
   * What else protects checkpoints.
   *
   * @param aliasOf artifact id → the alias pointing at it
   * @param lineageOfAlias artifact id → an alias whose checkpoint was derived from it
   * @param readByUnfinishedRun artifact id → an unfinished run that reads it (from {@code
   *     run_input})
   */
  public record Protections(
      Map<String, String> aliasOf,
      Map<String, String> lineageOfAlias,
      Map<String, String> readByUnfinishedRun) {}

  /** The decisions, newest checkpoint first. */
  public static List<Decision> decide(
      String template, Policy policy, List<Candidate> candidates, Protections protections) {
    // Newest first, so the first N of each kind are the ones the policy keeps.
    Comparator<Candidate> newestFirst =
        Comparator.comparing(
                (Candidate c) ->
                    c.producers().stream()
                        .map(Producer::runCreatedAt)
                        .max(Comparator.naturalOrder())
                        .orElseThrow())
            .reversed();
    List<Candidate> ordered = candidates.stream().sorted(newestFirst).toList();
    int intermediatesSeen = 0;
    int finalsSeen = 0;
    List<Decision> decisions = new ArrayList<>();
    for (Candidate c : ordered) {
      Producer first = c.producers().get(0);
      boolean isFinal = c.producers().stream().anyMatch(p -> !p.consumedInRun());
      String keep = protection(template, c, protections);
      if (keep == null && isFinal) {
        finalsSeen++;
        keep =
            policy.keepLastFinals() == null
                ? "final checkpoint; the policy keeps every final"
                : finalsSeen <= policy.keepLastFinals()
                    ? "one of the " + policy.keepLastFinals() + " newest finals"
                    : null;
      } else if (keep == null) {
        intermediatesSeen++;
        keep =
            intermediatesSeen <= policy.keepLastIntermediate()
                ? "one of the " + policy.keepLastIntermediate() + " newest intermediates"
                : null;
      }
      String reason =
          keep != null
              ? keep
              : (isFinal
                  ? "final checkpoint older than the " + policy.keepLastFinals() + " newest"
                  : "intermediate checkpoint older than the "
                      + policy.keepLastIntermediate()
                      + " newest");
      decisions.add(
          new Decision(
              c.id(),
              first.runId(),
              first.stepId(),
              first.output(),
              c.sizeBytes(),
              c.createdAt(),
              isFinal,
              keep != null ? "KEEP" : "DELETE",
              reason));
    }
    return decisions;
  }

  /** Why the checkpoint stays whatever the counts say, or null. */
  private static String protection(String template, Candidate c, Protections protections) {
    if (protections.aliasOf().containsKey(c.id())) {
      return "alias '" + protections.aliasOf().get(c.id()) + "' points at it";
    }
    if (protections.lineageOfAlias().containsKey(c.id())) {
      return "in the lineage of alias '" + protections.lineageOfAlias().get(c.id()) + "'";
    }
    if (c.producers().stream().anyMatch(p -> !p.runStatus().terminal())) {
      return "its run is not finished";
    }
    // A run that can still be retried reuses its completed steps' outputs: those stay too.
    var retryable =
        c.producers().stream().map(Producer::runStatus).filter(RunStatus::retryable).findFirst();
    if (retryable.isPresent()) {
      return "its run is " + retryable.get() + " and may be retried";
    }
    if (protections.readByUnfinishedRun().containsKey(c.id())) {
      return "an unfinished run reads it";
    }
    if (c.producers().stream().anyMatch(p -> !p.runTemplate().equals(template))) {
      return "a run of another template produced it too";
    }
    return null;
  }
}
