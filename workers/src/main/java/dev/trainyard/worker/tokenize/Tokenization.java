package dev.trainyard.worker.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizes documents into a {@code tokens} artifact (docs/tokens.md): batches of documents go to
 * the library's batch encode (Rust, on every core of the host), their ids and loss masks to the
 * train or eval split's shards, and {@code tokens.json} is written last.
 *
 * <p>Text documents are encoded with the tokenizer's own special tokens (Llama 3 adds {@code
 * <|begin_of_text|>}, as {@code tokenizer(text)} does); conversations without them, as {@code
 * apply_chat_template(tokenize=True)} does, since the template writes them. Which tokens are loss
 * targets is {@link PackedDocument}'s.
 */
public final class Tokenization {
  public static final String FORMAT = "trainyard-tokens/1";
  public static final String INDEX = "tokens.json";

  /** Documents per call of the library's batch encode, and their characters at most. */
  static final int BATCH_DOCUMENTS = 1024;

  static final int BATCH_CHARS = 4 << 20;

  /** Batches handed to the library at once. */
  static final int IN_FLIGHT = 2;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The step's {@code config} as the planner resolved it. */
  public record Settings(
      String records,
      String subset,
      boolean addEos,
      double evalFraction,
      long seed,
      long shardBytes,
      Integer maxTokensPerDoc) {
    public static Settings of(Map<?, ?> config) {
      return new Settings(
          string(config.get("records"), "auto"),
          string(config.get("subset"), null),
          !Boolean.FALSE.equals(config.get("add_eos")),
          number(config.get("eval_fraction"), 0.05).doubleValue(),
          number(config.get("seed"), 0).longValue(),
          number(config.get("shard_bytes"), 64L * 1024 * 1024).longValue(),
          config.get("max_tokens_per_doc") instanceof Number n ? n.intValue() : null);
    }

    private static String string(Object value, String fallback) {
      return value instanceof String s ? s : fallback;
    }

    private static Number number(Object value, Number fallback) {
      return value instanceof Number n ? n : fallback;
    }

    Map<String, Object> describe() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("add_eos", addEos);
      map.put("eval_fraction", evalFraction);
      map.put("seed", seed);
      map.put("max_tokens_per_doc", maxTokensPerDoc);
      map.put("shard_bytes", shardBytes);
      return map;
    }
  }

  /** What a run wrote. */
  public record Summary(
      long documents, long tokens, long maskedTokens, Map<String, Object> index) {}

  private Tokenization() {}

  /** Loads the library on {@code tokenizer.json}, configured to never truncate or pad. */
  public static HuggingFaceTokenizer load(TokenizerFiles tokenizer) throws IOException {
    return HuggingFaceTokenizer.newInstance(tokenizer.tokenizerJson(), TokenizerFiles.djlOptions());
  }

  /**
   * @param records {@code text} or {@code chat} (what the documents are)
   * @param datasetId the content id of the dataset version, recorded in tokens.json
   * @throws InvalidRecordException a document cannot be tokenized
   */
  public static Summary run(
      TokenizerFiles tokenizer,
      String records,
      Iterator<Document> documents,
      Settings settings,
      String datasetId,
      Path output)
      throws IOException, InterruptedException {
    boolean chat = records.equals("chat");
    if (!chat && settings.addEos() && tokenizer.eosId() == null) {
      throw new IllegalArgumentException(
          "config.add_eos: the tokenizer names no eos_token in tokenizer_config.json; set add_eos: false");
    }
    int bytesPerToken = tokenizer.dtype().equals("uint16") ? 2 : 4;
    Files.createDirectories(output);
    try (SplitWriter train =
            new SplitWriter(output, "train", bytesPerToken, settings.shardBytes());
        SplitWriter eval = new SplitWriter(output, "eval", bytesPerToken, settings.shardBytes())) {
      return tokenizeInto(tokenizer, records, documents, settings, datasetId, output, train, eval);
    }
  }

  private static Summary tokenizeInto(
      TokenizerFiles tokenizer,
      String records,
      Iterator<Document> documents,
      Settings settings,
      String datasetId,
      Path output,
      SplitWriter train,
      SplitWriter eval)
      throws IOException, InterruptedException {
    boolean chat = records.equals("chat");
    long[] counted = new long[2]; // tokens, masked tokens
    Pending pending = new Pending();
    long index = 0;
    // Batches are encoded two at a time, in order, while this thread reads the next and packs and
    // writes the oldest: the library's thread pool always has a batch to work on, even while the
    // other one finishes its last long document, and reading and writing cost no encoding time.
    var encoder =
        java.util.concurrent.Executors.newFixedThreadPool(
            IN_FLIGHT,
            r -> {
              Thread t = new Thread(r, "tokenize-encode");
              t.setDaemon(true);
              return t;
            });
    try (HuggingFaceTokenizer library = load(tokenizer)) {
      java.util.ArrayDeque<Map.Entry<List<Document>, java.util.concurrent.Future<Encoding[]>>>
          inFlight = new java.util.ArrayDeque<>();
      try {
        while (true) {
          while (inFlight.size() < IN_FLIGHT) {
            List<Document> batch = nextBatch(documents);
            if (batch.isEmpty()) {
              break;
            }
            inFlight.add(Map.entry(batch, encoder.submit(() -> encode(library, batch, chat))));
          }
          if (inFlight.isEmpty()) {
            break;
          }
          if (Thread.interrupted()) {
            throw new InterruptedException("tokenize was cancelled");
          }
          var oldest = inFlight.poll();
          index =
              write(
                  tokenizer,
                  settings,
                  chat,
                  oldest.getKey(),
                  await(oldest.getValue()),
                  index,
                  train,
                  eval,
                  pending,
                  counted);
        }
      } finally {
        // The library is freed when this block ends: no encode may still be running in it.
        inFlight.forEach(e -> settle(e.getValue()));
      }
    } finally {
      encoder.shutdownNow();
    }
    if (index == 0) {
      throw new IllegalArgumentException("data: the dataset has no documents");
    }
    // A held-out split was asked for: a dataset too small for the draw to pick one still gets one.
    if (settings.evalFraction() > 0 && eval.documents() == 0 && train.documents() > 0) {
      pending.flushTo(eval);
    } else {
      pending.flushTo(train);
    }
    Map<String, Object> splits = new LinkedHashMap<>();
    Map<String, Object> trainEntry = train.finish();
    Map<String, Object> evalEntry = eval.finish();
    if (trainEntry != null) {
      splits.put("train", trainEntry);
    }
    if (evalEntry != null) {
      splits.put("eval", evalEntry);
    }
    Files.copy(
        tokenizer.tokenizerJson(),
        output.resolve(TokenizerFiles.TOKENIZER_JSON),
        StandardCopyOption.REPLACE_EXISTING);
    if (tokenizer.tokenizerConfig() != null) {
      Files.copy(
          tokenizer.tokenizerConfig(),
          output.resolve(TokenizerFiles.TOKENIZER_CONFIG),
          StandardCopyOption.REPLACE_EXISTING);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", FORMAT);
    json.put("dtype", tokenizer.dtype());
    json.put("vocab_size", tokenizer.vocabSize());
    json.put("tokenizer_sha256", tokenizer.sha256());
    json.put("bos_id", tokenizer.bosId());
    json.put("eos_id", tokenizer.eosId());
    json.put("pad_id", tokenizer.padId());
    json.put("records", records);
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("dataset", datasetId);
    source.put("subset", settings.subset());
    json.put("source", source);
    json.put("settings", settings.describe());
    json.put("splits", splits);
    JSON.writeValue(output.resolve(INDEX).toFile(), json);
    return new Summary(index, counted[0], counted[1], json);
  }

  /** The next documents to encode together; empty at the end. */
  private static List<Document> nextBatch(Iterator<Document> documents) {
    List<Document> batch = new ArrayList<>();
    long chars = 0;
    while (batch.size() < BATCH_DOCUMENTS && chars < BATCH_CHARS && documents.hasNext()) {
      Document doc = documents.next();
      batch.add(doc);
      chars += doc.text().length();
    }
    return batch;
  }

  private static Encoding[] await(java.util.concurrent.Future<Encoding[]> encoded)
      throws InterruptedException {
    try {
      return encoded.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Waits for an encode to end, whatever its outcome, keeping an interrupt for later. */
  private static void settle(java.util.concurrent.Future<?> encode) {
    boolean interrupted = false;
    while (true) {
      try {
        encode.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (java.util.concurrent.ExecutionException
          | java.util.concurrent.CancellationException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Packs one encoded batch into its splits, in document order; the next document's ordinal. */
  private static long write(
      TokenizerFiles tokenizer,
      Settings settings,
      boolean chat,
      List<Document> batch,
      Encoding[] encoded,
      long index,
      SplitWriter train,
      SplitWriter eval,
      Pending pending,
      long[] counted)
      throws IOException {
    for (int i = 0; i < encoded.length; i++) {
      PackedDocument packed =
          PackedDocument.of(tokenizer, settings, chat, batch.get(i), encoded[i]);
      counted[0] += packed.length();
      counted[1] += packed.masked();
      long ordinal = index++;
      if (settings.evalFraction() > 0 && draw(settings.seed(), ordinal) < settings.evalFraction()) {
        eval.add(packed.ids(), packed.length(), packed.mask());
      } else {
        pending.push(train, packed);
      }
    }
    return index;
  }

  static Encoding[] encode(HuggingFaceTokenizer library, List<Document> batch, boolean chat) {
    String[] texts = new String[batch.size()];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = batch.get(i).text();
    }
    return library.batchEncode(texts, !chat, false);
  }

  /**
   * Whether document {@code index} is held out: a splitmix64 draw from (seed, index), so the split
   * does not depend on batching or on the number of threads.
   */
  static double draw(long seed, long index) {
    long z = seed * 0x9E3779B97F4A7C15L + (index + 1) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }

  /** The last train-bound document, held back so that it can become the eval split if needed. */
  private static final class Pending {
    private PackedDocument held;

    void push(SplitWriter train, PackedDocument next) throws IOException {
      if (held != null) {
        train.add(held.ids(), held.length(), held.mask());
      }
      held = next;
    }

    void flushTo(SplitWriter split) throws IOException {
      if (held != null) {
        split.add(held.ids(), held.length(), held.mask());
        held = null;
      }
    }
  }
}
