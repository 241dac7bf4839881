package dev.trainyard.backend.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.retention.RetentionRules.Candidate;
import dev.trainyard.backend.retention.RetentionRules.Producer;
import dev.trainyard.backend.retention.RetentionRules.Protections;
import dev.trainyard.backend.retention.RetentionService.Decision;
import dev.trainyard.backend.retention.RetentionService.Policy;
import dev.trainyard.workflow.RunStatus;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The retention rules on rows alone: no database, no files. */
class RetentionRulesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Protections NONE = new Protections(Map.of(), Map.of(), Map.of());

  private static Policy keep(int intermediates, Integer finals) {
    return new Policy("tpl", intermediates, finals, OffsetDateTime.now(ZoneOffset.UTC), "admin");
  }

  /** A checkpoint of run {@code run-<n>} of "tpl", created n minutes after T0. */
  private static Candidate checkpoint(String id, int n, String status, boolean consumed) {
    return candidate(id, n, status, "tpl", consumed);
  }

  private static Candidate candidate(
      String id, int n, String status, String template, boolean consumed) {
    Instant at = T0.plusSeconds(60L * n);
    return new Candidate(
        id,
        100L * n,
        at.atOffset(ZoneOffset.UTC),
        new ArrayList<>(
            List.of(
                new Producer(
                    "run-" + n,
                    "train",
                    "model",
                    RunStatus.valueOf(status),
                    template,
                    at,
                    consumed))));
  }

  private static Map<String, String> actions(List<Decision> decisions) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    decisions.forEach(d -> out.put(d.artifactId(), d.action() + ": " + d.reason()));
    return out;
  }

  @Test
  void theNewestIntermediatesAndFinalsAreKeptAndTheOlderOnesGo() {
    List<Candidate> rows =
        List.of(
            checkpoint("i1", 1, "SUCCEEDED", true),
            checkpoint("f2", 2, "SUCCEEDED", false),
            checkpoint("i3", 3, "SUCCEEDED", true),
            checkpoint("f4", 4, "SUCCEEDED", false),
            checkpoint("i5", 5, "SUCCEEDED", true));

    List<Decision> decisions = RetentionRules.decide("tpl", keep(1, 1), rows, NONE);

    assertThat(decisions)
        .extracting(Decision::artifactId)
        .containsExactly("i5", "f4", "i3", "f2", "i1");
    assertThat(actions(decisions))
        .containsExactly(
            Map.entry("i5", "KEEP: one of the 1 newest intermediates"),
            Map.entry("f4", "KEEP: one of the 1 newest finals"),
            Map.entry("i3", "DELETE: intermediate checkpoint older than the 1 newest"),
            Map.entry("f2", "DELETE: final checkpoint older than the 1 newest"),
            Map.entry("i1", "DELETE: intermediate checkpoint older than the 1 newest"));
    assertThat(decisions.get(3).finalOutput()).isTrue();
    assertThat(decisions.get(3).sizeBytes()).isEqualTo(200);
  }

  @Test
  void withoutAFinalsLimitEveryFinalIsKept() {
    List<Decision> decisions =
        RetentionRules.decide(
            "tpl",
            keep(0, null),
            List.of(
                checkpoint("f1", 1, "SUCCEEDED", false), checkpoint("i2", 2, "SUCCEEDED", true)),
            NONE);

    assertThat(actions(decisions))
        .containsExactly(
            Map.entry("i2", "DELETE: intermediate checkpoint older than the 0 newest"),
            Map.entry("f1", "KEEP: final checkpoint; the policy keeps every final"));
  }

  @Test
  void protectionsWinOverTheCountsAndDoNotUseUpTheirSlots() {
    List<Candidate> rows =
        List.of(
            checkpoint("aliased", 1, "SUCCEEDED", true),
            checkpoint("ancestor", 2, "SUCCEEDED", true),
            checkpoint("running", 3, "RUNNING", true),
            checkpoint("failed", 4, "FAILED", true),
            checkpoint("read", 5, "SUCCEEDED", true),
            candidate("shared", 6, "SUCCEEDED", "other", true),
            checkpoint("old", 7, "SUCCEEDED", true),
            checkpoint("newest", 8, "SUCCEEDED", true));
    Protections protections =
        new Protections(
            Map.of("aliased", "prod"), Map.of("ancestor", "prod"), Map.of("read", "run-9"));

    Map<String, String> actions =
        actions(RetentionRules.decide("tpl", keep(1, 0), rows, protections));

    assertThat(actions)
        .containsEntry("aliased", "KEEP: alias 'prod' points at it")
        .containsEntry("ancestor", "KEEP: in the lineage of alias 'prod'")
        .containsEntry("running", "KEEP: its run is not finished")
        .containsEntry("failed", "KEEP: its run is FAILED and may be retried")
        .containsEntry("read", "KEEP: an unfinished run reads it")
        .containsEntry("shared", "KEEP: a run of another template produced it too")
        .containsEntry("newest", "KEEP: one of the 1 newest intermediates")
        .containsEntry("old", "DELETE: intermediate checkpoint older than the 1 newest");
  }

  @Test
  void aCheckpointIsFinalIfAnyRunDidNotConsumeItAndDatesByItsNewestRun() {
    Candidate reused = checkpoint("reused", 1, "SUCCEEDED", true);
    reused
        .producers()
        .add(
            new Producer(
                "run-9", "train", "model", RunStatus.SUCCEEDED, "tpl", T0.plusSeconds(540), false));
    List<Candidate> rows = List.of(checkpoint("f5", 5, "SUCCEEDED", false), reused);

    List<Decision> decisions = RetentionRules.decide("tpl", keep(0, 1), rows, NONE);

    assertThat(actions(decisions))
        .containsExactly(
            Map.entry("reused", "KEEP: one of the 1 newest finals"),
            Map.entry("f5", "DELETE: final checkpoint older than the 1 newest"));
    assertThat(decisions.get(0).runId()).isEqualTo("run-1");
  }
}
