package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command shares: the target options, the output format, and the API client. */
abstract class Base implements Callable<Integer> {
  enum Format {
    text,
    json,
    id
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      description =
          "Trainyard's address (default: $TRAINYARD_URL, the one `login` saved, or http://127.0.0.1:8080)")
  String url;

  @Option(
      names = {"-o", "--output"},
      description = "text (default), json (the API's answer), or id (only the id, for scripts)")
  Format output = Format.text;

  private Api api;

  Main root() {
    return (Main) spec.root().userObject();
  }

  Main.Ctx ctx() {
    return root().ctx;
  }

  ObjectMapper json() {
    return root().json;
  }

  PrintWriter out() {
    return ctx().out();
  }

  Api api() {
    if (api == null) {
      api = new Api(Target.resolve(url, ctx().env(), json()), json());
    }
    return api;
  }

  /** Prints the answer as JSON, its id, or (text) what {@code text} renders. */
  void print(JsonNode answer, String idField, java.util.function.Function<JsonNode, String> text) {
    switch (output) {
      case json -> out().println(pretty(answer));
      case id -> out().println(answer.path(idField).asText());
      case text -> out().println(text.apply(answer));
    }
  }

  String pretty(JsonNode node) {
    try {
      return json().writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
