package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ProblemMappers;
import dev.trainyard.backend.cards.ModelCards;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.home.ArtifactPaths;
import dev.trainyard.backend.home.StoredArtifacts;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.jboss.logging.Logger;

/**
 * Serves an artifact's stored files: one file with byte ranges, or all of them as one tar streamed
 * entry by entry (never assembled in memory or on disk). The caller has already been authorized for
 * the artifact (ArtifactsResource#find); what may be served is exactly the manifest's files, read
 * from the store under the artifact's id with links refused.
 */
@ApplicationScoped
public class ArtifactDownloads {
  public static final String TAR = "application/x-tar";
  private static final Logger LOG = Logger.getLogger(ArtifactDownloads.class);

  @Inject StoredArtifacts store;
  @Inject ModelCards cards;

  Response file(ArtifactEntity a, String path, String range, String ifRange) {
    if (!ArtifactPaths.isSafe(path)) {
      throw ApiProblem.badRequest(
          "path", "must be a relative path of the artifact's manifest (no '..', no leading '/')");
    }
    ArtifactFileEntity f = ArtifactFileEntity.findById(new ArtifactFileEntity.Key(a.id, path));
    if (f == null) {
      throw ApiProblem.notFound("artifact " + a.id + " has no file '" + path + "'");
    }
    requireStored(a);
    SeekableByteChannel channel = open(a, f);
    try {
      long size = channel.size();
      String etag = "\"" + f.sha256 + "\"";
      // If-Range: a range of other content than the client holds would corrupt its copy.
      ByteRange.Request asked =
          ifRange == null || ifRange.strip().equals(etag)
              ? ByteRange.parse(range, size)
              : new ByteRange.Whole();
      if (asked instanceof ByteRange.Unsatisfiable) {
        channel.close();
        return Response.fromResponse(
                new ProblemMappers()
                    .apiProblem(
                        new ApiProblem(
                            416,
                            "Range Not Satisfiable",
                            "the file has " + size + " bytes; no byte of '" + range + "' is in it",
                            List.of())))
            .header("Content-Range", "bytes */" + size)
            .header("Accept-Ranges", "bytes")
            .build();
      }
      long from = 0;
      long length = size;
      Response.ResponseBuilder response = Response.ok();
      if (asked instanceof ByteRange.Part part) {
        from = part.range().first();
        length = part.range().length();
        response = Response.status(206).header("Content-Range", part.range().contentRange(size));
      }
      long start = from;
      long count = length;
      StreamingOutput body =
          out -> {
            try (SeekableByteChannel in = channel) {
              in.position(start);
              copy(Channels.newInputStream(in), out, count);
            }
          };
      byte[] digest = HexFormat.of().parseHex(f.sha256);
      return response
          .entity(body)
          .type("application/octet-stream")
          .header("Content-Length", length)
          .header("Accept-Ranges", "bytes")
          .header("ETag", etag)
          // RFC 9530: the digest of the whole file, also on a 206 (the representation's, not the
          // part's).
          .header("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(digest) + ":")
          .header("X-Content-SHA256", f.sha256)
          // Served from the dashboard's origin: an attachment, never rendered (and every response
          // carries X-Content-Type-Options: nosniff, application.properties).
          .header("Content-Disposition", attachment(baseName(path)))
          .build();
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException(e);
    }
  }

  Response archive(ArtifactEntity a) {
    requireStored(a);
    List<ArtifactFileEntity> files = new java.util.ArrayList<>(ArtifactFileEntity.ofArtifact(a.id));
    // A model's newest card rides along as README.md (MODEL_CARD.md where the checkpoint has a
    // README of its own): an entry of the tar, never a file of the checkpoint's manifest.
    ArtifactEntity card =
        ModelCards.describes(a.type)
            ? cards.latest(a.id).filter(c -> store.contains(c.id)).orElse(null)
            : null;
    ArtifactFileEntity cardFile = null;
    String cardPath = null;
    if (card != null) {
      cardFile = ArtifactFileEntity.findById(new ArtifactFileEntity.Key(card.id, ModelCards.FILE));
      cardPath =
          files.stream().anyMatch(f -> f.path.equals(ModelCards.FILE))
              ? "MODEL_CARD.md"
              : ModelCards.FILE;
    }
    ArtifactEntity cardArtifact = cardFile == null ? null : card;
    ArtifactFileEntity cardEntry = cardFile;
    String cardName = cardPath;
    FileTime modified = FileTime.from(a.createdAt.toInstant());
    StreamingOutput body =
        out -> {
          try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            // PAX headers: paths over 100 bytes and files over 8 GiB (sharded checkpoints) fit.
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (ArtifactFileEntity f : files) {
              try (SeekableByteChannel in = open(a, f)) {
                if (in.size() != f.sizeBytes) {
                  // The header is not written yet: the client gets a truncated tar, never a wrong
                  // file under a right name.
                  throw new IOException(
                      "stored file '" + f.path + "' of " + a.id + " differs from its manifest");
                }
                TarArchiveEntry entry = new TarArchiveEntry(f.path);
                entry.setSize(f.sizeBytes);
                entry.setMode(0100444);
                entry.setModTime(modified);
                tar.putArchiveEntry(entry);
                copy(Channels.newInputStream(in), tar, f.sizeBytes);
                tar.closeArchiveEntry();
              }
            }
            if (cardArtifact != null) {
              try (SeekableByteChannel in = open(cardArtifact, cardEntry)) {
                TarArchiveEntry entry = new TarArchiveEntry(cardName);
                entry.setSize(cardEntry.sizeBytes);
                entry.setMode(0100444);
                entry.setModTime(FileTime.from(cardArtifact.createdAt.toInstant()));
                tar.putArchiveEntry(entry);
                copy(Channels.newInputStream(in), tar, cardEntry.sizeBytes);
                tar.closeArchiveEntry();
              }
            }
            tar.finish();
          } catch (IOException | RuntimeException e) {
            LOG.warnf("archive of artifact %s cut short: %s", a.id, e.getMessage());
            throw e;
          }
        };
    Response.ResponseBuilder response = Response.ok(body, TAR);
    if (cardArtifact != null) {
      response.header("X-Model-Card", cardArtifact.id);
    }
    return response
        .header(
            "Content-Disposition",
            attachment((a.name == null ? a.type : a.name) + "-" + a.id.substring(0, 12) + ".tar"))
        .build();
  }

