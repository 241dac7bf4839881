"""The route-stats kind: how a mixture-of-experts checkpoint routes one dataset's tokens, written as a
``routing-profile`` artifact (``profile.json``, docs/trainer.md "Routing profiles") that expert pruning and
merging rank experts by.

One forward pass over the data without gradients. Each MoE block reports what its own routing decided
(``SparseMoeBlock.observer``: router logits, renormalised top-k weights, chosen experts and each choice's
expert output norm), so the statistics are those of the routing the model computes (moe.py), never a
re-implementation of it. Every non-padding input position of every sequence counts once.
"""

import hashlib
import json
import os

import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from . import data as D
from . import evaluate, families, moe, train
from . import tokenizer as tok
from .runtime import MetricsWriter, Runtime
from .tokenizer import ByteTokenizer

FORMAT = "trainyard.routing-profile/v1"
PROFILE = "profile.json"


class LayerStats:
    """Sums over the tokens one MoE layer has seen, in float64 (a profile may cover millions of tokens)."""

    def __init__(self, n, k, device):
        def zeros(*shape):
            return torch.zeros(*shape, dtype=torch.float64, device=device)

        self.n, self.k, self.tokens = n, k, 0
        self.routed, self.prob, self.norm, self.weighted = zeros(n), zeros(n), zeros(n), zeros(n)
        self.coactivation, self.gram, self.entropy = zeros(n, n), zeros(n, n), zeros(())

    def add(self, logits, weights, chosen, norms, valid):
        if valid is not None:
            logits, weights, chosen, norms = logits[valid], weights[valid], chosen[valid], norms[valid]
        self.tokens += logits.shape[0]
        probs = moe.router_probs(logits).double()
        hot = F.one_hot(chosen, self.n).double()  # [tokens, k, N]: slot s of the token chose expert j
        routed = hot.sum(1)  # [tokens, N]: 1 where expert j is among the token's k (top-k picks are distinct)
        self.routed += routed.sum(0)
        self.prob += probs.sum(0)
        self.norm += (hot * norms.double().unsqueeze(-1)).sum((0, 1))
        self.weighted += (hot * (weights.double() * norms.double()).unsqueeze(-1)).sum((0, 1))
        self.coactivation += routed.T @ routed
        logits = logits.double()
        self.gram += logits.T @ logits
        self.entropy += -(probs * torch.log(probs.clamp_min(1e-300))).sum()

    def result(self, layer):
        t = max(self.tokens, 1)
        routed = self.routed
        mean_norm = torch.where(routed > 0, self.norm / routed.clamp_min(1), torch.zeros_like(routed))
        # Cosine similarity of the columns of the [tokens x N] router-logit matrix, from its Gram matrix;
        # an expert whose logits were all 0 is similar to nothing (0), not NaN.
        length = self.gram.diagonal().sqrt()
        outer = torch.outer(length, length)
        similarity = torch.where(outer > 0, self.gram / outer.clamp_min(1e-300), torch.zeros_like(outer))
        return {"layer": layer,
                "frequency": (routed / t).tolist(),
                "mean_gate": (self.prob / t).tolist(),
                "mean_output_norm": mean_norm.tolist(),
                "gate_weighted_output_norm": (self.weighted / t).tolist(),
                "coactivation": (self.coactivation / t).tolist(),
                "router_logit_similarity": similarity.tolist()}


class Profiler:
    """Observes every MoE block of ``model`` while in use (``with Profiler(model) as p``); ``p.valid`` is the
    flattened non-padding mask of the batch about to run."""

    def __init__(self, model, device):
        self.blocks = [layer.block_sparse_moe for layer in model.model.layers]
        k = model.config.num_experts_per_tok
        self.layers = [LayerStats(len(b.experts), k, device) for b in self.blocks]
        self.valid = None

    def __enter__(self):
        for block, stats in zip(self.blocks, self.layers):
            block.observer = lambda *routing, stats=stats: stats.add(*routing, self.valid)
        return self

    def __exit__(self, *exc):
        for block in self.blocks:
            block.observer = None


def router_fingerprint(model):
    """sha256 of every layer's router weight (``model.layers.{i}.block_sparse_moe.gate.weight``) as float32,
    row-major, little-endian, layer 0 first: the Java engine recomputes it to refuse a profile of another
    model."""
    h = hashlib.sha256()
    for layer in model.model.layers:
        w = layer.block_sparse_moe.gate.weight.detach().float().cpu().contiguous().numpy()
        h.update(w.astype("<f4", copy=False).tobytes())
    return h.hexdigest()


def require_moe(directory):
    """The checkpoint's config.json, refused by name (``model``) unless its family is a mixture of experts."""
    path = os.path.join(directory, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"model: {directory} has no config.json (is this a checkpoint?)")
    config = ckpt.read_json(path)
    model_type = config.get("model_type", "llama")
    family = families.FAMILIES.get(model_type)
    if family is None or not family.moe:
        moe_types = ", ".join(f.model_type for f in families.FAMILIES.values() if f.moe)
        raise ValueError(f"model: {directory} is a dense {model_type} checkpoint; route-stats profiles the "
                         f"experts of a mixture-of-experts model ({moe_types})")
    return config


