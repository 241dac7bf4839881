"""Datasets: where they are, how they are read, and the deterministic order they are served in.

A dataset input is a file or a directory. A directory written by ``trainyard_trainer.datasets`` has a
``trainyard-datasets.json`` naming its subsets; otherwise every ``.txt``/``.jsonl`` file under it is
read, in path order. Formats (docs/trainer.md):

* text (pretrain, continual-pretrain, perplexity): ``.txt`` — documents separated by a blank line — or
  ``.jsonl`` with ``{"text": ...}``.
* instructions (sft): ``{"prompt", "response"}``, ``{"instruction", "input"?, "output"}``,
  ``{"messages": [{"role", "content"}, ...]}`` or ShareGPT's ``{"conversations": [{"from", "value"}, ...]}``.
* preferences (dpo): ``{"prompt", "chosen", "rejected"}``.

The order examples are served in is a pure function of (seed, epoch, position), so a resumed run that
restores the position sees exactly the batches the interrupted one would have.
"""

import json
import os

import torch

from .tokenizer import ByteTokenizer

MANIFEST = "trainyard-datasets.json"
SHAREGPT_ROLES = {"human": "user", "gpt": "assistant"}
IGNORE = -100


class DataError(ValueError):
    pass


def resolve_files(path, subset=None, role=None):
    """The files a dataset input stands for; ``subset`` (or the manifest's default for ``role``) picks
    one subset of a generated dataset dir, or one file or folder of a plain one."""
    path = os.path.realpath(path)
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise DataError(f"dataset {path} does not exist")
    manifest = os.path.join(path, MANIFEST)
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as f:
            m = json.load(f)
        name = subset or m.get("defaults", {}).get(role)
        if name is None:
            raise DataError(f"dataset {path} has subsets {sorted(m['subsets'])}; say which one with config.subset")
        if name not in m["subsets"]:
            raise DataError(f"dataset {path} has no subset '{name}'; it has {sorted(m['subsets'])}")
        return resolve_files(os.path.join(path, m["subsets"][name]))
    if subset is not None:
        # A plain directory (a registered dataset): the subset is one of its files or folders.
        target = os.path.realpath(os.path.join(path, subset))
        inside = target == path or target.startswith(path + os.sep)
        if not inside or not os.path.exists(target):
            have = [os.path.relpath(f, path) for f in resolve_files(path)]
            raise DataError(f"dataset {path} has no file or folder '{subset}' (config.subset); it has "
                            + ", ".join(have[:20]) + (f" and {len(have) - 20} more" if len(have) > 20 else ""))
        return resolve_files(target)
    files = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        dirnames.sort()
        files += [os.path.join(dirpath, f) for f in sorted(filenames)
                  if f.endswith((".txt", ".jsonl", ".json")) and f != MANIFEST]
    if not files:
        raise DataError(f"dataset {path} holds no .txt or .jsonl files")
    return files


def read_records(files):
    out = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}:{n}: not JSON ({e.msg})") from None
                if not isinstance(rec, dict):
                    raise DataError(f"{path}:{n}: each line must be a JSON object")
                rec["_where"] = f"{os.path.basename(path)}:{n}"
                out.append(rec)
    return out


def read_texts(files):
    docs = []
    for path in files:
        if path.endswith((".jsonl", ".json")):
            for rec in read_records([path]):
                if not isinstance(rec.get("text"), str):
                    raise DataError(f"{rec['_where']}: a text record needs a string 'text'")
                docs.append(rec["text"])
        else:
            with open(path, encoding="utf-8") as f:
                docs += [d.strip() for d in f.read().split("\n\n") if d.strip()]
    if not docs:
        raise DataError(f"no text in {files}")
    return docs


class ExampleOrder:
    """Serves indices 0..n-1 epoch by epoch, each epoch a seeded permutation; ``consumed`` is the position."""

    def __init__(self, n, seed, consumed=0):
        if n <= 0:
            raise DataError("the dataset has no examples")
        self.n, self.seed, self.consumed = n, seed, consumed
        self._epoch, self._perm = None, None

    def take(self, k):
        out = []
        for _ in range(k):
            epoch, i = divmod(self.consumed, self.n)
            if epoch != self._epoch:
                g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
                self._perm, self._epoch = torch.randperm(self.n, generator=g).tolist(), epoch
            out.append(self._perm[i])
            self.consumed += 1
        return out

    @property
    def epoch(self):
        return self.consumed / self.n


