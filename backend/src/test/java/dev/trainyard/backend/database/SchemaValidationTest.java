package dev.trainyard.backend.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The application starts with Hibernate's schema validation on, so every entity matched the tables
 * the migrations made (a mismatch would have stopped this start), and reads through them work.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class SchemaValidationTest {
  @Inject EntityManager em;

  @Test
  void theAppStartsWithSchemaValidationOn() {
    assertThat(
            ConfigProvider.getConfig()
                .getValue("quarkus.hibernate-orm.schema-management.strategy", String.class))
        .isEqualTo("validate");
    // Every mapped entity is queryable over the validated schema.
    List<String> entities =
        em.getMetamodel().getEntities().stream().map(e -> e.getName()).sorted().toList();
    assertThat(entities).contains("RunEntity", "StepAttemptEntity", "ArtifactEntity");
    for (String entity : entities) {
      assertThat(
              em.createQuery("SELECT count(e) FROM " + entity + " e", Long.class).getSingleResult())
          .isNotNegative();
    }
  }
}
