package dev.trainyard.backend.templates;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs the templates shipped with Trainyard ({@code templates/*.yaml} on the classpath) at
 * start: the everyday ones, and the research recipes listed in {@code templates/recipes.json} (read
 * also by {@code ./trainyard recipes}, which runs them and writes docs/recipes.md).
 */
@ApplicationScoped
public class BundledTemplates {
  static final List<String> EVERYDAY = List.of("hello", "demo", "finetune");

  @Inject TemplateService templates;

  /** Every bundled template's name: the everyday ones, then the recipes in their file's order. */
  public static List<String> names() {
    List<String> names = new ArrayList<>(EVERYDAY);
    names.addAll(recipes());
    return names;
  }

  /** The recipe templates' names, in the order of {@code templates/recipes.json}. */
  public static List<String> recipes() {
    try (InputStream in = BundledTemplates.class.getResourceAsStream("/templates/recipes.json")) {
      List<String> names = new ArrayList<>();
      new ObjectMapper().readTree(in).fieldNames().forEachRemaining(names::add);
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void install(@Observes StartupEvent event) {
    for (String name : names()) {
      try (InputStream in = getClass().getResourceAsStream("/templates/" + name + ".yaml")) {
        templates.ensureBundled(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
