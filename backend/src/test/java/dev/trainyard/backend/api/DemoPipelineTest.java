package dev.trainyard.backend.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled {@code demo}, exactly as a new user launches it (its default seed), run once by the
 * test command: every stage on the real trainer, the Java merge and prune, and the evaluate gate.
 * The ten-seed check is a benchmark (DemoSeedsBenchmark), not part of the tests.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DemoPipelineTest {

  @BeforeEach
  void signIn() throws Exception {
    Api.signIn();
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assumptions.assumeTrue(
        check.waitFor() == 0,
        "Debian's python3-torch is not installed (./trainyard test installs it)");
  }

  @Test
  void theBundledDemoPassesItsOwnGateAtItsDefaultSeed() {
    DemoRun demo = DemoRun.launch(0);

    assertThat(demo.status()).as(demo.error()).isEqualTo("SUCCEEDED");
    assertThat(demo.exactMatch()).as("exact match of the pruned soup").isGreaterThanOrEqualTo(0.5);
    assertThat(demo.run().getList("steps.status", String.class)).containsOnly("SUCCEEDED");
  }
}