  private void requireStored(ArtifactEntity a) {
    if (a.deleted()) {
      throw new ApiProblem(
          410,
          "Gone",
          "retention deleted the files of artifact " + a.id + " on " + a.deletedAt,
          List.of());
    }
    if (!store.contains(a.id)) {
      // Datasets registered by URI before they were copied into the store have no stored files.
      throw ApiProblem.notFound("the artifact store holds no files of artifact " + a.id);
    }
  }

  private SeekableByteChannel open(ArtifactEntity a, ArtifactFileEntity f) {
    try {
      return store.openFile(a.id, f.path);
    } catch (NoSuchFileException e) {
      throw ApiProblem.notFound("the artifact store holds no file '" + f.path + "' of " + a.id);
    } catch (FileSystemException e) {
      // A link or special file where the store keeps regular files: planted, never followed.
      LOG.warnf("refused to serve %s of %s: %s", f.path, a.id, e.getMessage());
      throw ApiProblem.notFound("the artifact store holds no file '" + f.path + "' of " + a.id);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies exactly {@code count} bytes; a file that ends early fails the response. */
  private static void copy(InputStream in, OutputStream out, long count) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = count;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("file ended " + left + " bytes early");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  private static String baseName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** RFC 6266: an ASCII fallback name plus the exact one in UTF-8. */
  static String attachment(String name) {
    String ascii = name.replaceAll("[^A-Za-z0-9._-]", "_");
    String exact = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + exact;
  }

  private static void closeQuietly(SeekableByteChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing was sent from it
    }
  }
}
