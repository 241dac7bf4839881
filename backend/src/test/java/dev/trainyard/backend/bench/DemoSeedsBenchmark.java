package dev.trainyard.backend.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.api.DemoRun;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bundled {@code demo} at seeds 0–9, one after the other, through the API: each seed's status,
 * gated exact match and launch-to-finish time, written to {@code target/benchmarks/demo-seeds.txt}
 * (docs/benchmarks.md). Not part of the test suite: {@code ./mvnw -pl backend -am verify
 * -Dtest=DemoSeedsBenchmark -Dtests.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false}; a
 * narrower range with {@code -Ddemo.seeds=3,4}.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@Tag("benchmark")
class DemoSeedsBenchmark {

  @Test
  void theDemoPassesItsGateAtEverySeed() throws Exception {
    Api.signIn();
    List<String> lines = new ArrayList<>(List.of("seed status exact_match seconds run"));
    List<Integer> failed = new ArrayList<>();
    for (String s : System.getProperty("demo.seeds", "0,1,2,3,4,5,6,7,8,9").split(",")) {
      int seed = Integer.parseInt(s.trim());
      DemoRun demo = DemoRun.launch(seed);
      String line =
          String.format(
              "%d %s %.3f %.1f %s",
              seed,
              demo.status(),
              demo.exactMatch(),
              demo.duration().toMillis() / 1000.0,
              demo.runId());
      System.out.println("demo-seeds: " + line);
      lines.add(line);
      if (!"SUCCEEDED".equals(demo.status())) {
        failed.add(seed);
      }
      Files.createDirectories(Path.of("target/benchmarks"));
      Files.writeString(
          Path.of("target/benchmarks/demo-seeds.txt"), String.join("\n", lines) + "\n");
    }
    assertThat(failed).as("seeds whose demo run did not succeed").isEmpty();
  }
}
