"""Renders chat records with a tokenizer's own chat template, for the ``tokenize`` step kind.

``python -m trainyard_trainer.chat_render --tokenizer DIR --root DATA --out OUT.jsonl [--files-from LIST] FILE...``

Each non-blank line of each FILE is a JSON object with ``messages`` (``[{"role", "content"}, ...]``). It is
rendered exactly as Hugging Face's ``tokenizer.apply_chat_template(messages, tokenize=False)`` does: the Jinja
``chat_template`` of ``DIR/tokenizer_config.json`` (or ``DIR/chat_template.jinja``) in the same environment
(``ImmutableSandboxedEnvironment``, ``trim_blocks``, ``lstrip_blocks``, loop controls, ``raise_exception``,
``tojson``, ``strftime_now``) with the tokenizer's special tokens as variables. One line per record goes to
OUT: ``{"where": "FILE:LINE", "text": RENDERED, "spans": [[start, end], ...]}``, the spans being the assistant
turns as code-point offsets into ``text`` (Python's string indices, which are also the offsets the Rust
tokenizers library reports).

Which characters are an assistant turn: everything the template renders after the assistant header up to
and including the end-of-turn token — the content as the template writes it (Qwen 3 keeps ``<think>``
reasoning only after the last user turn and drops it from earlier ones), not the role header. The header
and the end-of-turn token are learnt once per template from a probe conversation with marker contents
(``[user, assistant, user, assistant]``, read at its first assistant turn): the text between the two markers, less the user's end of turn (when it is the same token as the
assistant's) and leading whitespace, is the header;
the special token right after the assistant marker is the end of turn. The spans are then found in the one
final rendering, turn by turn; successive renderings are never diffed (Qwen 3 rewrites earlier turns).

Exit 0 on success; 2 with one line ``FILE:LINE: reason`` when a record cannot be rendered, or when the
template has no recognisable assistant turn; 4 when jinja2 is missing.
"""

import argparse
import json
import os
import sys
from datetime import datetime

USER_PROBE = "trainyardUserProbe7f3a"
ASSISTANT_PROBE = "trainyardAssistantProbe7f3a"


class RecordError(ValueError):
    pass


def _token_text(value):
    """A special token as tokenizer_config.json writes it: a string or an AddedToken dict."""
    if isinstance(value, dict):
        return value.get("content")
    return value


def load_tokenizer(directory):
    """The chat template, the special-token variables HF passes to it, and the special tokens' texts."""
    with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates, as HF stores several
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default")
    jinja_file = os.path.join(directory, "chat_template.jinja")
    if template is None and os.path.exists(jinja_file):
        with open(jinja_file, encoding="utf-8") as f:
            template = f.read()
    if not isinstance(template, str) or not template:
        raise RecordError("tokenizer_config.json has no chat_template: the tokenizer cannot render chat records")
    variables = {}
    for name in ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"):
        text = _token_text(config.get(name))
        if text is not None:
            variables[name] = text
    extra = config.get("additional_special_tokens")
    if isinstance(extra, list):
        variables["additional_special_tokens"] = [_token_text(t) for t in extra]
    special = set()
    for token in (config.get("added_tokens_decoder") or {}).values():
        if isinstance(token, dict) and token.get("special") and token.get("content"):
            special.add(token["content"])
    tokenizer_json = os.path.join(directory, "tokenizer.json")
    if os.path.exists(tokenizer_json):
        with open(tokenizer_json, encoding="utf-8") as f:
            for token in json.load(f).get("added_tokens") or []:
                if token.get("special") and token.get("content"):
                    special.add(token["content"])
    return template, variables, special


def compile_template(template):
    """The environment of transformers' ``_compile_jinja_template``."""
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(template)


