package dev.trainyard.backend.openlineage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@code trainyard.openlineage.*}: where events go and how jobs and datasets are named. */
@ConfigMapping(prefix = "trainyard.openlineage")
public interface OpenLineageSettings {
  /**
   * {@code none} (events are only stored, for {@code GET /api/v1/runs/{id}/openlineage}), {@code
   * http}, {@code file}, or both ({@code http,file}).
   */
  @WithDefault("none")
  List<Transport> transport();

  enum Transport {
    none,
    http,
    file
  }

  /** The job namespace; jobs are {@code <template>} (a run) and {@code <template>.<step>}. */
  @WithDefault("trainyard")
  String namespace();

  /**
   * The dataset namespace, {@code trainyard://<name>}; unset: {@code trainyard://} and this host's
   * name. Datasets are named {@code <type>/<artifact id>}.
   */
  Optional<String> datasetNamespace();

  /** The {@code producer} of every event and facet. */
  @WithDefault("https://github.com/trainyard/trainyard/tree/main/backend")
  URI producer();

  Http http();

  File file();

  /** Events waiting to be built or sent beyond this are dropped (and counted), never waited for. */
  @WithDefault("10000")
  int queueCapacity();

  interface Http {
    /** The receiver's base URL, e.g. Marquez's {@code http://marquez:5000}. */
    Optional<URI> url();

    @WithDefault("/api/v1/lineage")
    String endpoint();

    @WithDefault("5000")
    int timeoutMillis();

    /**
     * A file holding the API key, sent as {@code Authorization: Bearer <key>}. The key itself may
     * come from the environment instead ({@code TRAINYARD_OPENLINEAGE_HTTP_API_KEY}); never put it
     * in application.properties.
     */
    Optional<Path> apiKeyFile();

    Optional<String> apiKey();
  }

  interface File {
    /** One event per line, appended. */
    @WithDefault("${trainyard.home}/openlineage/events.jsonl")
    Path path();
  }
}
