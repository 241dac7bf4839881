package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.launch.StepProcess;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.tokenize.DatasetFiles;
import dev.trainyard.worker.tokenize.InvalidRecordException;
import dev.trainyard.worker.tokenize.Tokenization;
import dev.trainyard.worker.tokenize.TokenizeStep;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.StepTask;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code tokenize} kind: tokenization runs in the worker's JVM (the Rust tokenizers library
 * through JNI, batch-encoding on every core), so the ids are the library's own with no interpreter
 * between. Chat records are first rendered by {@code python -m trainyard_trainer.chat_render}, a
 * step process in the worker's sandbox: the chat template is the checkpoint's code, and only
 * Python's jinja2 (the engine Hugging Face itself uses) renders the real Llama 3 and Qwen 3
 * templates exactly.
 */
final class TokenizeStepKind implements InProcessStepKind {
  /** The runner setting ({@code runner.engine}) of the kinds this runs. */
  static final String ENGINE = "tokenizers";

  static final int EXIT_INVALID_RECORD = 2;
  static final int EXIT_RUNTIME_MISSING = 4;
  private static final Pattern TOKEN =
      Pattern.compile("^\\$\\{\\{\\s*inputs\\.([A-Za-z0-9._-]+)\\s*}}$");

  private final StepKind kind;
  private final PythonRuntime python;

  TokenizeStepKind(StepKind kind, PythonRuntime python) {
    this.kind = kind;
    this.python = python;
  }

  @Override
  public StepKind kind() {
    return kind;
  }

  @Override
  public void run(StepTask task, StepContext step) throws IOException, InterruptedException {
    try (BufferedWriter log =
        Files.newBufferedWriter(step.log(), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      Tokenization.Summary summary =
          TokenizeStep.run(
              step.resolvedBody(),
              inputId(task, "data"),
              step.output(),
              step.dir(),
              (tokenizer, dataset, out) -> render(step, tokenizer, dataset, out, log),
              line -> writeLine(log, line));
      Files.writeString(
          step.metrics(),
          String.format(
              "{\"step\":0,\"documents\":%d,\"tokens\":%d,\"loss_tokens\":%d}%n",
              summary.documents(), summary.tokens(), summary.maskedTokens()),
          StandardOpenOption.APPEND);
    }
  }

  /** The content id of the input a field names, e.g. the dataset version. */
  private static String inputId(StepTask task, String field) {
    Object value = task.body() == null ? null : task.body().get(field);
    if (value instanceof String text) {
      Matcher m = TOKEN.matcher(text);
      if (m.matches() && task.inputs() != null) {
        ArtifactRef ref = task.inputs().get(m.group(1));
        if (ref != null) {
          return ref.id();
        }
      }
    }
    return null;
  }

  private void render(
      StepContext step, Path tokenizer, DatasetFiles dataset, Path out, BufferedWriter log)
      throws IOException, InterruptedException {
    if (python == null) {
      throw new StepKindUnavailableException(
          "chat records are rendered by the trainer's Python (jinja2); this worker has none");
    }
    Path list = step.dir().resolve("chat-files.txt");
    Files.write(list, dataset.files().stream().map(Path::toString).toList());
    String command =
        String.join(
            " ",
            "exec",
            ShellQuoting.quote(python.python().toString()),
            "-m trainyard_trainer.chat_render --tokenizer",
            ShellQuoting.quote(tokenizer.toString()),
            "--root",
            ShellQuoting.quote(dataset.root().toString()),
            "--out",
            ShellQuoting.quote(out.toString()),
            "--files-from",
            ShellQuoting.quote(list.toString()));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PYTHONPATH", python.trainerPath().toString());
    env.put("PYTHONUNBUFFERED", "1");
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    log.flush();
    StepProcess process =
        StepProcess.start(
            command, step.dir(), env, step.log(), Duration.ofSeconds(5), step.sandbox());
    int exit;
    try {
      exit = process.waitFor();
    } catch (InterruptedException e) {
      process.cancel(); // the renderer must not outlive a cancelled attempt
      throw e;
    }
    if (exit == 0) {
      return;
    }
    String why = LogTail.lastLines(step.log(), 1).strip();
    switch (exit) {
      case EXIT_INVALID_RECORD -> throw new InvalidRecordException(why);
      case EXIT_RUNTIME_MISSING -> throw new StepKindUnavailableException(why);
      default -> throw new IllegalStateException("chat rendering exited with " + exit + ": " + why);
    }
  }

  private static void writeLine(BufferedWriter log, String line) {
    try {
      log.write(line);
      log.newLine();
      log.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
