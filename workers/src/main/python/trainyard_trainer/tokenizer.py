"""Tokenizers of checkpoints: Trainyard's own byte tokenizer, or the tokenizer of token shards.

The byte tokenizer: ids 0-255 are raw UTF-8 bytes, special tokens follow. Saved as a Hugging Face
``tokenizer.json`` (a byte-level BPE with no merges, which the ``tokenizers`` library reads as exactly this
mapping) plus ``tokenizer_config.json`` carrying the chat template and the marker
``"trainyard_tokenizer": "byte-v1"``. The trainer tokenizes text only for checkpoints that carry the marker
(or, written by an older Trainyard, a tokenizer.json whose content is exactly the byte tokenizer's); any
other checkpoint trains on token shards only, and its tokenizer files travel with it unchanged.
"""

import hashlib
import json
import os
import shutil

SPECIAL_TOKENS = ["<|bos|>", "<|eos|>", "<|pad|>", "<|user|>", "<|assistant|>", "<|system|>"]
BOS, EOS, PAD, USER, ASSISTANT, SYSTEM = range(256, 256 + len(SPECIAL_TOKENS))
# Rounded up so the embedding matrix has a friendly size; ids above the specials are never produced.
VOCAB_SIZE = 264

# Jinja, as HF's apply_chat_template expects; mirrors ByteTokenizer.encode_chat.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}<|system|>{{ message['content'] }}"
    "{% elif message['role'] == 'user' %}<|user|>{{ message['content'] }}"
    "{% else %}<|assistant|>{{ message['content'] }}{{ eos_token }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _bytes_to_unicode():
    """GPT-2's printable stand-in character for each byte, which HF's ByteLevel pre-tokenizer uses."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class ByteTokenizer:
    vocab_size = VOCAB_SIZE
    bos_id, eos_id, pad_id = BOS, EOS, PAD
    user_id, assistant_id, system_id = USER, ASSISTANT, SYSTEM

    def encode(self, text, bos=False, eos=False):
        ids = list(text.encode("utf-8"))
        return ([BOS] if bos else []) + ids + ([EOS] if eos else [])

    def decode(self, ids):
        return bytes(i for i in ids if 0 <= i < 256).decode("utf-8", errors="replace")

    def encode_prompt(self, prompt, system=None):
        """The chat prefix up to and including the assistant marker: what generation continues."""
        ids = [BOS]
        if system:
            ids += [SYSTEM] + self.encode(system)
        return ids + [USER] + self.encode(prompt) + [ASSISTANT]

    def encode_response(self, response):
        return self.encode(response) + [EOS]

    def save(self, directory, chat_template=CHAT_TEMPLATE):
        tokenizer_json = byte_tokenizer_json()
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>",
            "additional_special_tokens": ["<|user|>", "<|assistant|>", "<|system|>"],
            "model_max_length": 1_000_000,
            "add_bos_token": False, "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "chat_template": chat_template,
            MARKER: BYTE_MARKER,
        }
        special = {"bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>",
                   "additional_special_tokens": ["<|user|>", "<|assistant|>", "<|system|>"]}
        for name, obj in (("tokenizer.json", tokenizer_json), ("tokenizer_config.json", config),
                          ("special_tokens_map.json", special)):
            with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=2, ensure_ascii=False)
                f.write("\n")


MARKER, BYTE_MARKER = "trainyard_tokenizer", "byte-v1"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def byte_tokenizer_json():
    b2u = _bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    added = [{"id": 256 + i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, tok in enumerate(SPECIAL_TOKENS)]
    return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                              "use_regex": False},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                        "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": vocab, "merges": []},
    }


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_byte_tokenizer_json(obj):
    """Whether a tokenizer.json is the byte tokenizer by content (how checkpoints of older Trainyard
    versions, written before the marker, are recognised): a merge-less BPE over exactly the 256 bytes, with
    our special tokens after them."""
    model = obj.get("model") if isinstance(obj, dict) else None
    if not isinstance(model, dict) or model.get("type") != "BPE" or model.get("merges"):
        return False
    b2u = _bytes_to_unicode()
    if model.get("vocab") != {b2u[b]: b for b in range(256)}:
        return False
    added = sorted((t.get("id"), t.get("content")) for t in obj.get("added_tokens") or [])
    return added == [(256 + i, t) for i, t in enumerate(SPECIAL_TOKENS)]


class Tokenizer:
    """Which tokenizer a checkpoint (or token shards) uses, and where its files are.

    ``kind`` is ``byte`` (Trainyard's, the trainer can tokenize text with it) or ``hf`` (a Hugging Face
    tokenizer.json the trainer never runs: its ids come from token shards). ``sha256`` is tokenizer.json's
    hash, which token shards record, so ids are only ever read by a model of the same tokenizer."""

    def __init__(self, kind, directory, sha256, bos_id, eos_id, pad_id, chat_template=None):
        self.kind, self.directory, self.sha256 = kind, directory, sha256
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.chat_template = chat_template

    @property
    def is_byte(self):
        return self.kind == "byte"

    def save(self, directory):
        """Writes its files into a checkpoint dir: the byte tokenizer afresh, any other copied byte for byte."""
        if self.is_byte:
            ByteTokenizer().save(directory, self.chat_template or CHAT_TEMPLATE)
            return
        for name in TOKENIZER_FILES:
            src = os.path.join(self.directory, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(directory, name))

    def config_entries(self):
        """What config.json records about it (special token ids, and which tokenizer)."""
        return {"bos_token_id": self.bos_id, "eos_token_id": self.eos_id, "pad_token_id": self.pad_id,
                "trainyard_tokenizer_sha256": self.sha256}


BYTE = Tokenizer("byte", None, None, BOS, EOS, PAD, CHAT_TEMPLATE)


def of_checkpoint(directory):
    """The checkpoint's tokenizer, or None when it has no usable one (no tokenizer.json)."""
    tj_path = os.path.join(directory, "tokenizer.json")
    tc_path = os.path.join(directory, "tokenizer_config.json")
    tc = _read_json(tc_path) if os.path.exists(tc_path) else {}
    marker = tc.get(MARKER)
    if marker is not None and marker != BYTE_MARKER:
        raise ValueError(f"{directory}: tokenizer '{marker}' is not one this trainer knows")
    if not os.path.exists(tj_path):
        if marker == BYTE_MARKER:
            raise ValueError(f"{directory}: tokenizer_config.json says {MARKER}: {BYTE_MARKER} but there is no "
                             "tokenizer.json")
        return None
    sha = sha256_of(tj_path)
    if marker == BYTE_MARKER or is_byte_tokenizer_json(_read_json(tj_path)):
        return Tokenizer("byte", directory, sha, BOS, EOS, PAD, tc.get("chat_template") or CHAT_TEMPLATE)
    cfg_path = os.path.join(directory, "config.json")
    cfg = _read_json(cfg_path) if os.path.exists(cfg_path) else {}
    return Tokenizer("hf", directory, sha, cfg.get("bos_token_id"), cfg.get("eos_token_id"),
                     cfg.get("pad_token_id"), tc.get("chat_template"))


