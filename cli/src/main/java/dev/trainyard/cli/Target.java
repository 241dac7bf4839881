package dev.trainyard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Which Trainyard the client talks to, and with which token. The URL: {@code --url}, else {@code
 * $TRAINYARD_URL}, else the one {@code login} saved, else local mode's http://127.0.0.1:8080. The
 * token: {@code $TRAINYARD_TOKEN}, else the one {@code login --token-file} saved for that URL, else
 * local mode's {@code local-token} file, read at each call so that a rotated token is picked up.
 */
record Target(String url, String token, String tokenSource) {
  static final String LOCAL_URL = "http://127.0.0.1:8080";

  /**
   * Where {@code login} keeps the URL and a team-mode token: $TRAINYARD_CLI_CONFIG, or XDG's config
   * dir.
   */
  static Path configFile(Map<String, String> env) {
    if (env.get("TRAINYARD_CLI_CONFIG") != null) {
      return Path.of(env.get("TRAINYARD_CLI_CONFIG"));
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home(env).resolve(".config");
    return base.resolve("trainyard").resolve("cli.json");
  }

  /** Local mode's state dir: $TRAINYARD_HOME, else ~/.trainyard (as the backend's default). */
  static Path localHome(Map<String, String> env) {
    String dir = env.get("TRAINYARD_HOME");
    return dir != null && !dir.isBlank() ? Path.of(dir) : home(env).resolve(".trainyard");
  }

  static Path localTokenFile(Map<String, String> env) {
    return localHome(env).resolve("local-token");
  }

  private static Path home(Map<String, String> env) {
    String home = env.get("HOME");
    return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
  }

  static Target resolve(String urlOption, Map<String, String> env, ObjectMapper json) {
    ObjectNode saved = readConfig(env, json);
    String savedUrl = saved.path("url").asText(null);
    String url =
        urlOption != null
            ? urlOption
            : env.get("TRAINYARD_URL") != null
                ? env.get("TRAINYARD_URL")
                : savedUrl != null ? savedUrl : LOCAL_URL;
    url = url.replaceAll("/+$", "");
    if (env.get("TRAINYARD_TOKEN") != null && !env.get("TRAINYARD_TOKEN").isBlank()) {
      return new Target(url, env.get("TRAINYARD_TOKEN").strip(), "$TRAINYARD_TOKEN");
    }
    if (url.equals(savedUrl) && saved.path("token").isTextual()) {
      return new Target(url, saved.path("token").asText(), configFile(env).toString());
    }
    Path local = localTokenFile(env);
    if (Files.isRegularFile(local)) {
      try {
        return new Target(url, Files.readString(local).strip(), local.toString());
      } catch (IOException e) {
        throw new CliException("cannot read " + local + ": " + e.getMessage());
      }
    }
    return new Target(url, null, null);
  }

  static ObjectNode readConfig(Map<String, String> env, ObjectMapper json) {
    Path file = configFile(env);
    if (!Files.isRegularFile(file)) {
      return json.createObjectNode();
    }
    try {
      return (ObjectNode) json.readTree(file.toFile());
    } catch (IOException | ClassCastException e) {
      throw new CliException(
          "cannot read " + file + " (delete it and log in again): " + e.getMessage());
    }
  }

  /** Saves the URL and (team mode) the token, readable by the user only. */
  static Path save(Map<String, String> env, ObjectMapper json, String url, String token) {
    Path file = configFile(env);
    ObjectNode config = json.createObjectNode().put("url", url);
    if (token != null) {
      config.put("token", token);
    }
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(
          tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return file;
    } catch (IOException e) {
      throw new CliException("cannot write " + file + ": " + e.getMessage());
    }
  }
}
