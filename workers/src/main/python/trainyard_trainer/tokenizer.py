"""Byte-level tokenizer: ids 0-255 are raw UTF-8 bytes, special tokens follow.

Saved as a Hugging Face ``tokenizer.json`` (a byte-level BPE with no merges, which the ``tokenizers``
library reads as exactly this mapping) plus ``tokenizer_config.json`` carrying the chat template.
"""

import json
import os

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
        b2u = _bytes_to_unicode()
        vocab = {b2u[b]: b for b in range(256)}
        added = [{"id": 256 + i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, tok in enumerate(SPECIAL_TOKENS)]
        tokenizer_json = {
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
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>",
            "additional_special_tokens": ["<|user|>", "<|assistant|>", "<|system|>"],
            "model_max_length": 1_000_000,
            "add_bos_token": False, "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "chat_template": chat_template,
            "trainyard_tokenizer": "byte-v1",
        }
        special = {"bos_token": "<|bos|>", "eos_token": "<|eos|>", "pad_token": "<|pad|>",
                   "additional_special_tokens": ["<|user|>", "<|assistant|>", "<|system|>"]}
        for name, obj in (("tokenizer.json", tokenizer_json), ("tokenizer_config.json", config),
                          ("special_tokens_map.json", special)):
            with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=2, ensure_ascii=False)
                f.write("\n")

    @staticmethod
    def check_compatible(directory):
        """Refuses checkpoints whose tokenizer is not ours: their ids would mean other strings."""
        path = os.path.join(directory, "tokenizer_config.json")
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            kind = json.load(f).get("trainyard_tokenizer")
        if kind not in (None, "byte-v1"):
            raise ValueError(f"{directory}: tokenizer '{kind}' is not the byte-level tokenizer this trainer uses")
