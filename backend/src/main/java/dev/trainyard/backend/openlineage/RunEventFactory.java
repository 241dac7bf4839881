package dev.trainyard.backend.openlineage;

import dev.trainyard.backend.openlineage.OpenLineageRepository.ArtifactFacts;
import dev.trainyard.backend.openlineage.OpenLineageRepository.AttemptFacts;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Builds RunEvents with the client's model. Pure: everything comes from the committed facts, so the
 * same attempt gives the same job, run id and datasets in every event.
 */
final class RunEventFactory {
  /** The client version, as the processing_engine facet's adapter version. */
  static final String CLIENT_VERSION = "1.39.0";

  /**
   * Fields of the JSONL dataset formats, by the format's wire name (DatasetFormat): the schema
   * facet of a dataset version whose format check found them.
   */
  private static final Map<String, List<String[]>> JSONL_FIELDS =
      Map.of(
          "jsonl-text", List.<String[]>of(new String[] {"text", "string"}),
          "chat", List.<String[]>of(new String[] {"messages", "array"}),
          "preference",
              List.of(
                  new String[] {"prompt", "string"},
                  new String[] {"chosen", "string"},
                  new String[] {"rejected", "string"}),
          "instruction",
              List.of(new String[] {"prompt", "string"}, new String[] {"response", "string"}),
          "eval", List.of(new String[] {"question", "string"}, new String[] {"answer", "string"}));

  private final OpenLineage ol;
  private final String namespace;
  private final String datasetNamespace;
  private final String trainyardVersion;

  RunEventFactory(
      URI producer, String namespace, String datasetNamespace, String trainyardVersion) {
    this.ol = new OpenLineage(producer);
    this.namespace = namespace;
    this.datasetNamespace = datasetNamespace;
    this.trainyardVersion = trainyardVersion;
  }

  /**
   * The pipeline run's id as a UUID: name-based (v3) on the namespace and run id, so every backend
   * replica derives the same parent id without storing it.
   */
  UUID runUuid(String runId) {
    return nameUuid("run:" + runId);
  }

  /** One UUID per attempt, the same in all of its events. */
  UUID attemptUuid(String runId, String stepId, int attempt) {
    return nameUuid("attempt:" + runId + "/" + stepId + "/" + attempt);
  }

  private UUID nameUuid(String name) {
    return UUID.nameUUIDFromBytes(
        ("trainyard:" + namespace + ":" + name).getBytes(StandardCharsets.UTF_8));
  }

  OpenLineage.RunEvent attemptEvent(
      EventType type,
      OffsetDateTime eventTime,
      AttemptFacts attempt,
      List<ArtifactFacts> inputs,
      List<ArtifactFacts> outputs) {
    OpenLineage.RunFacetsBuilder runFacets =
        ol.newRunFacetsBuilder()
            .parent(
                ol.newParentRunFacet(
                    ol.newParentRunFacetRun(runUuid(attempt.runId())),
                    ol.newParentRunFacetJob(namespace, attempt.template()),
                    ol.newParentRunFacetRoot(
                        ol.newRootRun(runUuid(attempt.runId())),
                        ol.newRootJob(namespace, attempt.template()))))
            .processing_engine(
                ol.newProcessingEngineRunFacetBuilder()
                    .name("Trainyard")
                    .version(trainyardVersion)
                    .openlineageAdapterVersion(CLIENT_VERSION)
                    .build());
    OpenLineage.RunFacet trainyard = ol.newRunFacet();
    trainyard.getAdditionalProperties().put("runId", attempt.runId());
    trainyard.getAdditionalProperties().put("stepId", attempt.stepId());
    trainyard.getAdditionalProperties().put("attempt", attempt.attempt());
    trainyard.getAdditionalProperties().put("kind", attempt.kind());
    trainyard.getAdditionalProperties().put("templateVersion", attempt.templateVersion());
    if (attempt.worker() != null) {
      trainyard.getAdditionalProperties().put("worker", attempt.worker());
    }
    runFacets.put("trainyard_attempt", trainyard);
    if (type == EventType.FAIL && attempt.error() != null) {
      // The step's own language is not known here (any trainer may run): the spec requires one.
      runFacets.errorMessage(ol.newErrorMessageRunFacet(attempt.error(), "unknown", null));
    }
    OpenLineage.Job job =
        ol.newJobBuilder()
            .namespace(namespace)
            .name(attempt.template() + "." + attempt.stepId())
            .facets(
                ol.newJobFacetsBuilder()
                    .jobType(ol.newJobTypeJobFacet("BATCH", "TRAINYARD", "TASK"))
                    .sourceCode(ol.newSourceCodeJobFacet("yaml", attempt.spec()))
                    .build())
            .build();
    return ol.newRunEventBuilder()
        .eventType(type)
        .eventTime(ZonedDateTime.ofInstant(eventTime.toInstant(), java.time.ZoneOffset.UTC))
        .run(
            ol.newRun(
                attemptUuid(attempt.runId(), attempt.stepId(), attempt.attempt()),
                runFacets.build()))
        .job(job)
        .inputs(inputs.stream().map(this::input).toList())
        .outputs(outputs.stream().map(this::output).toList())
        .build();
  }

  private OpenLineage.InputDataset input(ArtifactFacts a) {
    return ol.newInputDatasetBuilder()
        .namespace(datasetNamespace)
        .name(datasetName(a))
        .facets(datasetFacets(a))
        .inputFacets(
            ol.newInputDatasetInputFacetsBuilder()
                .inputStatistics(
                    ol.newInputStatisticsInputDatasetFacet(null, a.sizeBytes(), a.files()))
                .build())
        .build();
  }

  private OpenLineage.OutputDataset output(ArtifactFacts a) {
    return ol.newOutputDatasetBuilder()
        .namespace(datasetNamespace)
        .name(datasetName(a))
        .facets(datasetFacets(a))
        .outputFacets(
            ol.newOutputDatasetOutputFacetsBuilder()
                .outputStatistics(
                    ol.newOutputStatisticsOutputDatasetFacet(null, a.sizeBytes(), a.files()))
                .build())
        .build();
  }

  /**
   * {@code <type>/<artifact id>}: the id is the content hash, so a name is one immutable version.
   */
  static String datasetName(ArtifactFacts a) {
    return a.type() + "/" + a.id();
  }

  private OpenLineage.DatasetFacets datasetFacets(ArtifactFacts a) {
    OpenLineage.DatasetFacetsBuilder facets =
        ol.newDatasetFacetsBuilder()
            .version(ol.newDatasetVersionDatasetFacet(a.id()))
            .datasetType(
                ol.newDatasetTypeDatasetFacet(
                    "checkpoint".equals(a.type()) ? "MODEL" : "FILE", a.type()));
    OpenLineage.DatasetFacet content = ol.newDatasetFacet();
    content.getAdditionalProperties().put("algorithm", "sha256");
    content.getAdditionalProperties().put("manifestSha256", a.id());
    content.getAdditionalProperties().put("sizeBytes", a.sizeBytes());
    content.getAdditionalProperties().put("files", a.files());
    content.getAdditionalProperties().put("role", a.role());
    if (a.format() != null) {
      content.getAdditionalProperties().put("format", a.format());
    }
    facets.put("trainyard_content", content);
    List<String[]> fields = a.format() == null ? null : JSONL_FIELDS.get(a.format());
    if (fields != null) {
      facets.schema(
          ol.newSchemaDatasetFacet(
              fields.stream()
                  .map(f -> ol.newSchemaDatasetFacetFields(f[0], f[1], null, null))
                  .toList()));
    }
    return facets.build();
  }
}
