package dev.trainyard.worker.tokenize;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Entry point of the {@code tokenize} step kind: resolves the dataset and the tokenizer named by
 * the planned body, has chat records rendered, and tokenizes into the output dir.
 */
public final class TokenizeStep {
  /** Renders a dataset's chat records ({@code trainyard_trainer.chat_render}) into a JSONL file. */
  @FunctionalInterface
  public interface ChatRenderer {
    void render(Path tokenizerDir, DatasetFiles dataset, Path out)
        throws IOException, InterruptedException;
  }

  private TokenizeStep() {}

  /**
   * @param body the resolved body: {@code data} and {@code tokenizer} are input paths
   * @param datasetId the content id of the {@code data} input
   * @param scratch where the rendered conversations go (the attempt's work dir, not its output)
   */
  public static Tokenization.Summary run(
      Map<String, Object> body,
      String datasetId,
      Path output,
      Path scratch,
      ChatRenderer renderer,
      Consumer<String> log)
      throws IOException, InterruptedException {
    Map<?, ?> config = body.get("config") instanceof Map<?, ?> c ? c : Map.of();
    Tokenization.Settings settings = Tokenization.Settings.of(config);
    if (!(body.get("data") instanceof String data)) {
      throw new IllegalArgumentException("data: must name a dataset input");
    }
    if (!(body.get("tokenizer") instanceof String tokenizerDir)) {
      throw new IllegalArgumentException("tokenizer: must name a checkpoint or tokenizer input");
    }
    TokenizerFiles tokenizer = TokenizerFiles.read(Path.of(tokenizerDir));
    DatasetFiles dataset = DatasetFiles.resolve(Path.of(data), settings.subset());
    String records =
        settings.records().equals("auto") ? dataset.detectRecords() : settings.records();
    log.accept(
        "tokenize: "
            + dataset.files().size()
            + " file(s) of "
            + records
            + " records, tokenizer "
            + tokenizer.sha256().substring(0, 12)
            + " (vocabulary "
            + tokenizer.vocabSize()
            + ", "
            + tokenizer.dtype()
            + ")");
    Iterator<Document> documents;
    if (records.equals("chat")) {
      if (tokenizer.tokenizerConfig() == null) {
        throw new IllegalArgumentException(
            "tokenizer: chat records need tokenizer_config.json with a chat_template");
      }
      Path rendered = scratch.resolve("rendered-chats.jsonl");
      renderer.render(Path.of(tokenizerDir), dataset, rendered);
      documents = Documents.rendered(rendered);
    } else {
      documents = Documents.text(dataset);
    }
    long started = System.nanoTime();
    Tokenization.Summary summary =
        Tokenization.run(tokenizer, records, documents, settings, datasetId, output);
    double seconds = (System.nanoTime() - started) / 1e9;
    log.accept(
        String.format(
            "tokenize: %d documents, %d tokens (%d loss targets) in %.1f s, %.0f tokens/s",
            summary.documents(),
            summary.tokens(),
            summary.maskedTokens(),
            seconds,
            summary.tokens() / Math.max(seconds, 1e-9)));
    return summary;
  }
}