def pack_windows(docs, seq_len, tok=None, shorten=False):
    """Documents as one token stream (each framed by BOS/EOS) cut into windows of seq_len+1 tokens;
    ``shorten`` lets a corpus shorter than one window be a single shorter one (evaluation)."""
    tok = tok or ByteTokenizer()
    stream = []
    for d in docs:
        stream += tok.encode(d, bos=True, eos=True)
    if shorten and len(stream) >= 2:
        seq_len = min(seq_len, len(stream) - 1)
    n = (len(stream) - 1) // seq_len
    if n < 1:
        raise DataError(f"the corpus has {len(stream)} tokens, fewer than one sequence of {seq_len + 1}")
    t = torch.tensor(stream[: n * seq_len + 1], dtype=torch.long)
    return torch.stack([t[i * seq_len: i * seq_len + seq_len + 1] for i in range(n)])


def sft_pairs(records):
    """(prompt ids, response ids) pairs; a multi-turn conversation gives a list of segments."""
    tok = ByteTokenizer()
    out = []
    for rec in records:
        if "conversations" in rec and "messages" not in rec:
            # ShareGPT's shape, which dataset registration accepts beside OpenAI's messages.
            rec = dict(rec, messages=[{"role": SHAREGPT_ROLES.get(t.get("from"), t.get("from")),
                                       "content": t.get("value", "")} for t in rec["conversations"]])
        if "messages" in rec:
            segs = [([tok.bos_id], False)]
            for m in rec["messages"]:
                role, content = m.get("role"), m.get("content", "")
                if role == "assistant":
                    segs.append(([tok.assistant_id], False))
                    segs.append((tok.encode_response(content), True))
                else:
                    marker = tok.system_id if role == "system" else tok.user_id
                    segs.append(([marker] + tok.encode(content), False))
            out.append(segs)
            continue
        prompt = rec.get("prompt")
        response = rec.get("response")
        if prompt is None and "instruction" in rec:
            prompt = rec["instruction"] + (("\n" + rec["input"]) if rec.get("input") else "")
            response = rec.get("output")
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise DataError(f"{rec['_where']}: an instruction record needs 'prompt' and 'response' "
                            "(or 'instruction'/'output', or 'messages')")
        out.append([(tok.encode_prompt(prompt), False), (tok.encode_response(response), True)])
    return out


def sft_example(segments, seq_len):
    ids, labels = [], []
    for seg, trained in segments:
        ids += seg
        labels += seg if trained else [IGNORE] * len(seg)
    ids, labels = ids[: seq_len + 1], labels[: seq_len + 1]
    # Inputs are ids[:-1]; targets are labels[1:] — the model predicts each response token from its prefix.
    return ids[:-1], labels[1:]


def collate(pairs, pad_id):
    T = max(len(i) for i, _ in pairs)
    ids = torch.full((len(pairs), T), pad_id, dtype=torch.long)
    labels = torch.full((len(pairs), T), IGNORE, dtype=torch.long)
    for r, (i, l) in enumerate(pairs):
        ids[r, : len(i)] = torch.as_tensor(i, dtype=torch.long)
        labels[r, : len(l)] = torch.as_tensor(l, dtype=torch.long)
    return ids, labels


def preference_triples(records):
    tok = ByteTokenizer()
    out = []
    for rec in records:
        if not all(isinstance(rec.get(k), str) for k in ("prompt", "chosen", "rejected")):
            raise DataError(f"{rec['_where']}: a preference record needs string 'prompt', 'chosen' and 'rejected'")
        p = tok.encode_prompt(rec["prompt"])
        out.append(([(p, False), (tok.encode_response(rec["chosen"]), True)],
                    [(p, False), (tok.encode_response(rec["rejected"]), True)]))
    return out


# ---- token shards (a `tokens` artifact, docs/trainer.md "Token shards") ----

TOKENS_INDEX = "tokens.json"
TOKENS_FORMAT = "trainyard-tokens/1"
_DTYPES = {"uint16": "<u2", "uint32": "<u4"}


def is_tokens(path):
    return os.path.isdir(path) and os.path.exists(os.path.join(path, TOKENS_INDEX))


