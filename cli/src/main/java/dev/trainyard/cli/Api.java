package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The REST API of one Trainyard, as JSON trees; any non-2xx answer is an {@link ApiException}. */
final class Api {
  private final Target target;
  private final ObjectMapper json;
  private final HttpClient http;

  Api(Target target, ObjectMapper json) {
    this.target = target;
    this.json = json;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** One path segment, percent-encoded (a run id, a step, an alias name). */
  static String seg(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A file path inside an artifact: each segment encoded, the slashes kept. */
  static String filePath(String path) {
    return Arrays.stream(path.split("/")).map(Api::seg).collect(Collectors.joining("/"));
  }

  JsonNode get(String path) {
    return send(request(path).GET());
  }

  JsonNode postJson(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json").POST(bodyOf(body)));
  }

  JsonNode postJson(String path, Object body, String idempotencyKey) {
    HttpRequest.Builder b =
        request(path).header("Content-Type", "application/json").POST(bodyOf(body));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b);
  }

  JsonNode postEmpty(String path) {
    return send(request(path).POST(HttpRequest.BodyPublishers.noBody()));
  }

  JsonNode postText(String path, String contentType, String text) {
    return send(
        request(path)
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(text)));
  }

  JsonNode putJson(String path, Object body) {
    return send(request(path).header("Content-Type", "application/json").PUT(bodyOf(body)));
  }

  /** The body as text (a step's log); null when the API answers 404. */
  String getTextOrNull(String path) {
    HttpResponse<String> r = exchange(request(path).GET(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 404) {
      return null;
    }
    check(r.statusCode(), r.body());
    return r.body();
  }

  /** A streamed body (a download, server-sent events); the caller closes it. */
  HttpResponse<InputStream> stream(String path, String accept) {
    HttpResponse<InputStream> r =
        exchange(
            request(path).header("Accept", accept).GET(),
            HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() >= 300) {
      try (InputStream in = r.body()) {
        check(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new CliException("reading the answer of " + path + ": " + e.getMessage());
      }
    }
    return r;
  }

  private HttpRequest.BodyPublisher bodyOf(Object body) {
    try {
      return HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target.url() + path));
    if (target.token() != null) {
      b.header("Authorization", "Bearer " + target.token());
    }
    return b;
  }

  private JsonNode send(HttpRequest.Builder b) {
    HttpResponse<String> r =
        exchange(b.header("Accept", "application/json"), HttpResponse.BodyHandlers.ofString());
    check(r.statusCode(), r.body());
    try {
      return r.body() == null || r.body().isBlank()
          ? json.createObjectNode()
          : json.readTree(r.body());
    } catch (IOException e) {
      throw new CliException("the API answered something that is not JSON: " + e.getMessage());
    }
  }

  private void check(int status, String body) {
    if (status == 401 && target.token() == null) {
      throw new CliException(
          "not logged in: run `trainyard login` (local mode reads "
              + "~/.trainyard/local-token; team mode: login --url URL --token-file FILE)");
    }
    if (status >= 300) {
      throw ApiException.of(status, body, json);
    }
  }

  private <T> HttpResponse<T> exchange(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(b.build(), handler);
    } catch (ConnectException e) {
      throw new CliException(
          "cannot reach Trainyard at "
              + target.url()
              + " (is it running? `./trainyard run` starts local mode)");
    } catch (IOException e) {
      throw new CliException("talking to " + target.url() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
