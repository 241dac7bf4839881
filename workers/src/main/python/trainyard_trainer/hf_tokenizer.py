"""Any Hugging Face ``tokenizer.json`` in the trainer, through the worker's own tokenizers library.

The trainer's Python has no ``tokenizers`` package; the worker has the real library (Rust, through DJL) and
gives every trainer process the command of its tokenizer server in ``TRAINYARD_TOKENIZER_SERVER`` (a JSON list
of argv; see the Java class ``dev.trainyard.worker.tokenize.TokenizerServer``). :class:`HfTokenizer` starts
that server once for a tokenizer dir and talks to it over a pipe, one JSON line per request, so its ids are
exactly those of the ``tokenize`` step (same library, same options).

:class:`HfCheckpointTokenizer` puts it behind the methods the evaluator uses of the byte tokenizer
(``encode(text, bos, eos)``, ``encode_prompt``, ``encode_response``, ``decode``), with chat prompts rendered
by the checkpoint's own chat template (``chat_render``) and the stop ids read from the checkpoint.
"""

import json
import os
import subprocess

ENV = "TRAINYARD_TOKENIZER_SERVER"
# Texts per request: bounds a request's size, while the library still encodes a batch on every core.
BATCH = 512


class TokenizerServerError(RuntimeError):
    """The server died or was closed: not the step's input at fault (exit 1, retried)."""


class NoTokenizerServer(ValueError):
    """No (usable) TRAINYARD_TOKENIZER_SERVER: how the trainer was started, reported as a usage error."""


def server_command():
    raw = os.environ.get(ENV)
    if not raw:
        raise NoTokenizerServer(
            f"{ENV} is not set: the worker starts the tokenizer server; run the trainer through the worker, or set "
            f"{ENV} (a JSON list, e.g. [\"java\", \"-cp\", \"workers/target/trainyard-worker.jar\", "
            "\"dev.trainyard.worker.tokenize.TokenizerServer\"])")
    try:
        argv = json.loads(raw)
    except json.JSONDecodeError as e:
        raise NoTokenizerServer(f"{ENV} is not JSON ({e.msg}): {raw[:200]}") from None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise NoTokenizerServer(f"{ENV} must be a JSON list of strings (argv), not {raw[:200]}")
    return argv


class HfTokenizer:
    """``tokenizer.json`` of ``directory``, run by the worker's tokenizer server (a ``java`` subprocess)."""

    def __init__(self, directory):
        self.directory = os.path.realpath(directory)
        argv = server_command() + [self.directory]
        try:
            # stderr is the trainer's own (the step log): the server's errors land where the user looks.
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          encoding="utf-8", errors="strict", bufsize=1)
        except OSError as e:
            raise TokenizerServerError(f"cannot start the tokenizer server {argv[0]}: {e}") from None
        hello = self._read()
        if "error" in hello:
            self.close()
            raise ValueError(f"tokenizer server: {hello['error']}")
        self.vocab_size = int(hello["vocab_size"])

    def _read(self):
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            raise TokenizerServerError(f"the tokenizer server for {self.directory} ended (exit {code}) without an "
                                       "answer; its stderr is above")
        return json.loads(line)

    def _ask(self, request):
        if self._proc is None:
            raise TokenizerServerError("the tokenizer was closed")
        try:
            self._proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise TokenizerServerError(f"the tokenizer server for {self.directory} is gone "
                                       f"(exit {self._proc.wait()})") from None
        reply = self._read()
        if "error" in reply:
            raise ValueError(f"tokenizer server: {reply['error']}")
        return reply

    def encode_batch(self, texts, add_special_tokens=False):
        out = []
        for i in range(0, len(texts), BATCH):
            out += self._ask({"op": "encode", "texts": list(texts[i:i + BATCH]),
                              "add_special_tokens": bool(add_special_tokens)})["ids"]
        return out

    def encode(self, text, add_special_tokens=False):
        return self.encode_batch([text], add_special_tokens)[0]

    def decode_batch(self, ids, skip_special_tokens=False):
        out = []
        for i in range(0, len(ids), BATCH):
            out += self._ask({"op": "decode", "ids": [[int(t) for t in row] for row in ids[i:i + BATCH]],
                              "skip_special_tokens": bool(skip_special_tokens)})["texts"]
        return out

    def decode(self, ids, skip_special_tokens=False):
        return self.decode_batch([ids], skip_special_tokens)[0]

    def close(self):
        proc, self._proc = getattr(self, "_proc", None), None
        if proc is None:
            return
        try:
            proc.stdin.close()  # end of input: the server exits
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # at interpreter exit the server ends with its stdin anyway
            pass