class TokenShards:
    """One split of a tokens artifact, memory-mapped: per shard the flat ids, the loss mask (1 = the token is
    a loss target) and the document start offsets."""

    def __init__(self, path, split):
        import numpy as np

        path = os.path.realpath(path)
        with open(os.path.join(path, TOKENS_INDEX), encoding="utf-8") as f:
            self.index = index = json.load(f)
        if index.get("format") != TOKENS_FORMAT:
            raise DataError(f"{path}: tokens.json format '{index.get('format')}' is not {TOKENS_FORMAT}")
        if index.get("dtype") not in _DTYPES:
            raise DataError(f"{path}: tokens.json dtype '{index.get('dtype')}' is not uint16 or uint32")
        splits = index.get("splits") or {}
        if split not in splits:
            raise DataError(f"{path}: the tokens have no '{split}' split; they have {sorted(splits)}")
        self.path, self.split = path, split
        self.vocab_size = int(index["vocab_size"])
        self.records = index.get("records", "text")
        self.shards = []
        for n, shard in enumerate(splits[split].get("shards") or []):
            where = f"{path}: splits.{split}.shards[{n}]"
            files = {}
            for key in ("tokens", "mask", "docs"):
                p = os.path.realpath(os.path.join(path, shard[key]))
                if not p.startswith(path + os.sep) or not os.path.isfile(p):
                    raise DataError(f"{where}.{key}: {shard[key]} is not a file of the artifact")
                files[key] = p
            ids = np.memmap(files["tokens"], dtype=_DTYPES[index["dtype"]], mode="r") \
                if os.path.getsize(files["tokens"]) else np.zeros(0, dtype=_DTYPES[index["dtype"]])
            mask = np.fromfile(files["mask"], dtype=np.uint8)
            docs = np.fromfile(files["docs"], dtype="<i8")
            if len(mask) != len(ids) or len(docs) < 1 or docs[0] != 0 or docs[-1] != len(ids) \
                    or (np.diff(docs) < 0).any():
                raise DataError(f"{where}: .tokens ({len(ids)}), .mask ({len(mask)}) and .docs do not agree")
            if len(ids):
                self.shards.append((ids, mask, docs))
        if not self.shards:
            raise DataError(f"{path}: the '{split}' split holds no tokens")

    def max_id(self):
        return max(int(ids.max()) for ids, _, _ in self.shards)

    def tokens(self):
        return sum(len(ids) for ids, _, _ in self.shards)


class PackedWindows:
    """Documents of the shards as one stream per shard (they are stored contiguously, each already framed by
    the tokenizer) cut into windows of seq_len+1 tokens; a target counts in the loss where its mask is 1."""

    def __init__(self, shards, seq_len, shorten=False):
        self.shards, self.seq_len, self.starts = shards.shards, seq_len, []
        total = shards.tokens()
        if shorten and total >= 2:
            self.seq_len = seq_len = min(seq_len, max(len(ids) for ids, _, _ in self.shards) - 1)
        for s, (ids, _, _) in enumerate(self.shards):
            self.starts += [(s, i * seq_len) for i in range((len(ids) - 1) // seq_len)]
        if not self.starts:
            raise DataError(f"{shards.path}: the '{shards.split}' split has {total} tokens, fewer than one "
                            f"sequence of {seq_len + 1} in a shard")

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, i):
        s, start = self.starts[i]
        ids, mask, _ = self.shards[s]
        w = torch.from_numpy(ids[start:start + self.seq_len + 1].astype("int64"))
        m = torch.from_numpy(mask[start + 1:start + self.seq_len + 1].astype(bool))
        return w[:-1], torch.where(m, w[1:], torch.full_like(w[1:], IGNORE))


class MaskedDocuments:
    """Each document (e.g. one rendered conversation) is one example, cropped to seq_len+1 tokens; documents
    whose kept part has no loss target are skipped (they would teach nothing)."""

    def __init__(self, shards, seq_len):
        import numpy as np

        self.shards, self.docs = shards.shards, []
        for s, (_, mask, docs) in enumerate(self.shards):
            cs = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
            starts, ends = docs[:-1], np.minimum(docs[1:], docs[:-1] + seq_len + 1)
            ok = (ends - starts >= 2) & (cs[ends] - cs[np.minimum(starts + 1, ends)] > 0)
            self.docs += [(s, int(a), int(b)) for a, b in zip(starts[ok], ends[ok])]
        if not self.docs:
            raise DataError(f"{shards.path}: no document of the '{shards.split}' split has a loss target "
                            f"(mask 1) within {seq_len + 1} tokens")

    def __len__(self):
        return len(self.docs)

    def __getitem__(self, i):
        s, a, b = self.docs[i]
        ids, mask, _ = self.shards[s]
        ids = torch.from_numpy(ids[a:b].astype("int64"))
        targets = torch.from_numpy(mask[a + 1:b].astype(bool))
        return ids[:-1], torch.where(targets, ids[1:], torch.full_like(ids[1:], IGNORE))
