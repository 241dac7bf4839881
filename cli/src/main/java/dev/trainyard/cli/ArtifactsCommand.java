package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "artifacts",
    description = "Artifacts (checkpoints, datasets, step outputs).",
    subcommands = {ArtifactsCommand.Pull.class, ArtifactsCommand.Get.class})
final class ArtifactsCommand {
  @Command(
      name = "get",
      description = "An artifact: its type, size, files with their sha256, aliases.")
  static final class Get extends Base {
    @Parameters(paramLabel = "ID")
    String ref;

    @Override
    public Integer call() {
      print(
          api().get("/api/v1/artifacts/" + Api.seg(ref)),
          "id",
          a -> {
            Table t = new Table("PATH", "BYTES", "SHA256");
            a.path("files")
                .forEach(
                    f ->
                        t.row(
                            f.path("path").asText(),
                            f.path("sizeBytes").asText(),
                            f.path("sha256").asText()));
            return a.path("type").asText()
                + " "
                + a.path("id").asText()
                + (a.path("name").isTextual() ? " (" + a.path("name").asText() + ")" : "")
                + ", "
                + a.path("sizeBytes").asText()
                + " bytes\n"
                + t.toString().stripTrailing();
          });
      return 0;
    }
  }

  @Command(
      name = "pull",
      description = {
        "Downloads every file of an artifact into DIR (default: the current directory), checking each file's sha256 while it streams.",
        "A file whose bytes do not match the manifest is not kept, and the command exits 1. Files already there with the right hash are skipped."
      })
  static final class Pull extends Base {
    @Parameters(index = "0", paramLabel = "ID")
    String ref;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR")
    Path dir = Path.of(".");

    @Override
    public Integer call() throws IOException {
      JsonNode artifact = api().get("/api/v1/artifacts/" + Api.seg(ref));
      String id = artifact.path("id").asText();
      Path root = dir.toAbsolutePath().normalize();
      long total = 0;
      for (JsonNode f : artifact.path("files")) {
        total += f.path("sizeBytes").asLong();
      }
      Progress progress = new Progress(ctx().err(), ctx().interactive());
      long done = 0;
      int fetched = 0;
      ArrayNode files = json().createArrayNode();
      for (JsonNode f : artifact.path("files")) {
        String path = f.path("path").asText();
        String expected = f.path("sha256").asText();
        Path target = root.resolve(path).normalize();
        if (!target.startsWith(root) || path.isEmpty()) {
          throw new CliException("refusing the file path '" + path + "': it leaves " + root);
        }
        files.add(
            json()
                .createObjectNode()
                .put("path", path)
                .put("sizeBytes", f.path("sizeBytes").asLong())
                .put("sha256", expected));
        if (Files.isRegularFile(target) && sha256(target).equals(expected)) {
          done += f.path("sizeBytes").asLong();
          continue;
        }
        done = download(id, path, expected, target, done, total, progress);
        fetched++;
      }
      progress.clear();
      if (output == Format.json) {
        ObjectNode report =
            json()
                .createObjectNode()
                .put("artifact", id)
                .put("dir", root.toString())
                .put("bytes", total);
        report.set("files", files);
        out().println(pretty(report));
      } else if (output == Format.id) {
        out().println(id);
      } else {
        out()
            .println(
                "pulled "
                    + id
                    + " into "
                    + root
                    + ": "
                    + files.size()
                    + " files, "
                    + total
                    + " bytes, sha256 verified"
                    + (fetched < files.size()
                        ? " (" + (files.size() - fetched) + " already there)"
                        : ""));
      }
      return 0;
    }

    private long download(
        String id,
        String path,
        String expected,
        Path target,
        long done,
        long total,
        Progress progress)
        throws IOException {
      Files.createDirectories(target.getParent());
      Path part = target.resolveSibling(target.getFileName() + ".part");
      MessageDigest sha = sha256();
      HttpResponse<InputStream> r =
          api().stream(
              "/api/v1/artifacts/" + Api.seg(id) + "/files/" + Api.filePath(path),
              "application/octet-stream");
      String header = r.headers().firstValue("X-Content-SHA256").orElse(expected);
      try (InputStream in = r.body();
          OutputStream out = Files.newOutputStream(part)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
          out.write(buf, 0, n);
          done += n;
          progress.update(done, total, path);
        }
      } catch (IOException e) {
        Files.deleteIfExists(part);
        throw new CliException("downloading " + path + ": " + e.getMessage());
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (!actual.equals(expected) || !header.equals(expected)) {
        Files.deleteIfExists(part);
        progress.clear();
        throw new CliException(
            "sha256 mismatch for "
                + path
                + ": the manifest says "
                + expected
                + (header.equals(expected) ? "" : ", the server says " + header)
                + ", the bytes are "
                + actual
                + "; not kept");
      }
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return done;
    }

    static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    static String sha256(Path file) throws IOException {
      MessageDigest sha = sha256();
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(sha.digest());
    }
  }
}
