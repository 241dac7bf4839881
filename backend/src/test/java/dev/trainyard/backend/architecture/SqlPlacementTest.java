package dev.trainyard.backend.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SQL lives in one repository per aggregate (Marquez's layering): resources call services, services
 * call repositories. A source scan, so the habit holds: no class under {@code api/} holds an
 * EntityManager, builds a query or carries SQL or JPQL text, and in the aggregates that have a
 * repository ({@code runs}, {@code retention}, {@code audit}, {@code lineage}, {@code catalog},
 * {@code datasets}, {@code checkpoints}) only the repository does. A Panache entity's static
 * lookups ({@code ArtifactEntity.withIdPrefix}) are allowed: the entity is the repository for its
 * own table.
 */
class SqlPlacementTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final String API = "dev/trainyard/backend/api/";

  /** Aggregates whose SQL is in their {@code *Repository} class (or an entity) only. */
  static final List<String> REPOSITORY_PACKAGES =
      List.of(
          "dev/trainyard/backend/runs/",
          "dev/trainyard/backend/retention/",
          "dev/trainyard/backend/audit/",
          "dev/trainyard/backend/lineage/",
          "dev/trainyard/backend/catalog/",
          "dev/trainyard/backend/datasets/",
          "dev/trainyard/backend/checkpoints/",
          "dev/trainyard/backend/openlineage/",
          "dev/trainyard/backend/schedules/",
          "dev/trainyard/backend/events/",
          "dev/trainyard/backend/webhooks/",
          "dev/trainyard/backend/triggers/",
          "dev/trainyard/backend/observability/",
          // no repository of its own: cards read lineage and the catalog through theirs
          "dev/trainyard/backend/cards/",
          // no repository of its own: it writes artifact rows through the catalog's entities
          "dev/trainyard/backend/intake/",
          // no repository of its own: the gate reads the run aggregate through RunRepository
          "dev/trainyard/backend/trust/");

  /**
   * Repositories not named so, each with what it is the repository of. Renaming them would touch
   * every caller for no change in what they do.
   */
  static final Map<String, String> REPOSITORIES_BY_ANOTHER_NAME =
      Map.of(
          "dev/trainyard/backend/catalog/CatalogLedger.java",
              "what workflows record: runs, steps, attempts, outputs and their lineage",
          "dev/trainyard/backend/catalog/Aliases.java", "the alias aggregate and its history");

  private static final Pattern QUERY_CALL =
      Pattern.compile("\\bcreate(Native|Named|StoredProcedure)?Query\\s*\\(");
  private static final Pattern ENTITY_MANAGER = Pattern.compile("\\bEntityManager\\b");
  private static final Pattern STRING_LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");

  /** SQL or JPQL text: a statement's first word, or a bound parameter after an operator. */
  private static final Pattern SQL_TEXT =
      Pattern.compile(
          "(?i)^\\s*(select\\s+(distinct\\s+|new\\s+)?[\\w.*(]+(\\s*,|\\s+from\\b|\\s*\\(|$)"
              + "|insert\\s+into|update\\s+\\w+\\s+set|delete\\s+from|with\\s+recursive)"
              + "|(=|<|>|\\(|,|\\blike|\\bin)\\s*(:\\w+|\\?\\d+)");

  @Test
  void noResourceHoldsSqlAndOnlyRepositoriesDoInTheirAggregates() throws IOException {
    assertThat(offenders(MAIN)).isEmpty();
  }

  @Test
  void theRepositoriesByAnotherNameExistSoTheListCannotGoStale() {
    for (String file : REPOSITORIES_BY_ANOTHER_NAME.keySet()) {
      assertThat(MAIN.resolve(file)).exists();
    }
  }

  @Test
  void theScanFindsSqlWhereItIs(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    write(
        tmp,
        API + "runs/SneakyResource.java",
        "class SneakyResource {\n  @Inject EntityManager em;\n"
            + "  Object a = em.createNativeQuery(\"SELECT 1\");\n"
            + "  String b = \" and status = :status\";\n}\n");
    write(
        tmp,
        "dev/trainyard/backend/runs/RunService.java",
        "class RunService {\n  Object a = em.createQuery(q);\n"
            + "  Object b = RunEntity.list(\"team = ?1\", t);\n}\n");
    write(
        tmp,
        "dev/trainyard/backend/runs/RunRepository.java",
        "class RunRepository {\n  @Inject EntityManager em;\n"
            + "  Object a = em.createNativeQuery(\"UPDATE run SET status = ?1\");\n}\n");
    write(
        tmp,
        "dev/trainyard/backend/datasets/DatasetRefs.java",
        "class DatasetRefs {\n  Object a = DatasetVersionEntity.list(\"name = ?1\", n);\n}\n");
    write(
        tmp,
        "dev/trainyard/backend/catalog/ArtifactEntity.java",
        "class ArtifactEntity {\n  Object a = list(\"id like ?1\", p);\n}\n");
    write(
        tmp,
        API + "runs/HonestResource.java",
        "class HonestResource {\n  String a = \"select a run\", e = \"a = b\";\n"
            + "  String b = \"no run '\" + id + \"'\";\n  Object c = runs.get(id);\n}\n");

    assertThat(offenders(tmp))
        .containsExactly(
            API + "runs/SneakyResource.java:2: EntityManager",
            API + "runs/SneakyResource.java:3: createNativeQuery(",
            API + "runs/SneakyResource.java:3: \"SELECT 1\"",
            API + "runs/SneakyResource.java:4: \" and status = :status\"",
            "dev/trainyard/backend/datasets/DatasetRefs.java:2: \"name = ?1\"",
            "dev/trainyard/backend/runs/RunService.java:2: createQuery(",
            "dev/trainyard/backend/runs/RunService.java:3: \"team = ?1\"");
  }

  private static void write(Path root, String file, String text) throws IOException {
    Path path = root.resolve(file);
    Files.createDirectories(path.getParent());
    Files.writeString(path, text);
  }

  /** "file:line: what" for each query, EntityManager or SQL text outside its place. */
  private static List<String> offenders(Path root) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        String relative = root.relativize(p).toString().replace('\\', '/');
        boolean api = relative.startsWith(API);
        boolean service =
            REPOSITORY_PACKAGES.stream().anyMatch(relative::startsWith)
                && !relative.endsWith("Repository.java")
                && !relative.endsWith("Entity.java")
                && !REPOSITORIES_BY_ANOTHER_NAME.containsKey(relative);
        if (!api && !service) {
          continue;
        }
        List<String> lines = Files.readAllLines(p);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          if (line.strip().startsWith("*") || line.strip().startsWith("//")) {
            continue; // comments may name what they do not do
          }
          String at = relative + ":" + (i + 1) + ": ";
          if (api) {
            // A service may hold one for its session (flush, clear); a resource has no use for it.
            ENTITY_MANAGER.matcher(line).results().forEach(m -> found.add(at + m.group()));
          }
          QUERY_CALL
              .matcher(line)
              .results()
              .forEach(m -> found.add(at + m.group().replaceAll("\\s+", "")));
          Matcher literal = STRING_LITERAL.matcher(line);
          while (literal.find()) {
            if (SQL_TEXT.matcher(literal.group(1)).find()) {
              found.add(at + literal.group());
            }
          }
        }
      }
    }
    return found;
  }
}
