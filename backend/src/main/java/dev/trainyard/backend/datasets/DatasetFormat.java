package dev.trainyard.backend.datasets;

/** What a dataset file holds, as the format check found it; stored with the version. */
public enum DatasetFormat {
  /** {@code .txt}: documents separated by a blank line. */
  TEXT("text"),
  /** JSONL {@code {"text": ...}}. */
  JSONL_TEXT("jsonl-text"),
  /**
   * JSONL conversations: OpenAI {@code messages} (role/content) or ShareGPT {@code conversations}.
   */
  CHAT("chat"),
  /** JSONL {@code {"prompt", "chosen", "rejected"}}. */
  PREFERENCE("preference"),
  /** JSONL {@code {"prompt", "response"}} or {@code {"instruction", "input"?, "output"}}. */
  INSTRUCTION("instruction"),
  /**
   * JSONL evaluation tasks: exact match {@code {"question" (or "prompt"), "answer"}} or multiple
   * choice {@code {"question", "choices", "answer": index}}.
   */
  EVAL("eval"),
  /**
   * A Hugging Face tokenizer directory ({@code tokenizer.json}, with its config and special-token
   * maps): registered like data so it has versions and references, and fed to {@code tokenize}.
   */
  TOKENIZER("tokenizer"),
  /** The trainer's subset index ({@code trainyard-datasets.json}). */
  METADATA("metadata"),
  /** Files of several formats. */
  MIXED("mixed");

  private final String wireName;

  DatasetFormat(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