def of_tokens(directory, index):
    """The tokenizer token shards were made with (its files are copied into the shards' artifact)."""
    tc_path = os.path.join(directory, "tokenizer_config.json")
    tc = _read_json(tc_path) if os.path.exists(tc_path) else {}
    tj_path = os.path.join(directory, "tokenizer.json")
    kind = "byte" if (tc.get(MARKER) == BYTE_MARKER or
                      (os.path.exists(tj_path) and is_byte_tokenizer_json(_read_json(tj_path)))) else "hf"
    pad = index.get("pad_id")
    return Tokenizer(kind, directory, index.get("tokenizer_sha256"), index.get("bos_id"), index.get("eos_id"),
                     pad if pad is not None else index.get("eos_id"), tc.get("chat_template"))


def require_byte(directory):
    """The byte tokenizer of a checkpoint whose text the trainer must tokenize itself; refuses every other
    checkpoint by name, never falling back to bytes."""
    t = of_checkpoint(directory)
    if t is None:
        raise ValueError(f"{directory}: the checkpoint has no tokenizer (no tokenizer.json, no "
                         f"\"{MARKER}\": \"{BYTE_MARKER}\" marker), so its text cannot be tokenized; train it on "
                         "token shards (a tokens artifact) instead")
    if not t.is_byte:
        raise ValueError(f"{directory}: the checkpoint's tokenizer.json is not Trainyard's byte tokenizer "
                         f"(sha256 {t.sha256[:12]}), and the trainer never tokenizes text for it; tokenize the data "
                         "with that tokenizer (a tokenize step) and train on the token shards")
    return t
