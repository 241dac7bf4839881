package dev.trainyard.backend.webhooks;

import com.sun.net.httpserver.HttpServer;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** A real HTTP receiver of webhooks on a free loopback port, recording every request it gets. */
final class Receiver implements AutoCloseable {
  /** One request as received: its webhook headers, raw body, and what it was answered. */
  record Received(Map<String, String> headers, byte[] body, int answered) {
    JsonPath json() {
      return JsonPath.from(new String(body, StandardCharsets.UTF_8));
    }

    String type() {
      return json().getString("type");
    }

    String id() {
      return headers.get("webhook-id");
    }
  }

  private final HttpServer server;
  final List<Received> received = new CopyOnWriteArrayList<>();

  /**
   * @param answer the status to answer each request with, given the requests before it
   */
  Receiver(Function<Received, Integer> answer) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          Map<String, String> headers = new java.util.HashMap<>();
          for (String name :
              List.of("webhook-id", "webhook-timestamp", "webhook-signature", "content-type")) {
            headers.put(name, exchange.getRequestHeaders().getFirst(name));
          }
          Received request = new Received(headers, body, 0);
          int status = answer.apply(request);
          received.add(new Received(headers, body, status));
          byte[] reply = ("answered " + status).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, reply.length);
          exchange.getResponseBody().write(reply);
          exchange.close();
        });
    // Each request on its own thread: a receiver that hangs on one still answers the next.
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  List<Received> ofType(String type) {
    return received.stream().filter(r -> r.type().equals(type)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
