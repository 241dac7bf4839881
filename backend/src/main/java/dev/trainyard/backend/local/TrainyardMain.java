package dev.trainyard.backend.local;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.nio.file.Path;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Entry point. Without a configured database URL it starts the local PostgreSQL before Quarkus
 * boots, since the datasource is configured from it.
 */
@QuarkusMain
public final class TrainyardMain {
  private TrainyardMain() {}

  public static void main(String... args) throws Exception {
    String configured = System.getProperty("quarkus.datasource.jdbc.url", System.getenv("QUARKUS_DATASOURCE_JDBC_URL"));
    LocalDatabase database = null;
    if (configured == null || configured.isBlank()) {
      Path home = ConfigProvider.getConfig().getValue("trainyard.home", Path.class);
      int port = ConfigProvider.getConfig().getOptionalValue("trainyard.local.db-port", Integer.class).orElse(0);
      database = LocalDatabase.start(home.resolve("postgres"), port);
      System.setProperty("quarkus.datasource.jdbc.url", database.jdbcUrl());
      System.setProperty("quarkus.datasource.username", "postgres");
      System.setProperty("quarkus.datasource.password", "postgres");
    }
    LocalDatabase started = database;
    try {
      Quarkus.run(args);
    } finally {
      if (started != null) {
        started.close();
      }
    }
  }
}
