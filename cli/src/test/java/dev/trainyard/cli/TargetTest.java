package dev.trainyard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetTest {
  @TempDir Path home;
  final ObjectMapper json = new ObjectMapper();

  @Test
  void localModeIsTheDefaultWithTheTokenOfTheLocalHome() throws Exception {
    Files.createDirectories(home.resolve("state"));
    Files.writeString(home.resolve("state/local-token"), "tok\n");
    Target t =
        Target.resolve(
            null,
            Map.of("HOME", home.toString(), "TRAINYARD_HOME", home.resolve("state").toString()),
            json);
    assertThat(t)
        .isEqualTo(
            new Target(
                "http://127.0.0.1:8080", "tok", home.resolve("state/local-token").toString()));
  }

  @Test
  void theOptionBeatsTheEnvironmentWhichBeatsTheSavedLogin() {
    Map<String, String> env = Map.of("HOME", home.toString());
    Target.save(env, json, "https://saved.example", "saved-token");
    assertThat(Target.resolve(null, env, json))
        .isEqualTo(
            new Target(
                "https://saved.example",
                "saved-token",
                home.resolve(".config/trainyard/cli.json").toString()));
    Map<String, String> withUrl =
        Map.of("HOME", home.toString(), "TRAINYARD_URL", "https://env.example/");
    // The saved token belongs to the saved address only.
    assertThat(Target.resolve(null, withUrl, json))
        .isEqualTo(new Target("https://env.example", null, null));
    assertThat(Target.resolve("https://option.example", withUrl, json).url())
        .isEqualTo("https://option.example");
    Map<String, String> withToken = Map.of("HOME", home.toString(), "TRAINYARD_TOKEN", "env-token");
    assertThat(Target.resolve(null, withToken, json).token()).isEqualTo("env-token");
  }

  @Test
  void aLocalPathBecomesTheFileUriTheApiWants() {
    assertThat(DatasetsCommand.uri("/data/my corpus/./train.jsonl"))
        .isEqualTo("file:///data/my%20corpus/train.jsonl");
    assertThat(DatasetsCommand.uri("/data/dir/")).isEqualTo("file:///data/dir");
    assertThat(DatasetsCommand.uri("s3://bucket/key")).isEqualTo("s3://bucket/key");
    assertThat(DatasetsCommand.uri("rel")).isEqualTo("file://" + Path.of("rel").toAbsolutePath());
  }
}
