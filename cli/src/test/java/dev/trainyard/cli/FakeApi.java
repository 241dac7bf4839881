package dev.trainyard.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny HTTP server answering canned bodies by method and path, for the client's parsing and
 * output tests (what the real backend cannot be made to send, such as bytes that do not match their
 * manifest). The client against the real backend is infra/scripts/e2e-cli.sh.
 */
final class FakeApi implements AutoCloseable {
  record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {}

  record Seen(
      String method, String uri, String authorization, String body, String idempotencyKey) {}

  final HttpServer server;
  final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<Seen> seen = new CopyOnWriteArrayList<>();

  FakeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  FakeApi json(String method, String uri, int status, String body) {
    answers.put(
        method + " " + uri,
        new Answer(
            status,
            status >= 400 ? "application/problem+json" : "application/json",
            body.getBytes(StandardCharsets.UTF_8),
            Map.of()));
    return this;
  }

  FakeApi raw(
      String method, String uri, String contentType, byte[] body, Map<String, String> headers) {
    answers.put(method + " " + uri, new Answer(200, contentType, body, headers));
    return this;
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String uri =
        ex.getRequestURI().getRawPath()
            + (ex.getRequestURI().getRawQuery() == null
                ? ""
                : "?" + ex.getRequestURI().getRawQuery());
    seen.add(
        new Seen(
            ex.getRequestMethod(),
            uri,
            ex.getRequestHeaders().getFirst("Authorization"),
            body,
            ex.getRequestHeaders().getFirst("Idempotency-Key")));
    Answer a = answers.get(ex.getRequestMethod() + " " + uri);
    if (a == null) {
      a =
          new Answer(
              404,
              "application/problem+json",
              ("{\"title\":\"Not Found\",\"status\":404,\"detail\":\"nothing at "
                      + uri
                      + "\",\"errors\":[]}")
                  .getBytes(StandardCharsets.UTF_8),
              Map.of());
    }
    ex.getResponseHeaders().set("Content-Type", a.contentType());
    a.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.sendResponseHeaders(a.status(), a.body().length == 0 ? -1 : a.body().length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(a.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