def _ids(value):
    """``eos_token_id`` as config files write it: an id, a list of ids, or nothing."""
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list) else [int(value)]


def _read_json(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class HfCheckpointTokenizer:
    """A checkpoint's Hugging Face tokenizer with the byte tokenizer's evaluator-facing methods.

    ``encode(text, bos=True)`` is a document as the ``tokenize`` step encodes text (the tokenizer's own
    special tokens), ``eos=True`` appends tokenizer_config.json's ``eos_token`` as its ``add_eos`` does. Chat prompts are the chat template's rendering of the conversation with ``add_generation_prompt``;
    a response is what the template writes after that prompt when the assistant's turn is added (Qwen 3's
    empty ``<think>`` block and the end-of-turn token included). Generation stops at any of ``stop_ids``:
    config.json's and generation_config.json's ``eos_token_id`` (an id or a list), tokenizer_config.json's
    ``eos_token`` and, for chat, the template's end-of-turn token (Qwen's ``<|im_end|>``)."""

    def __init__(self, directory, chat):
        self.directory, self.chat = directory, chat
        self.hf = HfTokenizer(directory)
        try:
            self.vocab_size = self.hf.vocab_size
            config = _read_json(os.path.join(directory, "config.json"))
            generation = _read_json(os.path.join(directory, "generation_config.json"))
            tok_config = _read_json(os.path.join(directory, "tokenizer_config.json"))
            eos_text = tok_config.get("eos_token")
            eos_text = eos_text.get("content") if isinstance(eos_text, dict) else eos_text
            self.renderer = None
            turn_end = None
            if chat:
                from . import chat_render
                self.renderer = chat_render.ChatRenderer(directory)
                turn_end = self.renderer.end_of_turn
            # tokenizer_config.json's eos_token first: it is the id the tokenize step ends text documents with.
            eos = self._single_ids(eos_text)
            eos += _ids(generation.get("eos_token_id")) + _ids(config.get("eos_token_id"))
            eos += self._single_ids(turn_end)
            if not eos:
                raise ValueError(f"{directory}: the checkpoint names no eos token (eos_token_id in config.json or "
                                 "generation_config.json, eos_token in tokenizer_config.json)")
            self.stop_ids = set(eos)
            self.eos_id = eos[0]
            self.bos_id = config.get("bos_token_id")
            pad = config.get("pad_token_id")
            self.pad_id = pad if pad is not None else self.eos_id
        except BaseException:
            self.hf.close()
            raise

    def _single_ids(self, text):
        """The id of a special token's text, as a list (empty when it is not one token)."""
        ids = self.hf.encode(text) if text else []
        return ids if len(ids) == 1 else []

    def encode(self, text, bos=False, eos=False):
        return self.encode_batch([text], bos, eos)[0]

    def encode_batch(self, texts, bos=False, eos=False):
        return [ids + ([self.eos_id] if eos else []) for ids in self.hf.encode_batch(texts, add_special_tokens=bos)]

    def _messages(self, prompt, system):
        return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]

    def render_prompt(self, prompt, system=None):
        return self.renderer.template.render(messages=self._messages(prompt, system), tools=None, documents=None,
                                             add_generation_prompt=True, **self.renderer.variables)

    def encode_prompt(self, prompt, system=None):
        # The template writes every special token itself (bos included), as apply_chat_template does.
        return self.hf.encode(self.render_prompt(prompt, system))

    def encode_response(self, response, prompt="", system=None):
        head = self.render_prompt(prompt, system)
        full = self.renderer.render(self._messages(prompt, system) + [{"role": "assistant", "content": response}])
        if full.startswith(head):
            # What follows the prompt up to the end of the turn: not the newline between turns, nor the next
            # header that some templates always write (Llama 3's ignores add_generation_prompt).
            turn = full[len(head):]
            at = turn.find(response)
            end = turn.find(self.renderer.end_of_turn, at + len(response) if at >= 0 else 0)
            if end >= 0:
                return self.hf.encode(turn[:end + len(self.renderer.end_of_turn)])
        return self.hf.encode(response) + [self.eos_id]

    def decode(self, ids):
        return self.hf.decode(ids, skip_special_tokens=True)

    def answer(self, ids):
        """The text of generated ids compared with an expected answer: a reasoning model's ``<think>`` part
        is not the answer, and a plain-text prompt's answer ends at the end of its line (as the byte
        tokenizer's generation stops at a newline)."""
        text = self.decode(ids).split("</think>")[-1]
        return text if self.chat else text.split("\n")[0]

    def close(self):
        self.hf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