def sequences(path, cfg, model_dir, seq_len, vocab_size):
    """The data as input sequences (1-D id tensors) and what they are: token shards cut into windows; text
    (``.txt``, ``{"text"}``) packed into windows with the checkpoint's tokenizer; chat and instruction
    records one sequence each, rendered as sft renders them. The readers are the trainer's own (data.py)."""
    if D.is_tokens(path):
        split = cfg.get("subset") or "train"
        shards = D.TokenShards(path, split)
        loaded = [{"format": "tokens", "subset": split, "shards": shards, "path": path}]
        train._checkpoint_tokenizer(model_dir, tok.of_tokens(path, shards.index))
        train._check_ids_fit(loaded, vocab_size)
        windows = D.PackedWindows(shards, seq_len, shorten=True)
        return [windows[i][0] for i in range(len(windows))], split, None
    files = D.resolve_files(path, cfg.get("subset"), "route-stats")
    texts, records = [], []
    for f in files:
        rows = None if f.endswith(".txt") else D.read_records([f])
        if rows is None or all(isinstance(r.get("text"), str) for r in rows):
            texts += D.read_texts([f])
        else:
            records += rows
    checkpoint_tok = tok.of_checkpoint(model_dir)
    hf = checkpoint_tok is not None and not checkpoint_tok.is_byte
    if records and hf:
        raise D.DataError(f"data: {records[0]['_where']} is a chat or instruction record, which the trainer renders "
                          "with the byte tokenizer only; tokenize the data with the model's tokenizer (a tokenize "
                          "step, config.records: chat) and profile the token shards")
    if not hf:
        tok.require_byte(model_dir)
    text_tok = evaluate.text_tokenizer(model_dir, False) if hf and texts else None
    rows = []
    if texts:
        windows = D.pack_windows(texts, seq_len, tok=text_tok, shorten=True)
        rows += [w[:-1] for w in windows]
    if records:
        rows += [torch.tensor(D.sft_example(segments, seq_len)[0], dtype=torch.long)
                 for segments in D.sft_pairs(records)]
    return [r for r in rows if len(r)], cfg.get("subset"), text_tok


def capped(rows, cfg):
    """The sequences in a seeded order, cut at ``max_sequences`` and ``max_tokens`` (the last one cropped)."""
    order = D.ExampleOrder(len(rows), int(cfg.get("seed") or 0)).take(len(rows))
    if cfg.get("max_sequences"):
        order = order[: int(cfg["max_sequences"])]
    out, budget = [], int(cfg["max_tokens"]) if cfg.get("max_tokens") else None
    for i in order:
        row = rows[i]
        if budget is not None:
            if budget <= 0:
                break
            row = row[:budget]
            budget -= len(row)
        out.append(row)
    return out


@torch.no_grad()
def profile(model, rows, batch_size, rt, pad_id=0):
    """The per-layer statistics of ``model`` over ``rows`` (right-padded batches; padding never counts)."""
    profiler = Profiler(model, rt.device)
    with profiler:
        for i in range(0, len(rows), batch_size):
            batch = rows[i:i + batch_size]
            longest = max(len(r) for r in batch)
            ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
            valid = torch.zeros((len(batch), longest), dtype=torch.bool)
            for r, row in enumerate(batch):
                ids[r, :len(row)], valid[r, :len(row)] = row, True
            profiler.valid = None if valid.all() else valid.reshape(-1).to(rt.device)
            with rt.autocast():
                model(ids.to(rt.device))
    return profiler.layers


def run(body, step_json, log=print):
    cfg = dict(body.get("config") or {})
    model_dir = body.get("model")
    if not isinstance(model_dir, str):
        raise ValueError("model: required (a mixture-of-experts checkpoint)")
    if isinstance(body.get("data"), list):
        raise ValueError("data: one dataset or token shards (a profile describes one dataset; profile each of "
                         "several in its own step); got a list")
    if not isinstance(body.get("data"), str):
        raise ValueError("data: required (a dataset or token shards)")
    model_dir = os.path.realpath(model_dir)
    require_moe(model_dir)
    rt = Runtime(cfg)
    model, _ = ckpt.load_model(model_dir, text=False)
    c = model.config
    seq_len = int(cfg.get("seq_len") or min(256, c.max_position_embeddings))
    rows, subset, text_tok = sequences(body["data"], cfg, model_dir, seq_len, c.vocab_size)
    try:
        rows = capped(rows, cfg)
        if not rows:
            raise D.DataError(f"data: {body['data']} holds no tokens to route")
        model.to(rt.device).eval()
        pad = text_tok.pad_id if text_tok is not None and text_tok.pad_id is not None else ByteTokenizer().pad_id
        layers = profile(model, rows, int(cfg.get("batch_size") or 16), rt, pad)
    finally:
        if text_tok is not None:
            text_tok.close()
    tokens = sum(len(r) for r in rows)
    result = {
        "format": FORMAT,
        "model": {"model_type": c.model_type, "num_hidden_layers": c.num_hidden_layers,
                  "num_local_experts": c.num_local_experts,
                  "layer_experts": [c.experts_in(i) for i in range(c.num_hidden_layers)],
                  "num_experts_per_tok": c.num_experts_per_tok, "router_fingerprint": router_fingerprint(model)},
        "dataset": {"subset": subset, "tokens": tokens, "sequences": len(rows)},
        "layers": [stats.result(i) for i, stats in enumerate(layers)],
    }
    os.makedirs(step_json["output"], exist_ok=True)
    with open(os.path.join(step_json["output"], PROFILE), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    metrics = {"route/tokens": tokens, "route/sequences": len(rows)}
    for i, stats in enumerate(layers):
        metrics[f"route/layer{i}/entropy"] = stats.entropy.item() / max(stats.tokens, 1)
        freq = result["layers"][i]["frequency"]
        metrics.update({f"route/layer{i}/frequency/expert{j}": v for j, v in enumerate(freq)})
        log(f"layer {i}: entropy {metrics[f'route/layer{i}/entropy']:.4f}, frequency "
            + " ".join(f"{v:.3f}" for v in freq))
    writer = MetricsWriter(step_json.get("metrics"))
    writer.write(step=0, **metrics)
    writer.close()
    rt.close()
    log(f"routed {tokens} tokens of {len(rows)} sequences through {c.num_hidden_layers} layers")
    return 0
