package dev.trainyard.backend.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The entities hold statuses as the workflows module's enums, and the database keeps exactly the
 * text V8's checks allow: every stored value reads back as its enum, and every enum the entities
 * write is stored as its name. Everything here is rolled back.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class StatusEnumsTest {
  @Inject EntityManager em;

  @Test
  void everyStoredStatusReadsBackAsItsEnumAndIsWrittenAsItsName() {
    String tpl = "enums-" + UUID.randomUUID().toString().substring(0, 8);
    QuarkusTransaction.begin();
    try {
      sql(
          "INSERT INTO template (name, created_by) VALUES ('" + tpl + "', 'alice')",
          "INSERT INTO template_version (template_name, version, spec, spec_sha256, created_by) "
              + "VALUES ('"
              + tpl
              + "', 1, 'x', 'x', 'alice')");
      for (RunStatus s : RunStatus.values()) {
        sql(
            "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
                + " VALUES ('"
                + tpl
                + "-"
                + s
                + "', '"
                + tpl
                + "', 1, '"
                + s.name()
                + "', '{}', '{}', 'alice')");
      }
      String runId = tpl + "-" + RunStatus.RUNNING;
      for (StepStatus s : StepStatus.values()) {
        sql(
            "INSERT INTO step (run_id, step_id, position, kind, status, needs) VALUES ('"
                + runId
                + "', '"
                + s
                + "', 0, 'command', '"
                + s.name()
                + "', '[]')",
            "INSERT INTO step_attempt (run_id, step_id, attempt, status) VALUES ('"
                + runId
                + "', '"
                + s
                + "', 1, '"
                + s.name()
                + "')");
      }
      em.clear();

      for (RunStatus s : RunStatus.values()) {
        assertThat(RunEntity.<RunEntity>findById(tpl + "-" + s).status).isSameAs(s);
      }
      for (StepStatus s : StepStatus.values()) {
        assertThat(StepEntity.<StepEntity>findById(new StepEntity.Key(runId, s.name())).status)
            .isSameAs(s);
        assertThat(
                StepAttemptEntity.<StepAttemptEntity>findById(
                        new StepAttemptEntity.Key(runId, s.name(), 1))
                    .status)
            .isSameAs(s);
      }

      RunEntity run = RunEntity.findById(tpl + "-" + RunStatus.PENDING);
      run.status = RunStatus.INTERRUPTED;
      StepEntity step = StepEntity.findById(new StepEntity.Key(runId, "PENDING"));
      step.status = StepStatus.WAITING_APPROVAL;
      em.flush();
      assertThat(text("SELECT status FROM run WHERE id = '" + run.id + "'"))
          .isEqualTo("INTERRUPTED");
      assertThat(
              text(
                  "SELECT status FROM step WHERE run_id = '" + runId + "' AND step_id = 'PENDING'"))
          .isEqualTo("WAITING_APPROVAL");
    } finally {
      QuarkusTransaction.rollback();
    }
  }

  private void sql(String... statements) {
    for (String statement : statements) {
      em.createNativeQuery(statement).executeUpdate();
    }
  }

  private String text(String query) {
    return (String) em.createNativeQuery(query).getSingleResult();
  }
}
