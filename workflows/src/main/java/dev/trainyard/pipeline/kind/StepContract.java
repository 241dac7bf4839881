package dev.trainyard.pipeline.kind;

import java.util.List;

/**
 * What a worker hands each step process: its work dir's files and its environment. The worker lays
 * them out ({@code AttemptWorkDir}); this is their documentation, read by {@code
 * docs/spec-reference.md}, and a worker test fails when the two differ.
 */
public final class StepContract {
  private StepContract() {}

  public record Entry(String name, String meaning) {}

  /** Environment variables every step process gets, in the order the worker sets them. */
  public static final List<Entry> ENVIRONMENT =
      List.of(
          new Entry(
              "TRAINYARD_OUTPUT",
              "the attempt's `output/` directory: every file written here becomes the step's "
                  + "output artifact, hashed (sha256) into its manifest"),
          new Entry(
              "TRAINYARD_WORKDIR", "the attempt's own work directory (holds the files below)"),
          new Entry("TRAINYARD_STEP_JSON", "path of `step.json`"),
          new Entry(
              "TRAINYARD_METRICS",
              "path of `metrics.jsonl`: append one JSON object per line, such as "
                  + "`{\"step\": 10, \"loss\": 2.31}`; the dashboard draws them live"),
          new Entry("TRAINYARD_RUN_ID", "the run's id"),
          new Entry(
              "TRAINYARD_STEP_ID",
              "the step's id (a matrix expansion has its own, e.g. `train-1`)"),
          new Entry("TRAINYARD_ATTEMPT", "the attempt number, from 1"),
          new Entry(
              "CUDA_VISIBLE_DEVICES",
              "the GPUs leased to the attempt (`resources.gpus`), comma-separated; "
                  + "empty, not unset, when it has none"));

  /** Where a {@code command} step writes its intermediate {@code checkpoint-<step>/} dirs. */
  public static final String CHECKPOINTS = "TRAINYARD_CHECKPOINTS";

  /** The intermediate checkpoint a retried {@code command} attempt continues from. */
  public static final String RESUME_FROM = "TRAINYARD_RESUME_FROM";

  /**
   * What a {@code command} step gets besides {@link #ENVIRONMENT}: the resume contract of a team's
   * own trainer (docs/byot.md).
   */
  public static final List<Entry> COMMAND_ENVIRONMENT =
      List.of(
          new Entry(
              CHECKPOINTS,
              "where to write intermediate checkpoints, one `checkpoint-<step>/` dir each (the Hugging "
                  + "Face Trainer's naming: `--output_dir \"$TRAINYARD_CHECKPOINTS\"`); the attempt's "
                  + "`checkpoints/`, not created until the command writes there, kept for later attempts"),
          new Entry(
              RESUME_FROM,
              "set on a retried attempt of a `checkpoint` or `adapter` step: the newest complete "
                  + "`checkpoint-<step>/` an earlier attempt wrote (complete: it has the output type's "
                  + "layout); the attempt records `resumed_from_step`"));

  /** Files and directories of one attempt's work dir. */
  public static final List<Entry> FILES =
      List.of(
          new Entry(
              "inputs/<name>",
              "a read-only link to each input artifact, named after its reference: "
                  + "`inputs/params.base`, `inputs/cpt.model`"),
          new Entry("output/", "empty at start; what the step writes here is its output"),
          new Entry("step.json", "what to do, see below"),
          new Entry("metrics.jsonl", "metrics the step appends, one JSON object per line"),
          new Entry("step.log", "the step process's stdout and stderr, streamed to the dashboard"));

  /** Top-level keys of {@code step.json}. */
  public static final List<Entry> STEP_JSON =
      List.of(
          new Entry("kind", "the step kind"),
          new Entry(
              "runner",
              "the kind's settings for its runner (e.g. the trainer's objective), from the catalogue"),
          new Entry("runId", "the run's id"),
          new Entry("stepId", "the step's id"),
          new Entry("attempt", "the attempt number, from 1"),
          new Entry(
              "body",
              "the step's own fields as planned: parameters substituted, `config` (and `adapter`) defaults filled in, "
                  + "artifact references replaced by their local paths"),
          new Entry("inputs", "input name to local path"),
          new Entry("artifacts", "input name to its artifact id (as lineage records it)"),
          new Entry("output", "path of `output/`"),
          new Entry("metrics", "path of `metrics.jsonl`"),
          new Entry("gpus", "indices of the leased GPUs"),
          new Entry(
              "resume", "an earlier attempt's intermediate checkpoint to continue from, or null"),
          new Entry("work_dir", "the attempt's work directory"));

  public static List<String> names(List<Entry> entries) {
    return entries.stream().map(Entry::name).toList();
  }
}
