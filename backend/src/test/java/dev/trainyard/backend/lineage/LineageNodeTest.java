package dev.trainyard.backend.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Lineage nodes as values: the stored text round-trips, and nothing else passes for a node. */
class LineageNodeTest {
  @Test
  void aNodeIsStoredAndAnsweredAsItsPrefixedText() throws Exception {
    LineageNode step = LineageNode.step("run-1", "train", 2);
    LineageNode artifact = LineageNode.artifact("ab".repeat(32));

    assertThat(step.format()).isEqualTo("step:run-1/train/2");
    assertThat(artifact.format()).isEqualTo("artifact:" + "ab".repeat(32));
    assertThat(LineageNode.parse(step.format())).isEqualTo(step);
    assertThat(LineageNode.parse(artifact.format())).isEqualTo(artifact);
    // The API's JSON keeps the text shape it had when nodes were strings.
    ObjectMapper json = new ObjectMapper();
    assertThat(json.writeValueAsString(step)).isEqualTo("\"step:run-1/train/2\"");
    assertThat(json.readValue("\"step:run-1/train/2\"", LineageNode.class)).isEqualTo(step);
  }

  @Test
  void labelsNameTheStepAttemptOrTheShortId() {
    assertThat(LineageNode.step("run-1", "train", 2).shortLabel()).isEqualTo("run-1 / train #2");
    assertThat(LineageNode.artifact("0123456789abcdef").shortLabel()).isEqualTo("0123456789ab");
  }

  @Test
  void textThatIsNoNodeIsRefused() {
    assertThatThrownBy(() -> LineageNode.parse("dataset:abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dataset:abc");
    assertThatThrownBy(() -> LineageNode.parse("artifact:"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LineageNode.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }
}
