package dev.trainyard.pipeline.kind;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepKindsTest {
  @Test
  void everyKindDescribesItself() {
    assertThat(StepKinds.names())
        .containsExactly(
            "command",
            "pretrain",
            "continual-pretrain",
            "sft",
            "dpo",
            "merge",
            "prune",
            "upcycle",
            "tokenize",
            "evaluate",
            "route-stats",
            "approval",
            "promote",
            "select-best");
    assertThat(StepKinds.find("dpo").orElseThrow().configKeys())
        .containsKeys("beta", "lr")
        .doesNotContainKey("replay");
    assertThat(StepKinds.find("continual-pretrain").orElseThrow().configKeys())
        .containsKey("replay");
    assertThat(StepKinds.find("sft").orElseThrow().configKeys()).doesNotContainKey("beta");
    assertThat(StepKinds.find("evaluate").orElseThrow().outputNames()).containsExactly("report");
    assertThat(StepKinds.find("approval").orElseThrow().outputNames()).isEmpty();
  }

  @Test
  void catalogueSerialisesToJsonForTheUi() throws Exception {
    Map<String, Object> described = StepKinds.describe();
    String json = new ObjectMapper().writeValueAsString(described);

    assertThat(json)
        .contains(
            "\"name\":\"lr\",\"type\":\"number\",\"required\":false,"
                + "\"constraint\":{\"exclusiveMinimum\":0.0,\"text\":\"> 0\"}");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> kinds = (List<Map<String, Object>>) described.get("kinds");
    assertThat(kinds).extracting(k -> k.get("name")).contains("merge");
  }

  @Test
  void constraintsExplainThemselves() {
    assertThat(Constraint.positive().violation(0)).contains("must be > 0");
    assertThat(Constraint.between(0, 1).violation(1.5)).contains("must be >= 0 and <= 1");
    assertThat(Constraint.between(0, 1).violation(0.5)).isEmpty();
    assertThat(Constraint.oneOf("a", "b").violation("c")).contains("must be one of a, b");
  }
}
