package dev.trainyard.backend.cards;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactRepository;
import dev.trainyard.backend.catalog.ArtifactRepository.Evaluation;
import dev.trainyard.backend.catalog.DatasetVersionEntity;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.common.Refusal;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.backend.intake.Intake;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.workflow.ProducedArtifact;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Builds a checkpoint's model card from lineage and stores it as a {@code model-card} artifact (one
 * file, {@code README.md}) with the edge {@code checkpoint -> card} (role {@value #ROLE}). Cards
 * are made when an alias moves onto a checkpoint (the alias API and the {@code promote} step) and
 * on demand ({@code POST /api/v1/artifacts/{ref}/model-card}). A card is content-addressed like any
 * artifact: the same lineage gives the same card; new evaluations give a new one, and the newest is
 * the checkpoint's card.
 */
@ApplicationScoped
public class ModelCards {
  public static final String TYPE = "model-card";
  public static final String ROLE = "model-card";
  public static final String FILE = "README.md";
  private static final Set<String> MODELS =
      Set.of(ArtifactType.CHECKPOINT.wireName(), ArtifactType.ADAPTER.wireName());
  private static final Logger LOG = Logger.getLogger(ModelCards.class);

  @Inject LineageRepository lineage;
  @Inject ArtifactRepository artifacts;
  @Inject StoredArtifacts store;
  @Inject Intake intake;
  @Inject ObjectMapper json;

  /** Whether artifacts of this type get cards (checkpoints and adapters). */
  public static boolean describes(String type) {
    return MODELS.contains(type);
  }

  /** The card's text as the catalog states it now; inside the caller's transaction. */
  public String render(ArtifactEntity model) {
    requireModel(model);
    return ModelCardText.render(facts(model));
  }

  /**
   * Renders and stores the card of a checkpoint (or adapter), returning the card's artifact. The
   * checkpoint's own rows and files are only read.
   */
  public ArtifactEntity publish(String modelId, String user) throws IOException {
    ArtifactEntity model =
        QuarkusTransaction.requiringNew().call(() -> ArtifactEntity.findById(modelId));
    if (model == null) {
      throw new Refusal.NotFound("no artifact " + modelId);
    }
    requireModel(model);
    String text = QuarkusTransaction.requiringNew().call(() -> render(model));
    Path dir = Files.createDirectories(store.stagingArea()).resolve("card-" + UUID.randomUUID());
    Files.createDirectory(dir);
    Files.writeString(dir.resolve(FILE), text, StandardCharsets.UTF_8);
    return intake.publish(
        dir,
        TYPE,
        (ProducedArtifact stored) -> {
          ArtifactEntity card = ArtifactEntity.findById(stored.id());
          if (card == null) {
            card =
                Intake.persistArtifact(
                    stored,
                    TYPE,
                    "model-card-" + model.id.substring(0, 12),
                    model.team,
                    user,
                    OffsetDateTime.now());
          }
          lineage.insertEdge(LineageNode.artifact(model.id), LineageNode.artifact(card.id), ROLE);
          return card;
        });
  }

  /**
   * Stores the card of an alias's new target, if it is a model; a failure is logged, never the
   * alias move's (the card can be made again on demand).
   */
  public void publishQuietly(String modelId, String user) {
    try {
      ArtifactEntity model =
          QuarkusTransaction.requiringNew().call(() -> ArtifactEntity.findById(modelId));
      if (model != null && describes(model.type) && !model.deleted()) {
        publish(modelId, user);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warnf("model card of %s not stored: %s", modelId, e.getMessage());
    }
  }

  /** The newest stored card of a model, if any; inside the caller's transaction. */
  public Optional<ArtifactEntity> latest(String modelId) {
    return lineage
        .newestLinked(LineageNode.artifact(modelId), ROLE, TYPE)
        .map(id -> ArtifactEntity.findById(id));
  }

  /** The stored text of a card artifact. */
  public String text(ArtifactEntity card) throws IOException {
    try (var in = Channels.newInputStream(store.openFile(card.id, FILE))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void requireModel(ArtifactEntity a) {
    if (!describes(a.type)) {
      throw new Refusal.Invalid(
          List.of(
              new Refusal.Problem(
                  "ref",
                  "artifact "
                      + a.id.substring(0, 12)
                      + " is a "
                      + a.type
                      + "; model cards describe checkpoints and adapters")));
    }
  }

  CardFacts facts(ArtifactEntity model) {
    CardFacts.Run run = null;
    if (model.runId != null) {
      RunEntity r = RunEntity.findById(model.runId);
      StepEntity step = StepEntity.findById(new StepEntity.Key(model.runId, model.stepId));
      String trigger =
          r.triggeredBy == null ? null : String.valueOf(r.triggeredBy.getOrDefault("trigger", ""));
      run =
          new CardFacts.Run(
              r.id,
              r.templateName,
              r.templateVersion,
              model.stepId,
              step == null ? null : step.kind,
              r.launchedBy,
              trigger == null || trigger.isEmpty() ? null : "trigger " + trigger);
    }
    Set<String> upstream = new LinkedHashSet<>();
    for (LineageRepository.EdgeRow e :
        lineage.walk(LineageNode.artifact(model.id), LineageRepository.Direction.ANCESTORS)) {
      if (e.from().isArtifact() && !e.from().id().equals(model.id)) {
        upstream.add(e.from().id());
      }
    }
    List<CardFacts.Dataset> datasets = new ArrayList<>();
    List<CardFacts.Parent> parents = new ArrayList<>();
    for (String id : upstream) {
      ArtifactEntity a = ArtifactEntity.findById(id);
      if (a == null) {
        continue;
      }
      if (describes(a.type)) {
        parents.add(new CardFacts.Parent(a.id, a.type, a.name));
      } else if (ArtifactType.DATASET.wireName().equals(a.type)) {
        DatasetVersionEntity v = DatasetVersionEntity.findById(a.id);
        if (v != null) {
          datasets.add(new CardFacts.Dataset(v.name, v.version, v.artifactId, v.format, v.records));
        }
      }
    }
    List<CardFacts.Eval> evals = new ArrayList<>();
    // Oldest first, so a card only grows as evaluations are added.
    List<Evaluation> rows =
        new ArrayList<>(artifacts.evaluations(model.id, StepKinds.producing(ArtifactType.REPORT)));
    java.util.Collections.reverse(rows);
    for (Evaluation row : rows) {
      String set = evalSet(row);
      metricsOf(row)
          .forEach(
              (name, value) -> {
                int slash = name.indexOf('/');
                evals.add(
                    new CardFacts.Eval(
                        slash < 0 ? "all" : name.substring(0, slash),
                        slash < 0 ? name : name.substring(slash + 1),
                        value,
                        set,
                        row.runId(),
                        row.stepId(),
                        row.attempt()));
              });
    }
    return new CardFacts(
        model.id,
        model.type,
        model.name,
        model.team,
        model.createdBy,
        run,
        datasets,
        parents,
        evals);
  }

  /** The registered dataset version an evaluate attempt read as its data, or null. */
  private String evalSet(Evaluation row) {
    for (LineageNode n :
        lineage.readBy(LineageNode.step(row.runId(), row.stepId(), row.attempt()), "input:data")) {
      DatasetVersionEntity v = n.isArtifact() ? DatasetVersionEntity.findById(n.id()) : null;
      if (v != null) {
        return v.ref();
      }
    }
    return null;
  }

  private Map<String, Double> metricsOf(Evaluation row) {
    if (row.metricsJson() == null) {
      return Map.of();
    }
    try {
      return json.readValue(row.metricsJson(), new TypeReference<TreeMap<String, Double>>() {});
    } catch (IOException e) {
      return Map.of();
    }
  }
}
