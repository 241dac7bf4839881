package dev.trainyard.worker.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

/**
 * One document's ids and loss mask as they go into a shard, cropped to {@code max_tokens_per_doc}
 * and, for text, ended with {@code eos} when {@code add_eos}.
 *
 * <p>Which tokens are loss targets (mask 1): every token of a text document; in a conversation the
 * tokens whose first character (the library's character offsets, code points) lies inside an
 * assistant turn's span, i.e. what the template writes after the assistant header up to and
 * including the end-of-turn token (docs/tokens.md).
 *
 * @param length the tokens used of {@code ids} and {@code mask}
 * @param masked how many of them are loss targets
 */
record PackedDocument(int[] ids, byte[] mask, int length, int masked) {
  static PackedDocument of(
      TokenizerFiles tokenizer,
      Tokenization.Settings settings,
      boolean chat,
      Document doc,
      Encoding encoding) {
    long[] raw = encoding.getIds();
    boolean eos = !chat && settings.addEos();
    int length = raw.length + (eos ? 1 : 0);
    if (settings.maxTokensPerDoc() != null) {
      length = Math.min(length, settings.maxTokensPerDoc());
    }
    int[] ids = new int[length];
    byte[] mask = new byte[length];
    int limit = Math.min(raw.length, length);
    for (int i = 0; i < limit; i++) {
      long id = raw[i];
      if (id < 0 || id >= tokenizer.vocabSize()) {
        throw new InvalidRecordException(
            doc.where()
                + ": token id "
                + id
                + " is outside the vocabulary of "
                + tokenizer.vocabSize());
      }
      ids[i] = (int) id;
    }
    if (eos && length > raw.length) {
      ids[length - 1] = tokenizer.eosId();
    }
    int masked = 0;
    if (!chat) {
      java.util.Arrays.fill(mask, (byte) 1);
      masked = length;
    } else {
      CharSpan[] offsets = encoding.getCharTokenSpans();
      int[] spans = doc.spans();
      int s = 0;
      for (int i = 0; i < limit; i++) {
        CharSpan at = offsets[i];
        if (at == null) {
          continue;
        }
        int start = at.getStart();
        while (s < spans.length && spans[s + 1] <= start) {
          s += 2;
        }
        if (s < spans.length && spans[s] <= start) {
          mask[i] = 1;
          masked++;
        }
      }
    }
    return new PackedDocument(ids, mask, length, masked);
  }
}