class ChatRenderer:
    def __init__(self, directory):
        template, self.variables, self.special = load_tokenizer(directory)
        self.template = compile_template(template)
        self.header, self.end_of_turn = self._learn_turn_markers()

    def render(self, messages):
        return self.template.render(messages=messages, tools=None, documents=None,
                                    add_generation_prompt=False, **self.variables)

    def _leading_special(self, text):
        found = [t for t in self.special if text.startswith(t)]
        return max(found, key=len) if found else None

    def _learn_turn_markers(self):
        # The assistant turn is not the last one: Qwen 3 writes an empty <think> block into the last.
        probe = self.render([{"role": "user", "content": USER_PROBE},
                             {"role": "assistant", "content": ASSISTANT_PROBE},
                             {"role": "user", "content": USER_PROBE + "2"},
                             {"role": "assistant", "content": ASSISTANT_PROBE + "2"}])
        u, a = probe.find(USER_PROBE), probe.find(ASSISTANT_PROBE)
        if u < 0 or a < u:
            raise RecordError("the chat template does not render a user and an assistant message in order")
        between = probe[u + len(USER_PROBE):a]
        after = probe[a + len(ASSISTANT_PROBE):]
        end_of_turn = self._leading_special(after)
        if end_of_turn is None:
            raise RecordError(f"the chat template ends an assistant message with {after[:40]!r}, "
                              "not with a special end-of-turn token")
        # The user's turn ends as the assistant's does (Qwen's <|im_end|>, Llama's <|eot_id|>); what
        # follows is the assistant header. A template whose header comes right after the user content
        # (Trainyard's byte tokenizer: <|assistant|>) has no such end.
        user_end = end_of_turn if between.startswith(end_of_turn) else ""
        header = between[len(user_end):].lstrip()
        if not header:
            raise RecordError("the chat template writes no assistant header")
        return header, end_of_turn

    def spans(self, text, messages):
        """Code-point spans of the assistant turns in ``text``, one per assistant message."""
        spans, cursor = [], 0
        for k, message in enumerate(m for m in messages if m["role"] == "assistant"):
            at = text.find(self.header, cursor)
            if at < 0:
                raise RecordError(f"assistant message {k + 1}: its header {self.header!r} is not in the rendering")
            start = at + len(self.header)
            end = text.find(self.end_of_turn, start)
            if end < 0:
                raise RecordError(f"assistant message {k + 1}: no {self.end_of_turn!r} ends it")
            end += len(self.end_of_turn)
            answer = message["content"].split("</think>")[-1].strip()
            if answer and answer not in text[start:end]:
                raise RecordError(f"assistant message {k + 1}: its content is not where the template puts the turn")
            spans.append([start, end])
            cursor = end
        return spans


def check_messages(record):
    if not isinstance(record, dict):
        raise RecordError("each line must be a JSON object")
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RecordError("a chat record needs a non-empty 'messages' list")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise RecordError(f"messages[{i}] needs a string 'role' and a string 'content'")
    return messages


def render_files(renderer, files, root, out):
    import jinja2
    count = 0
    for path in files:
        name = os.path.relpath(path, root) if root else os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{name}:{n}"
                try:
                    record = json.loads(line)
                    messages = check_messages(record)
                    text = renderer.render(messages)
                    spans = renderer.spans(text, messages)
                except json.JSONDecodeError as e:
                    raise RecordError(f"{where}: not JSON ({e.msg})") from None
                except Exception as e:  # whatever the template raised: that record cannot be rendered
                    raise RecordError(f"{where}: {e if isinstance(e, (RecordError, jinja2.TemplateError)) else repr(e)}") \
                        from None
                out.write(json.dumps({"where": where, "text": text, "spans": spans}, ensure_ascii=False))
                out.write("\n")
                count += 1
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainyard_trainer.chat_render")
    parser.add_argument("--tokenizer", required=True, help="dir with tokenizer_config.json")
    parser.add_argument("--root", help="dataset dir, for FILE names in messages")
    parser.add_argument("--out", required=True)
    parser.add_argument("--files-from", help="a file naming the FILEs, one per line")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    files = list(args.files)
    if args.files_from:
        with open(args.files_from, encoding="utf-8") as f:
            files += [line.rstrip("\n") for line in f if line.strip()]
    try:
        import jinja2  # noqa: F401
    except ImportError as e:
        print(f"jinja2 is missing ({e}); on Debian/Ubuntu: apt-get install python3-jinja2", file=sys.stderr)
        return 4
    try:
        try:
            renderer = ChatRenderer(args.tokenizer)
        except RecordError:
            raise
        except Exception as e:  # a template that cannot render even the probe conversation
            raise RecordError(f"tokenizer_config.json: the chat template fails: {e!r}") from None
        with open(args.out, "w", encoding="utf-8") as out:
            count = render_files(renderer, files, args.root, out)
    except RecordError as e:
        print(f"{e}", file=sys.stderr)
        return 2
    print(f"rendered {count} conversations (assistant header {renderer.header!r}, "
          f"end of turn {renderer.end_of_turn!r})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
