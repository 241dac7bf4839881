package dev.trainyard.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.Pipelines;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bad input at scale: 10,000 specs made by mutating valid ones at random (seeded, so a failure
 * reproduces). Whatever the text, parsing and compiling either succeed or report problems, each
 * with a path and a message — never another exception.
 */
class RandomSpecsTest {
  static final int CASES = 10_000;

  static final List<String> SEEDS =
      List.of(
          """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: hello
      params:
        greeting: {type: string, default: hi}
        shards: {type: int, default: 2}
        base: {type: checkpoint, required: false}
      steps:
        - id: greet
          kind: command
          run: echo "$TRAINYARD_PARAM_GREETING" > $TRAINYARD_OUTPUT/g.txt
          retry: {max_attempts: 2, backoff_seconds: 1}
          timeout: 10m
        - id: shard
          kind: command
          matrix: {part: [1, 2, 3]}
          inputs: {greet: "${{ steps.greet.outputs.output }}"}
          run: cat "$TRAINYARD_INPUT_GREET/g.txt" > $TRAINYARD_OUTPUT/${{ matrix.part }}.txt
        - id: join
          kind: command
          needs: [shard]
          inputs: ${{ steps.shard.outputs.output }}
          run: xargs cat < "$TRAINYARD_INPUTS_FILE"
        - id: gate
          kind: approval
          needs: [join]
      """,
          """
      {"apiVersion": "trainyard/v1", "kind": "Pipeline", "name": "train",
       "params": {"data": {"type": "dataset"}, "lr": {"type": "number", "default": 0.001}},
       "steps": [
         {"id": "pre", "kind": "pretrain", "model": "tiny", "data": "${{ params.data }}",
          "config": {"max_steps": 10, "lr": "${{ params.lr }}", "replay": {"dataset": "${{ params.data }}", "ratio": 0.1}},
          "resources": {"gpus": 1, "pool": "h100"}},
         {"id": "soup", "kind": "merge", "method": "ties",
          "models": [{"model": "${{ steps.pre.outputs.model }}", "weight": 1, "density": 0.5}]},
         {"id": "eval", "kind": "evaluate", "model": "${{ steps.soup.outputs.model }}", "gate": {"metric": "acc", "min": 0.5}}
       ]}
      """);

  static final String[] TOKENS = {
    "${{",
    "}}",
    "${{ steps.",
    "${{ params.",
    ".outputs.",
    ":",
    " - ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: *a",
    "\n",
    "\n  ",
    "\t",
    "\"",
    "'",
    "#",
    "null",
    "true",
    "1e309",
    "-1",
    "99999999999999999999",
    "é",
    "\u0000",
    "\uD83D\uDE00",
    "---",
    "...",
    "!!binary",
    "!!python/object",
    "? ",
    "|",
    ">",
    "id",
    "kind",
    "needs",
    "matrix",
    "steps",
    "params",
    "type",
    "default",
    "run",
    "cache",
    "retry",
    "timeout",
    "gpus"
  };

  @Test
  void tenThousandMutatedSpecsNeverEscapeAsAnythingButProblemsWithPaths() {
    Random random = new Random(20261127);
    List<String> escaped = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < CASES; i++) {
      String text = mutate(SEEDS.get(random.nextInt(SEEDS.size())), random);
      Map<String, Object> params = randomParams(random);
      for (boolean compile : new boolean[] {false, true}) {
        try {
          if (compile) {
            Pipelines.compile(text, params);
          } else {
            Pipelines.parse(text);
          }
        } catch (InvalidSpecException e) {
          refused++;
          if (e.problems().isEmpty()
              || e.problems().stream()
                  .anyMatch(
                      p ->
                          p.path() == null
                              || p.path().isBlank()
                              || p.message() == null
                              || p.message().isBlank())) {
            escaped.add("case " + i + ": a problem without path or message: " + e.problems());
          }
        } catch (RuntimeException | StackOverflowError e) {
          escaped.add(
              "case " + i + " (" + (compile ? "compile" : "parse") + "): " + e + "\n" + text);
        }
      }
    }
    assertThat(escaped)
        .as("inputs that escaped as something other than problems with paths")
        .isEmpty();
    assertThat(refused).as("most mutations are refused").isGreaterThan(CASES / 2);
  }

  private static String mutate(String seed, Random random) {
    StringBuilder text = new StringBuilder(seed);
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits && text.length() > 0; e++) {
      int at = random.nextInt(text.length());
      switch (random.nextInt(5)) {
        case 0 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(20)));
        case 1 -> text.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
        case 2 -> {
          int end = text.indexOf("\n", at);
          if (end > at) {
            text.insert(end, text.substring(at, end)); // duplicate the rest of a line
          }
        }
        case 3 -> text.setCharAt(at, (char) (32 + random.nextInt(95)));
        default ->
            text.replace(
                at, Math.min(text.length(), at + 3), TOKENS[random.nextInt(TOKENS.length)]);
      }
    }
    return text.toString();
  }

  private static Map<String, Object> randomParams(Random random) {
    Map<String, Object> params = new HashMap<>();
    Object[] values = {
      "x", 3, 3.5, true, null, "a".repeat(64), List.of(1), Map.of("k", 1), -7L, ""
    };
    for (String name : new String[] {"greeting", "shards", "base", "data", "lr", "extra"}) {
      if (random.nextBoolean()) {
        params.put(name, values[random.nextInt(values.length)]);
      }
    }
    return params;
  }
}
