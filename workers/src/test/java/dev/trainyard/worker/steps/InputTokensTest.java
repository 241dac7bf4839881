package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputTokensTest {
  private final InputTokens tokens =
      new InputTokens(
          Map.of(
              "params.base", Path.of("/w/inputs/params.base"),
              "cpt.model", Path.of("/w/inputs/with space")));

  @Test
  void everyTokenInAStringBecomesThePath() {
    assertThat(tokens.substitute("merge ${{ inputs.params.base }} ${{inputs.cpt.model}} --out x"))
        .isEqualTo("merge /w/inputs/params.base /w/inputs/with space --out x");
  }

  @Test
  void aListRunIsJoinedWithSpacesAndQuotedForTheShell() {
    assertThat(
            tokens.render(
                List.of("python", "train.py", "--model", "${{ inputs.cpt.model }}"), true))
        .isEqualTo("python train.py --model '/w/inputs/with space'");
    assertThat(
            tokens.render(List.of("${{ inputs.params.base }}", "${{ inputs.cpt.model }}"), false))
        .isEqualTo("/w/inputs/params.base /w/inputs/with space");
  }

  @Test
  void treesAreSubstitutedEverywhere() {
    Object tree =
        Map.of("models", List.of(Map.of("model", "${{ inputs.params.base }}", "weight", 1.0)));
    assertThat(tokens.substituteTree(tree))
        .isEqualTo(
            Map.of("models", List.of(Map.of("model", "/w/inputs/params.base", "weight", 1.0))));
  }

  @Test
  void anUnknownInputIsNamedInTheError() {
    assertThatThrownBy(() -> tokens.substitute("${{ inputs.missing }}"))
        .hasMessageContaining("inputs.missing")
        .hasMessageContaining("[cpt.model, params.base]");
  }
}
