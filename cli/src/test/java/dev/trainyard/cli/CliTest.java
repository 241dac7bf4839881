package dev.trainyard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir Path home;
  FakeApi api;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws IOException {
    api = new FakeApi();
    Files.createDirectories(home.resolve(".trainyard"));
    Files.writeString(home.resolve(".trainyard/local-token"), "local-secret\n");
  }

  @AfterEach
  void stop() {
    api.close();
  }

  int withStdin(String stdin, String... args) {
    Map<String, String> env =
        new HashMap<>(Map.of("HOME", home.toString(), "TRAINYARD_URL", api.url()));
    Main.Ctx ctx =
        new Main.Ctx(
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out),
            new PrintWriter(err),
            false);
    return Main.run(ctx, args);
  }

  int cli(String... args) {
    return withStdin("", args);
  }

  static final String RUN =
      """
      {"id":"run-1","template":"hello","templateVersion":2,"status":"SUCCEEDED","launchedBy":"local","error":null,
       "createdAt":"2026-12-02T05:00:00Z",
       "steps":[{"id":"greet","kind":"command","status":"SUCCEEDED","attempts":[{"attempt":1}],"outputs":{"output":{"artifactId":"abc123"}}},
                {"id":"join","kind":"command","status":"REUSED","attempts":[{"attempt":1},{"attempt":2}],"outputs":{}}]}
      """;

  @Test
  void badUsageExits2WithTheUsageAndCallsNothing() {
    assertThat(cli("launch")).isEqualTo(2);
    assertThat(err.toString())
        .contains("Missing required parameter: 'TEMPLATE'")
        .contains("Usage: trainyard launch");
    assertThat(cli("runs", "ls", "--output", "yaml")).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--output'");
    assertThat(cli("runz")).isEqualTo(2);
    assertThat(api.seen).isEmpty();
  }

  @Test
  void runsGetPrintsTheStepsAsATableAsJsonOrOnlyTheId() {
    api.json("GET", "/api/v1/runs/run-1", 200, RUN);
    assertThat(cli("runs", "get", "run-1")).isZero();
    assertThat(out.toString())
        .contains("run run-1  SUCCEEDED  template hello v2  launched by local")
        .contains("STEP   KIND     STATUS     ATTEMPTS  OUTPUTS")
        .contains("greet  command  SUCCEEDED  1         output=abc123")
        .contains("join   command  REUSED     2");
    out.getBuffer().setLength(0);
    assertThat(cli("runs", "get", "run-1", "-o", "json")).isZero();
    assertThat(out.toString()).contains("\"templateVersion\" : 2");
    out.getBuffer().setLength(0);
    assertThat(cli("runs", "get", "run-1", "-o", "id")).isZero();
    assertThat(out.toString()).isEqualTo("run-1\n");
    // Local mode's token, read from the local home, goes with every call.
    assertThat(api.seen)
        .allSatisfy(s -> assertThat(s.authorization()).isEqualTo("Bearer local-secret"));
  }

  @Test
  void launchTypesParametersByTheTemplateAndSendsTheIdempotencyKey() {
    api.json(
        "GET",
        "/api/v1/templates/hello",
        200,
        "{\"params\":[{\"name\":\"pause_seconds\",\"type\":\"int\"},{\"name\":\"lr\",\"type\":\"number\"},{\"name\":\"dry\",\"type\":\"boolean\"},{\"name\":\"greeting\",\"type\":\"string\"}]}");
    api.json("POST", "/api/v1/runs", 201, RUN);
    assertThat(
            cli(
                "launch",
                "hello",
                "-p",
                "pause_seconds=30",
                "-p",
                "lr=1e-4",
                "-p",
                "dry=true",
                "-p",
                "greeting=42 = answer",
                "--idempotency-key",
                "nightly-1"))
        .isZero();
    FakeApi.Seen post = api.seen.get(1);
    assertThat(post.body())
        .isEqualTo(
            "{\"template\":\"hello\",\"params\":{\"pause_seconds\":30,\"lr\":0.0001,\"dry\":true,\"greeting\":\"42 = answer\"}}");
    assertThat(post.idempotencyKey()).isEqualTo("nightly-1");
    assertThat(out.toString()).isEqualTo("run run-1 SUCCEEDED (template hello v2)\n");
  }

  @Test
  void aRefusedLaunchShowsEveryProblemPathAndExits1() {
    api.json(
        "GET",
        "/api/v1/templates/hello",
        200,
        "{\"params\":[{\"name\":\"pause_seconds\",\"type\":\"int\"}]}");
    api.json(
        "POST",
        "/api/v1/runs",
        422,
        "{\"type\":\"about:blank\",\"title\":\"Invalid input\",\"status\":422,\"detail\":\"2 problem(s)\",\"errors\":[{\"path\":\"params.pause_seconds\",\"message\":\"expected int, got \\\"soon\\\"\"},{\"path\":\"params.nope\",\"message\":\"unknown parameter\"}]}");
    assertThat(cli("launch", "hello", "-p", "pause_seconds=soon", "-p", "nope=1")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "error: HTTP 422: Invalid input\n  params.pause_seconds: expected int, got \"soon\"\n  params.nope: unknown parameter\n");
    assertThat(api.seen.get(1).body()).contains("\"pause_seconds\":\"soon\"");
  }

  @Test
  void watchPrintsEachStepChangeAndExitsNonZeroWhenTheRunFails() {
    String running =
        "{\"id\":\"run-1\",\"status\":\"RUNNING\",\"steps\":[{\"id\":\"a\",\"status\":\"RUNNING\"},{\"id\":\"b\",\"status\":\"PENDING\"}]}";
    String failed =
        "{\"id\":\"run-1\",\"status\":\"FAILED\",\"error\":\"step 'a' exited with code 3\",\"steps\":[{\"id\":\"a\",\"status\":\"FAILED\"},{\"id\":\"b\",\"status\":\"SKIPPED\"}]}";
    api.json("GET", "/api/v1/templates/t", 200, "{\"params\":[]}");
    api.json("POST", "/api/v1/runs", 201, running);
    api.raw(
        "GET",
        "/api/v1/runs/run-1/events",
        "text/event-stream",
        ("data: " + running + "\n\ndata: " + failed + "\n\n").getBytes(StandardCharsets.UTF_8),
        Map.of());
    assertThat(cli("launch", "t", "--watch")).isEqualTo(1);
    assertThat(out.toString())
        .isEqualTo(
            "run run-1 launched; watching\n  a RUNNING\n  a FAILED\n  b SKIPPED\nrun run-1 FAILED: step 'a' exited with code 3\n");
    assertThat(err.toString()).isEqualTo("error: run run-1 ended FAILED\n");
  }

  static String sha(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void pullWritesEachFileAfterCheckingItsSha256AndSkipsTheOnesAlreadThere() throws Exception {
    byte[] a = "first file\n".getBytes(StandardCharsets.UTF_8);
    byte[] b = "second, in a folder\n".getBytes(StandardCharsets.UTF_8);
    api.json(
        "GET",
        "/api/v1/artifacts/abc",
        200,
        "{\"id\":\"abc123\",\"files\":[{\"path\":\"a.txt\",\"sizeBytes\":11,\"sha256\":\""
            + sha(a)
            + "\"},{\"path\":\"sub dir/b.txt\",\"sizeBytes\":20,\"sha256\":\""
            + sha(b)
            + "\"}]}");
    api.raw(
        "GET",
        "/api/v1/artifacts/abc123/files/a.txt",
        "application/octet-stream",
        a,
        Map.of("X-Content-SHA256", sha(a)));
    api.raw(
        "GET",
        "/api/v1/artifacts/abc123/files/sub%20dir/b.txt",
        "application/octet-stream",
        b,
        Map.of("X-Content-SHA256", sha(b)));
    Path dir = home.resolve("out");
    assertThat(cli("artifacts", "pull", "abc", dir.toString())).isZero();
    assertThat(Files.readAllBytes(dir.resolve("a.txt"))).isEqualTo(a);
    assertThat(Files.readAllBytes(dir.resolve("sub dir/b.txt"))).isEqualTo(b);
    assertThat(out.toString())
        .isEqualTo("pulled abc123 into " + dir + ": 2 files, 31 bytes, sha256 verified\n");
    out.getBuffer().setLength(0);
    int calls = api.seen.size();
    assertThat(cli("artifacts", "pull", "abc", dir.toString())).isZero();
    assertThat(out.toString()).endsWith("(2 already there)\n");
    assertThat(api.seen).hasSize(calls + 1); // the listing only
  }

  @Test
  void pullKeepsNoFileWhoseBytesDoNotMatchTheManifest() throws Exception {
    byte[] good = "the real bytes\n".getBytes(StandardCharsets.UTF_8);
    api.json(
        "GET",
        "/api/v1/artifacts/abc",
        200,
        "{\"id\":\"abc\",\"files\":[{\"path\":\"model.bin\",\"sizeBytes\":15,\"sha256\":\""
            + sha(good)
            + "\"}]}");
    api.raw(
        "GET",
        "/api/v1/artifacts/abc/files/model.bin",
        "application/octet-stream",
        "the real bytez\n".getBytes(StandardCharsets.UTF_8),
        Map.of());
    Path dir = home.resolve("out");
    assertThat(cli("artifacts", "pull", "abc", dir.toString())).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("error: sha256 mismatch for model.bin: the manifest says " + sha(good))
        .endsWith("; not kept\n");
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void pullRefusesAManifestPathThatLeavesTheDirectory() {
    api.json(
        "GET",
        "/api/v1/artifacts/abc",
        200,
        "{\"id\":\"abc\",\"files\":[{\"path\":\"../escape.txt\",\"sizeBytes\":1,\"sha256\":\"00\"}]}");
    assertThat(cli("artifacts", "pull", "abc", home.resolve("out").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("refusing the file path '../escape.txt'");
    assertThat(home.resolve("escape.txt")).doesNotExist();
  }

  @Test
  void teamLoginChecksTheTokenFromStdinAndSavesItForTheUserOnly() throws IOException {
    api.json("GET", "/api/v1/runs?limit=1", 200, "{\"items\":[]}");
    api.json("GET", "/api/v1/runs?limit=20", 200, "{\"items\":[]}");
    assertThat(withStdin("team-token\n", "login", "--url", api.url() + "/", "--token-file", "-"))
        .isZero();
    Path config = home.resolve(".config/trainyard/cli.json");
    assertThat(Files.readString(config)).contains("\"token\" : \"team-token\"");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config)))
        .isEqualTo("rw-------");
    assertThat(cli("runs", "ls")).isZero();
    assertThat(api.seen.get(1).authorization()).isEqualTo("Bearer team-token");
  }

  @Test
  void aRefusedTokenIsNotSaved() {
    api.json(
        "GET",
        "/api/v1/runs?limit=1",
        401,
        "{\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"sign in\",\"errors\":[]}");
    assertThat(withStdin("bad\n", "login", "--token-file", "-")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("error: HTTP 401: Unauthorized: sign in\n");
    assertThat(home.resolve(".config/trainyard/cli.json")).doesNotExist();
  }

  @Test
  void logsOfEveryStepArePrefixedByTheStep() {
    api.json("GET", "/api/v1/runs/run-1", 200, RUN);
    api.raw(
        "GET",
        "/api/v1/runs/run-1/steps/greet/log",
        "text/plain",
        "hi\nthere\n".getBytes(StandardCharsets.UTF_8),
        Map.of());
    api.raw(
        "GET",
        "/api/v1/runs/run-1/steps/join/log",
        "text/plain",
        "joined\n".getBytes(StandardCharsets.UTF_8),
        Map.of());
    assertThat(cli("logs", "run-1")).isZero();
    assertThat(out.toString()).isEqualTo("[greet] hi\n[greet] there\n[join] joined\n");
    out.getBuffer().setLength(0);
    assertThat(cli("logs", "run-1", "greet")).isZero();
    assertThat(out.toString()).isEqualTo("hi\nthere\n");
    assertThat(cli("logs", "run-1", "nope")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("error: run run-1 has no step 'nope'\n");
  }

  @Test
  void anUnreachableTrainyardIsOneLineNotAStackTrace() {
    api.close();
    assertThat(cli("runs", "ls")).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("error: cannot reach Trainyard at " + api.url())
        .doesNotContain("Exception");
  }

  @Test
  void anInvalidSpecIsRefusedWithEveryProblemPathBeforeAnythingIsCreated() throws IOException {
    Path spec = home.resolve("bad.yaml");
    Files.writeString(
        spec,
        "apiVersion: trainyard/v1\nkind: Pipeline\nname: fails\nsteps: [{id: m, kind: merge}]\n");
    api.json(
        "POST",
        "/api/v1/templates/validate",
        200,
        "{\"valid\":false,\"name\":\"fails\",\"latestVersion\":1,\"problems\":[{\"path\":\"steps[0].method\",\"message\":\"required\"},{\"path\":\"steps[0].models\",\"message\":\"required\"}]}");
    assertThat(cli("templates", "apply", "-f", spec.toString())).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo(
            "error: "
                + spec
                + " is not a valid pipeline spec (nothing was created)\n  steps[0].method: required\n  steps[0].models: required\n");
    assertThat(api.seen)
        .extracting(FakeApi.Seen::uri)
        .containsExactly("/api/v1/templates/validate");
  }

  @Test
  void applyAddsAVersionToATemplateThatExists() throws IOException {
    Path spec = home.resolve("hello.yaml");
    Files.writeString(spec, "name: hello\n");
    api.json(
        "POST",
        "/api/v1/templates/validate",
        200,
        "{\"valid\":true,\"name\":\"hello\",\"latestVersion\":2,\"problems\":[]}");
    api.json(
        "POST",
        "/api/v1/templates/hello/versions",
        201,
        "{\"name\":\"hello\",\"version\":3,\"approved\":true}");
    assertThat(cli("templates", "apply", "-f", spec.toString())).isZero();
    assertThat(out.toString()).isEqualTo("template hello version 3 (new version)\n");
    assertThat(api.seen.get(1).body()).isEqualTo("name: hello\n");
  }
}
