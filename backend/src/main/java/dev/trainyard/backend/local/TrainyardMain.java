package dev.trainyard.backend.local;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.nio.file.Path;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Entry point. Without a configured database URL it starts the local PostgreSQL before Quarkus
 * boots, since the datasource (the application role) and Flyway (the owner role) are configured
 * from it.
 */
@QuarkusMain
public final class TrainyardMain {
  private TrainyardMain() {}

  public static void main(String... args) throws Exception {
    String configured =
        System.getProperty(
            "quarkus.datasource.jdbc.url", System.getenv("QUARKUS_DATASOURCE_JDBC_URL"));
    LocalDatabase database = null;
    if (configured == null || configured.isBlank()) {
      Path home = ConfigProvider.getConfig().getValue("trainyard.home", Path.class);
      int port =
          ConfigProvider.getConfig()
              .getOptionalValue("trainyard.local.db-port", Integer.class)
              .orElse(0);
      database = LocalDatabase.start(home, port);
      System.setProperty("quarkus.datasource.jdbc.url", database.jdbcUrl());
      // The application connects with ordinary grants; only the migrations run as the owner.
      System.setProperty("quarkus.datasource.username", database.app().username());
      System.setProperty("quarkus.datasource.password", database.app().password());
      System.setProperty("quarkus.flyway.username", database.owner().username());
      System.setProperty("quarkus.flyway.password", database.owner().password());
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
