package dev.trainyard.backend.templates;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Installs the templates shipped with Trainyard ({@code templates/*.yaml} on the classpath) at
 * start.
 */
@ApplicationScoped
public class BundledTemplates {
  static final List<String> NAMES = List.of("hello", "demo", "finetune");

  @Inject TemplateService templates;

  void install(@Observes StartupEvent event) {
    for (String name : NAMES) {
      try (InputStream in = getClass().getResourceAsStream("/templates/" + name + ".yaml")) {
        templates.ensureBundled(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
