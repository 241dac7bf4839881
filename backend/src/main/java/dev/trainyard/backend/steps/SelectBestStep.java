package dev.trainyard.backend.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * {@code select-best}: reads each candidate report's {@code eval.json}, picks the best value of the
 * metric (the first on a tie) and outputs that report and the checkpoint its evaluate step read as
 * {@code model}, found in the lineage the ledger recorded. Both are the existing artifacts: nothing
 * is copied, and the outputs get this step as one more producer.
 */
@ApplicationScoped
public class SelectBestStep implements BackendStepRunner {
  static final String REPORT_FILE = "eval.json";

  /** eval.json is a few kilobytes (metrics, tasks and a few samples); more is not a report. */
  private static final int MAX_REPORT_BYTES = 16 << 20;

  @Inject StoredArtifacts store;
  @Inject ObjectMapper json;
  @Inject EntityManager em;

  @Override
  public StepKind kind() {
    return StepKinds.SELECT_BEST;
  }

  @Override
  public StepResult run(StepTask task) {
    String metric = (String) task.body().get("metric");
    boolean lowest = "min".equals(task.body().get("mode"));
    if (!(task.body().get("candidates") instanceof List<?> candidates) || candidates.isEmpty()) {
      throw FailureType.INVALID_STEP.failure("select-best: candidates lists no report");
    }
    int best = -1;
    double bestValue = Double.NaN;
    var log = new StringBuilder();
    for (int i = 0; i < candidates.size(); i++) {
      String name = inputName(candidates.get(i), "candidates[" + i + "]");
      ArtifactRef report = task.inputs().get(name);
      if (report == null) {
        throw FailureType.INVALID_STEP.failure("select-best: candidates[" + i + "] names no input");
      }
      double value = metricOf(report, metric, "candidates[" + i + "] (" + name + ")");
      log.append(String.format("candidates[%d] %s %s = %.6g%n", i, name, metric, value));
      if (best < 0 || (lowest ? value < bestValue : value > bestValue)) {
        best = i;
        bestValue = value;
      }
    }
    String winnerName = inputName(candidates.get(best), "candidates[" + best + "]");
    ArtifactRef report = task.inputs().get(winnerName);
    String model = evaluatedModel(task.runId(), winnerName, report.id(), best);
    log.append(
        String.format(
            "selected candidates[%d] %s (%s %s = %.6g): model %s%n",
            best, winnerName, lowest ? "lowest" : "highest", metric, bestValue, model));
    var outputs = new LinkedHashMap<String, ProducedArtifact>();
    outputs.put("model", existing(model));
    outputs.put("report", existing(report.id()));
    var metrics = new LinkedHashMap<String, Double>();
    metrics.put("selected_index", (double) best);
    metrics.put("selected_value", bestValue);
    metrics.put("candidates", (double) candidates.size());
    return new StepResult(outputs, metrics, "backend", List.of(), log.toString());
  }

  private static String inputName(Object token, String at) {
    return Expressions.inputName(token)
        .orElseThrow(
            () -> FailureType.INVALID_STEP.failure("select-best: " + at + " names no input"));
  }

  /** The metric's value in a report's eval.json; a report without it is bad input, named. */
  private double metricOf(ArtifactRef report, String metric, String at) {
    JsonNode metrics;
    try (SeekableByteChannel channel = store.openFile(report.id(), REPORT_FILE);
        InputStream in = Channels.newInputStream(channel)) {
      if (channel.size() > MAX_REPORT_BYTES) {
        throw FailureType.INVALID_INPUT.failure(
            "select-best: " + at + ": " + REPORT_FILE + " is larger than a report");
      }
      metrics = json.readTree(in).path("metrics");
    } catch (IOException e) {
      throw FailureType.INVALID_INPUT.failure(
          "select-best: "
              + at
              + ": report "
              + report.id().substring(0, 12)
              + " has no readable "
              + REPORT_FILE
              + " ("
              + e.getMessage()
              + "); candidates must be evaluate reports");
    }
    JsonNode value = metrics.get(metric);
    if (value == null || !value.isNumber()) {
      var measured = new ArrayList<String>();
      metrics.fieldNames().forEachRemaining(measured::add);
      throw FailureType.INVALID_INPUT.failure(
          "select-best: "
              + at
              + ": report "
              + report.id().substring(0, 12)
              + " has no metric '"
              + metric
              + "'; it has: "
              + String.join(", ", measured));
    }
    return value.doubleValue();
  }

  /**
   * The checkpoint the evaluation that wrote the report read as its model: the attempt of this
   * run's step named by the input (the step id is the input's name up to its output), else any
   * recorded producer of those bytes, when they all read the same checkpoint.
   */
  private String evaluatedModel(String runId, String inputName, String reportId, int index) {
    int dot = inputName.lastIndexOf('.');
    String stepId = dot > 0 ? inputName.substring(0, dot) : inputName;
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              @SuppressWarnings("unchecked")
              List<Object[]> rows =
                  em.createNativeQuery(
                          "SELECT i.role, i.from_node, o.from_node LIKE ?2 FROM lineage_edge o "
                              + "JOIN lineage_edge i ON i.to_node = o.from_node "
                              + "WHERE o.to_node = ?1 AND o.role = 'output:report' "
                              + "AND i.role IN ('input:model', 'input:adapter')")
                      .setParameter(1, LineageNode.artifact(reportId).format())
                      .setParameter(2, LineageNode.Kind.STEP.prefix() + runId + "/" + stepId + "/%")
                      .getResultList();
              boolean fromThisRun = rows.stream().anyMatch(r -> Boolean.TRUE.equals(r[2]));
              var found = new java.util.TreeSet<String>();
              boolean adapter = false;
              for (Object[] row : rows) {
                if (fromThisRun && !Boolean.TRUE.equals(row[2])) {
                  continue;
                }
                if ("input:adapter".equals(row[0])) {
                  adapter = true;
                } else {
                  found.add(LineageNode.parse((String) row[1]).id());
                }
              }
              String at = "select-best: candidates[" + index + "] (" + inputName + ")";
              if (adapter) {
                throw FailureType.INVALID_INPUT.failure(
                    at
                        + " evaluated a LoRA adapter on its base; select-best picks checkpoints, so"
                        + " merge the adapter (merge method lora) and evaluate the merged model");
              }
              if (found.size() != 1) {
                throw FailureType.INVALID_INPUT.failure(
                    at
                        + ": report "
                        + reportId.substring(0, 12)
                        + (found.isEmpty()
                            ? " was not written by an evaluate step of a checkpoint"
                            : " was written by evaluations of several checkpoints " + found));
              }
              return found.first();
            });
  }

  /** An artifact already in the catalog, as an output: same id, type, place and files. */
  private ProducedArtifact existing(String id) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              ArtifactEntity artifact = ArtifactEntity.findById(id);
              if (artifact == null || artifact.deleted() || artifact.failed) {
                throw FailureType.INPUT_MISSING.failure(
                    "select-best: artifact "
                        + id.substring(0, 12)
                        + (artifact == null ? " is not in the catalog" : " is no longer usable"));
              }
              List<ManifestEntry> files =
                  ArtifactFileEntity.ofArtifact(id).stream()
                      .map(f -> new ManifestEntry(f.path, f.sizeBytes, f.sha256))
                      .toList();
              return new ProducedArtifact(
                  artifact.id, artifact.type, artifact.uri, artifact.sizeBytes, files);
            });
  }
}
