package dev.trainyard.backend.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binding a trigger's parameters from a run.ended event, and matching it, without the app. */
class EventBindingsTest {
  private static final Map<String, Object> RUN_ENDED =
      Map.of(
          "run",
          Map.of(
              "id", "run-1",
              "template", "pretrain",
              "status", "SUCCEEDED",
              "executions", 2,
              "outputs", Map.of("model", "ab12cd")));

  @Test
  void aWholeExpressionKeepsTheEventsValueAndTypeAndAnEmbeddedOneIsWrittenIn() {
    Map<String, Object> bound =
        EventBindings.bind(
            Map.of(
                "base", "${{ event.run.outputs.model }}",
                "executions", "${{event.run.executions}}",
                "note", "from ${{ event.run.id }} (${{ event.run.status }})",
                "lr", 0.001),
            RUN_ENDED);
    assertThat(bound)
        .containsEntry("base", "ab12cd")
        .containsEntry("executions", 2)
        .containsEntry("note", "from run-1 (SUCCEEDED)")
        .containsEntry("lr", 0.001);
  }

  @Test
  void anExpressionNamingNothingInTheEventFailsWithTheParametersPath() {
    assertThatThrownBy(
            () -> EventBindings.bind(Map.of("base", "${{ event.run.outputs.adapter }}"), RUN_ENDED))
        .isInstanceOf(EventBindings.Unbound.class)
        .hasMessage("params.base: the event has no run.outputs.adapter");
  }

  @Test
  void aRunEndedTriggerMatchesItsTemplateAndStatusOnly() {
    assertThat(
            TriggerSink.matches(Map.of("template", "pretrain", "status", "SUCCEEDED"), RUN_ENDED))
        .isTrue();
    assertThat(TriggerSink.matches(Map.of("template", "pretrain"), RUN_ENDED)).isTrue();
    assertThat(TriggerSink.matches(Map.of("template", "pretrain", "status", "FAILED"), RUN_ENDED))
        .isFalse();
    assertThat(TriggerSink.matches(Map.of("template", "sft"), RUN_ENDED)).isFalse();
  }
}
