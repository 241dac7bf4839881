// Independent references for the tokenize tests, run by node on the same files as the step:
//   node reference.mjs encode TOKENIZERS_JS_DIR TOKENIZER_DIR LINES.jsonl   -> one JSON id list per line
//   node reference.mjs render JINJA_JS_DIR TOKENIZER_DIR CONVERSATIONS.jsonl -> one JSON string per line
// LINES.jsonl holds one JSON string per line (text documents); CONVERSATIONS.jsonl one {"messages": [...]}.
// encode: @huggingface/tokenizers (pure JavaScript), with the tokenizer's own special tokens, as
// tokenizer(text) does. render: @huggingface/jinja with the tokenizer_config's special tokens.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [mode, libDir, tokenizerDir, input] = process.argv.slice(2);
const lines = readFileSync(input, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
const config = JSON.parse(readFileSync(join(tokenizerDir, "tokenizer_config.json"), "utf8"));
const out = [];
if (mode === "encode") {
  const { Tokenizer } = await import(pathToFileURL(join(libDir, "dist/tokenizers.mjs")));
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(tokenizerDir, "tokenizer.json"), "utf8")), config);
  for (const text of lines) out.push(JSON.stringify(tokenizer.encode(text).ids));
} else if (mode === "render") {
  const { Template } = await import(pathToFileURL(join(libDir, "dist/index.js")));
  const template = new Template(config.chat_template);
  const text = (t) => (t && typeof t === "object" ? t.content : t);
  for (const record of lines) {
    out.push(JSON.stringify(template.render({
      messages: record.messages, add_generation_prompt: false,
      bos_token: text(config.bos_token) ?? "", eos_token: text(config.eos_token) ?? "",
      pad_token: text(config.pad_token) ?? "", unk_token: text(config.unk_token) ?? "",
    })));
  }
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
process.stdout.write(out.join("\n") + "\n");
