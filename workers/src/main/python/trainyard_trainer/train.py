"""One training loop; the kinds differ only in their data and objective.

pretrain / continual-pretrain: next-token loss on packed windows (continual-pretrain re-warms the
learning rate and may replay earlier data at a ratio). sft: next-token loss on response tokens only.
dpo: sigmoid DPO loss against a frozen reference.

With ``adapter`` in the body (sft, dpo) only a LoRA adapter trains on the frozen base (lora.py); the output is
the adapter dir, and DPO's reference is the same model with its adapters switched off.

A step's data is a mixture of sources (one artifact is a mixture of one; see mixture.py), each a text
dataset the trainer tokenizes with its byte tokenizer or token shards it reads as they are; which of the
two a model may take is decided by its tokenizer (tokenizer.py), never by a fallback.
"""

import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from . import data as D
from . import lora, moe
from .model import LlamaForCausalLM, resolve_config
from . import tokenizer as tok
from .mixture import Mixture, Source, normalised
from .runtime import Clock, MetricsWriter, Runtime

# config.save_dtype: the written checkpoint's weights; unset keeps the base's own dtype.
SAVE_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class TrainConfig:
    """The step's config as the planner resolved it: every key with a default is present (see the kind's
    definition in StepKinds and docs/trainer.md); this class keeps no defaults of its own."""

    def __init__(self, raw, objective):
        c = {k: v for k, v in (raw or {}).items() if v is not None}
        self.raw = c

        def need(key, cast):
            if key not in c:
                raise ValueError(f"config.{key}: missing from step.json (the planner writes every default)")
            return cast(c[key])

        self.max_steps = need("max_steps", int)
        self.lr = need("lr", float)
        self.min_lr_ratio = need("min_lr_ratio", float)
        self.warmup_steps = need("warmup_steps", int)
        self.batch_size = need("batch_size", int)
        self.grad_accum = need("grad_accum", int)
        self.seq_len = need("seq_len", int)
        self.seed = need("seed", int)
        self.weight_decay = need("weight_decay", float)
        self.grad_clip = need("grad_clip", float)
        self.checkpoint_every = need("checkpoint_every", int)
        self.log_every = need("log_every", int)
        self.beta = need("beta", float) if objective == "dpo" else None
        self.sft_weight = need("sft_weight", float) if objective == "dpo" else 0.0
        self.replay = c.get("replay")
        self.subset = c.get("subset")
        self.eval_every = int(c["eval_every"]) if c.get("eval_every") else None
        self.eval_subset = c.get("eval_subset")
        save_dtype = c.get("save_dtype")
        if save_dtype is not None and save_dtype not in SAVE_DTYPES:
            raise ValueError(f"config.save_dtype: one of {sorted(SAVE_DTYPES)}, got {save_dtype!r}")
        self.save_dtype = SAVE_DTYPES.get(save_dtype)
        if self.max_steps < 1 or self.lr <= 0 or self.batch_size < 1 or self.seq_len < 2 or self.grad_accum < 1:
            raise ValueError("config: max_steps, lr, batch_size, grad_accum must be positive and seq_len >= 2")
        if self.replay is not None:
            if objective != "language-modeling":
                raise ValueError(f"config.replay: the {objective} objective does not replay data")
            if not isinstance(self.replay, dict) or "dataset" not in self.replay:
                raise ValueError("config.replay: needs {dataset, ratio}")
            ratio = float(self.replay.get("ratio", 0.1))
            if not 0 <= ratio < 1:
                raise ValueError("config.replay.ratio: must be in [0, 1)")

    def lr_at(self, step):
        """Linear warm-up to the peak, then cosine down to min_lr_ratio × peak."""
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        span = max(1, self.max_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.lr * (self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


# ---- data: a step's sources, each read as examples of its objective ----

def data_sources(body, cfg, kind):
    """The step's ``data`` as a list of sources ``{dataset, weight, subset, max_epochs, name, role}``:
    one artifact is a one-source mixture, ``config.replay`` appends a source with its ratio as the weight
    (the others scaled to 1 - ratio). One code path serves them all."""
    data = body.get("data")
    if isinstance(data, str):
        specs = [{"dataset": data, "subset": cfg.subset, "weight": 1.0}]
    elif isinstance(data, list) and data:
        if cfg.subset is not None:
            raise ValueError("config.subset: with a list of sources, give each source its own subset")
        # A fan-in (the outputs of a matrix step) is a mixture of equal parts.
        specs = [dict(s) if isinstance(s, dict) else {"dataset": s, "weight": 1.0} for s in data]
        for n, s in enumerate(specs):
            if not isinstance(s.get("dataset"), str):
                raise ValueError(f"data[{n}].dataset: required (an artifact)")
            if "weight" not in s:
                raise ValueError(f"data[{n}].weight: missing from step.json (the planner writes every default)")
            if not s["weight"] > 0:
                raise ValueError(f"data[{n}].weight: must be > 0")
    else:
        raise ValueError(f"{kind}: 'data' (a dataset, token shards or a list of sources) is required")
    for s in specs:
        s.setdefault("role", kind)
    if cfg.replay and float(cfg.replay["ratio"]) > 0:
        ratio = float(cfg.replay["ratio"])
        shares = normalised([float(s["weight"]) for s in specs])
        for s, share in zip(specs, shares):
            s["weight"] = share * (1 - ratio) if len(specs) > 1 else 1 - ratio
        specs.append({"dataset": cfg.replay["dataset"], "subset": cfg.replay.get("subset"), "weight": ratio,
                      "name": "replay", "role": "replay"})
    names = set()
    for s in specs:
        base = s.get("name") or (os.path.basename(os.path.normpath(s["dataset"]))
                                 + (f":{s['subset']}" if s.get("subset") else ""))
        name, n = base, 2
        while name in names:
            name, n = f"{base}#{n}", n + 1
        names.add(name)
        s["name"] = name
    return specs


class ByteWindows:
    """Packed windows of byte-tokenized text as (inputs, targets) rows."""

    def __init__(self, windows):
        self.windows = windows

    def __len__(self):
        return len(self.windows)

    def __getitem__(self, i):
        w = self.windows[i]
        return w[:-1], w[1:]


def load_examples(path, subset, role, objective_name, seq_len, held_out=False):
    """A dataset or token shards as the objective's examples, and what they are (format, subset, shards)."""
    if D.is_tokens(path):
        if subset is None:
            with open(os.path.join(path, D.TOKENS_INDEX), encoding="utf-8") as f:
                splits = json.load(f).get("splits") or {}
            subset = "eval" if held_out and "eval" in splits else "train"
        shards = D.TokenShards(path, subset)
        if objective_name == "dpo":
            raise D.DataError(f"{path}: dpo reads preference datasets (prompt/chosen/rejected); it does not "
                              "train from token shards")
        items = (D.MaskedDocuments(shards, seq_len) if objective_name == "sft"
                 else D.PackedWindows(shards, seq_len, shorten=held_out))
        return items, {"format": "tokens", "subset": subset, "shards": shards, "path": path}
    files = D.resolve_files(path, subset, role)
    if objective_name == "language-modeling":
        items = ByteWindows(D.pack_windows(D.read_texts(files), seq_len))
    elif objective_name == "sft":
        items = [D.sft_example(s, seq_len) for s in D.sft_pairs(D.read_records(files))]
    else:
        triples = D.preference_triples(D.read_records(files))
        items = [(D.sft_example(c, seq_len), D.sft_example(r, seq_len)) for c, r in triples]
    return items, {"format": "text", "subset": subset, "files": files, "path": path}


def _pair_tokens(item):
    return len(item[0][0]) + len(item[1][0])


def build_mixture(specs, objective_name, cfg, state, lineage):
    sources, loaded = [], []
    for i, spec in enumerate(specs):
        items, what = load_examples(spec["dataset"], spec.get("subset"), spec["role"], objective_name, cfg.seq_len)
        loaded.append(what)
        describe = dict(lineage(spec["dataset"]), subset=what["subset"])
        sources.append(Source(spec["name"], items, spec["weight"], cfg.seed + i, spec.get("max_epochs"),
                              describe, _pair_tokens if objective_name == "dpo" else None))
    return Mixture(sources, state.get("mixture") if "mixture" in state else state), loaded


# ---- objectives: each turns examples into batches and a batch into (loss, stats, tokens) ----

class LanguageModeling:
    def __init__(self, mixture, pad_id):
        self.mixture = mixture

    def state(self):
        return {"mixture": self.mixture.state()}

    @staticmethod
    def collate(rows, pad_id=None):
        return torch.stack([x for x, _ in rows]), torch.stack([y for _, y in rows])

    def next_batch(self, n):
        return self.collate(self.mixture.take(n))

    def loss(self, model, batch, rt):
        x, y = (t.to(rt.device) for t in batch)
        with rt.autocast():
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=D.IGNORE)
        return loss, {}, x.numel()


class SupervisedFineTuning(LanguageModeling):
    def __init__(self, mixture, pad_id):
        self.mixture, self.pad_id = mixture, pad_id

    def collate(self, rows, pad_id=None):
        return D.collate(rows, self.pad_id)


def sequence_logps(model, ids, labels, rt, with_counts=False):
    """Sum of log-probabilities of the labelled tokens of each row (and their number)."""
    with rt.autocast():
        logits = model(ids)
    logp = torch.log_softmax(logits.float(), dim=-1)
    mask = labels != D.IGNORE
    picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    sums = (picked * mask).sum(-1)
    return (sums, mask.sum(-1)) if with_counts else sums


class DirectPreference:
    def __init__(self, mixture, pad_id, cfg, reference):
        self.mixture, self.pad_id = mixture, pad_id
        self.reference = reference
        self.beta = cfg.beta
        self.sft_weight = cfg.sft_weight

    def state(self):
        return {"mixture": self.mixture.state()}

    def collate(self, pairs):
        # One forward pass over chosen rows then rejected rows.
        return D.collate([c for c, _ in pairs] + [r for _, r in pairs], self.pad_id)

    def next_batch(self, n):
        return self.collate(self.mixture.take(n))

    def loss(self, model, batch, rt):
        ids, labels = (t.to(rt.device) for t in batch)
        n = ids.shape[0] // 2
        policy, counts = sequence_logps(model, ids, labels, rt, with_counts=True)
        with torch.no_grad():
            ref = sequence_logps(self.reference, ids, labels, rt)
        chosen_reward = self.beta * (policy[:n] - ref[:n])
        rejected_reward = self.beta * (policy[n:] - ref[n:])
        margin = chosen_reward - rejected_reward
        loss = -F.logsigmoid(margin).mean()
        if self.sft_weight:
            # RPO-style anchor: keep the chosen answers likely, so preference tuning does not erode them.
            loss = loss + self.sft_weight * (-(policy[:n] / counts[:n].clamp(min=1)).mean())
        stats = {"rewards_chosen": chosen_reward.mean().item(), "rewards_rejected": rejected_reward.mean().item(),
                 "reward_margin": margin.mean().item(), "pref_accuracy": (margin > 0).float().mean().item()}
        return loss, stats, ids.numel()


class AdaptersOff:
    """The DPO reference of an adapter run: the policy's own modules with the adapters switched off for the
    call, i.e. the frozen base, with no second copy in memory."""

    def __init__(self, model):
        self.model = model

    def __call__(self, ids):
        with lora.disabled(self.model):
            return self.model(ids)


def evaluate_during_training(objective, examples, model, rt, batch_size):
    """Mean loss (and the objective's stats) over every held-out example, without touching the RNG or the
    training data order; recorded as ``eval_*`` metrics, so a run's metrics hold an eval curve."""
    model.eval()
    total, rows, stats_sum = 0.0, 0, {}
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = objective.collate([examples[j] for j in range(i, min(i + batch_size, len(examples)))])
            loss, stats, _ = objective.loss(model, batch, rt)
            n = batch[0].shape[0]
            total += loss.item() * n
            rows += n
            for k, v in stats.items():
                stats_sum[k] = stats_sum.get(k, 0.0) + v * n
    model.train()
    if not rows:
        raise D.DataError("eval_data holds no examples")
    return dict({"eval_loss": total / rows}, **{f"eval_{k}": v / rows for k, v in stats_sum.items()})


# ---- the loop ----

def run(kind, body, step_json, runner, log=print):
    """``runner`` is the kind's settings from its definition: ``objective`` (language-modeling, sft, dpo),
    ``init`` (scratch or checkpoint) and ``chat`` (whether the result is chat-tuned)."""
    objective_name, init = runner["objective"], runner["init"]
    cfg = TrainConfig(body.get("config"), objective_name)
    rt = Runtime(cfg.raw)
    if not rt.main:
        log = _silent  # rank 0 speaks for every rank: the step log holds each line once
    work_dir = step_json["work_dir"]
    out_dir = step_json["output"]
    metrics = MetricsWriter(step_json.get("metrics"), rt.main)
    resume_dir = step_json.get("resume")
    state = ckpt.load_training_state(resume_dir) if resume_dir else None
    adapter = lora.Settings.from_body(body["adapter"]) if body.get("adapter") else None
    if adapter and init == "scratch":
        raise ValueError(f"{kind}: an adapter trains on a base checkpoint; this kind starts from scratch")
    if adapter and cfg.save_dtype is not None:
        raise ValueError("config.save_dtype: applies to a full checkpoint; an adapter is written as PEFT writes it")

    data_state = state["data"] if state else {}
    specs = data_sources(body, cfg, kind)
    mixture, loaded = build_mixture(specs, objective_name, cfg, data_state, _lineage(step_json))
    held_out, held_out_what = None, []
    if body.get("eval_data"):
        held_out, what = load_examples(body["eval_data"], cfg.eval_subset, kind, objective_name, cfg.seq_len,
                                       held_out=True)
        held_out_what = [what]
    data_tokenizer = _tokenizer_of_data(loaded + held_out_what)

    torch.manual_seed(cfg.seed)
    info = {"kind": kind, "chat_template": tok.CHAT_TEMPLATE, "chat": bool(runner.get("chat"))}
    if init == "scratch":
        spec = body.get("model")
        if data_tokenizer and isinstance(spec, dict) and "vocab_size" not in spec:
            # The architecture fits the shards' tokenizer: every id has a row, rounded up for friendly shapes.
            spec = dict(spec, vocab_size=-(-max(d["shards"].vocab_size for d in loaded) // 64) * 64)
        config = resolve_config(spec)
        model = LlamaForCausalLM(config)
        model.init_weights(torch.Generator().manual_seed(cfg.seed))
        tokenizer = data_tokenizer or tok.BYTE
    else:
        if not isinstance(body.get("model"), str):
            raise ValueError(f"{kind}: 'model' must be a checkpoint")
        model, parent = ckpt.load_model(body["model"], text=False)
        tokenizer = _checkpoint_tokenizer(body["model"], data_tokenizer)
        info["chat"] = info["chat"] or bool(parent.get("chat"))
        info["chat_template"] = parent.get("chat_template", tok.CHAT_TEMPLATE)
    if not tokenizer.is_byte:
        info["chat_template"] = tokenizer.chat_template
    info["tokenizer"] = {"kind": tokenizer.kind, "sha256": tokenizer.sha256}
    _check_ids_fit(loaded + held_out_what, model.config.vocab_size)
    pad_id = tokenizer.pad_id if tokenizer.pad_id is not None else 0

    # The base's size, before any adapter: the registry shows a checkpoint's (and an adapter's base's) count.
    n_params = sum(p.numel() for p in model.parameters())
    if adapter:
        lora.apply(model, adapter)
    reference = None
    if objective_name == "dpo":
        if body.get("reference"):
            reference = ckpt.load_model(body["reference"])[0]
        elif adapter:
            reference = AdaptersOff(model)
        else:
            reference = copy.deepcopy(model)
        if not isinstance(reference, AdaptersOff):
            reference.requires_grad_(False)
            reference.eval().to(rt.device)
        objective = DirectPreference(mixture, pad_id, cfg, reference)
    elif objective_name == "sft":
        objective = SupervisedFineTuning(mixture, pad_id)
    else:
        objective = LanguageModeling(mixture, pad_id)
    needed = cfg.max_steps * cfg.grad_accum * cfg.batch_size * rt.world  # the global batch, every step
    if mixture.capacity() is not None and mixture.capacity() < needed:
        raise ValueError(f"data: the sources' max_epochs allow {mixture.capacity()} sequences, and "
                         f"{cfg.max_steps} steps need {needed}; raise max_epochs or lower config.max_steps")

    start = 0
    if state:
        if adapter:
            lora.load_adapter(model, resume_dir)
        else:
            model.load_hf_state_dict(ckpt.load_state_dict(resume_dir))
        start = state["step"]
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    # Experts no token of a rank's micro-batch was routed to get no gradient there: DDP must expect that.
    wrapped = rt.prepare(model, unused_parameters=model.config.family.moe)
    optimizer = rt.optimizer(model, cfg.lr, cfg.weight_decay)
    if state:
        optimizer.load_state_dict(state["optimizer"])
        _resume_rng(rt, state, cfg.seed, start)
        log(f"resumed from {resume_dir} at step {start}")
        metrics.write(step=start, resumed_from_step=start)
    else:
        rt.seed_rank(cfg.seed)
    tokens_seen = state.get("data", {}).get("tokens", 0) if state else 0
    log(f"{kind}: {n_params:,} parameters ({n_trainable:,} trainable"
        + (f", LoRA r {adapter.r} on {', '.join(adapter.target_modules)}" if adapter else "")
        + f") on {rt.device} (world {rt.world}, bf16 {rt.bf16}, "
        f"compile {rt.compile}); {cfg.max_steps} steps, data {_describe_data(specs, loaded)}")

    def save_output(directory):
        # The adapter alone: the base's files are only ever read.
        lora.save_adapter(model, directory, dict(info, parameters=n_params), body["model"],
                          _lineage(step_json)(body["model"])["source"], tokenizer)

    wrapped.train()
    checkpoints_dir = os.path.join(work_dir, "checkpoints")
    # Per parameter and token: 2 FLOPs forward, 2 for the input gradient, and 2 more for the weight gradient
    # of a trained one only (a frozen base gets none); an adapter's own parameters are not in n_params.
    flops_per_token = (4 * (n_params + (n_trainable if adapter else 0)) + 2 * n_trainable
                       + 12 * model.config.num_hidden_layers * model.config.hidden_size * cfg.seq_len)
    peak = rt.peak_flops()
    clock, started, window_tokens = Clock(), time.perf_counter(), 0
    if held_out and start == 0:
        # The curve starts where training does: step 0 is the held-out loss before any update.
        scores = evaluate_during_training(objective, held_out, model, rt, cfg.batch_size)
        metrics.write(step=0, total_steps=cfg.max_steps, **{k: rt.mean(v) for k, v in scores.items()})
        log("eval at step 0: " + " ".join(f"{k}={v:.4g}" for k, v in scores.items()))
    step = start
    for step in range(start, cfg.max_steps):
        lr = cfg.lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        total_loss, stats_sum, step_tokens = 0.0, {}, 0
        for micro in range(cfg.grad_accum):
            # The global micro-batch is world consecutive micro-batches, rank r computing the r-th, so a run
            # of W ranks with grad_accum A takes the steps of one process with grad_accum A·W, whatever the
            # objective (a per-token mean is a mean over the same rows) or the mixture of sources.
            batches = [objective.next_batch(cfg.batch_size) for _ in range(rt.world)]
            batch = batches[rt.rank]
            with rt.micro_step(last=micro == cfg.grad_accum - 1):
                loss, stats, _ = objective.loss(wrapped, batch, rt)
                # An MoE model's router losses join every objective's loss; ``loss`` is logged without them.
                router_loss, moe_stats = moe.objective_terms(model)
                stats = dict(stats, **moe_stats)
                ((loss if router_loss is None else loss + router_loss) / cfg.grad_accum).backward()
            total_loss += loss.item() / cfg.grad_accum
            for k, v in stats.items():
                stats_sum[k] = stats_sum.get(k, 0.0) + v / cfg.grad_accum
            step_tokens += sum(b[0].numel() for b in batches)
        grad_norm = torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip).item()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens_seen += step_tokens
        window_tokens += step_tokens
        done = step + 1
        if done % cfg.log_every == 0 or done == cfg.max_steps:
            if rt.device.type == "cuda":
                torch.cuda.synchronize()
            dt = clock.lap()
            elapsed = time.perf_counter() - started
            tps = window_tokens / dt if dt > 0 else 0.0
            window_tokens = 0
            line = {"step": done, "loss": rt.mean(total_loss), "lr": lr, "grad_norm": grad_norm,
                    "tokens_per_s": tps, "tokens": tokens_seen, "total_steps": cfg.max_steps,
                    "eta_s": elapsed / (done - start) * (cfg.max_steps - done)}
            line.update({k: rt.mean(v) for k, v in stats_sum.items()})
            if peak:
                line["mfu"] = tps * flops_per_token / (peak * rt.world)
            line.update(rt.gpu_metrics())
            line.update(_mixture_metrics(mixture))
            if done == cfg.max_steps:
                # The registry shows a checkpoint's parameter count from its step's last metrics.
                line["parameters"] = n_params
                line["trainable_parameters"] = n_trainable
            metrics.write(**line)
            if done % (cfg.log_every * 10) == 0 or done == cfg.max_steps or done == start + 1:
                log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in line.items()))
        if held_out and ((cfg.eval_every and done % cfg.eval_every == 0) or done == cfg.max_steps):
            scores = evaluate_during_training(objective, held_out, model, rt, cfg.batch_size)
            metrics.write(step=done, total_steps=cfg.max_steps, **{k: rt.mean(v) for k, v in scores.items()})
            log(f"eval at step {done}: " + " ".join(f"{k}={v:.4g}" for k, v in scores.items()))
        if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < cfg.max_steps:
            rank_rng = rt.gather(ckpt.rng_state())  # every rank takes part; rank 0 writes
            if rt.main:
                data_state = dict(objective.state(), tokens=tokens_seen)
                path = ckpt.save_training_state(checkpoints_dir, done, model, optimizer, data_state, info,
                                                tokenizer, write=save_output if adapter else None,
                                                rank_rng=rank_rng)
                log(f"saved training state {path}")

    if rt.main:
        info.update({"steps": cfg.max_steps, "tokens": tokens_seen, "config": cfg.raw,
                     "resumed_from_step": start if state else None, "mixture": mixture.consumed()})
        if adapter:
            save_output(out_dir)
            log(f"wrote adapter to {out_dir}")
        else:
            ckpt.save_model(model, out_dir, info, dtype=cfg.save_dtype, tokenizer=tokenizer)
            log(f"wrote checkpoint to {out_dir}")
    metrics.close()
    rt.close()
    return 0


def _lineage(step_json):
    """A source path → what lineage knows it by: the step input it came in as and that input's artifact id
    (``artifacts`` of step.json), so the consumed mixture names artifacts, not paths."""
    by_path = {os.path.realpath(p): name for name, p in (step_json.get("inputs") or {}).items()}
    ids = step_json.get("artifacts") or {}

    def of(path):
        name = by_path.get(os.path.realpath(path))
        return {"input": name, "source": ids.get(name)}
    return of


def _tokenizer_of_data(loaded):
    """The tokenizer of the token shards among the data (None for text); all must share it."""
    formats = {d["format"] for d in loaded}
    if len(formats) > 1:
        raise ValueError("data: the sources mix text datasets and token shards; a model reads ids of one "
                         "tokenizer, so tokenize every source with it")
    if formats != {"tokens"}:
        return None
    shas = {d["shards"].index.get("tokenizer_sha256") for d in loaded}
    if len(shas) > 1:
        raise ValueError(f"data: the token shards were made with different tokenizers (tokenizer.json sha256 "
                         f"{', '.join(sorted(str(s)[:12] for s in shas))}); a model reads ids of one tokenizer")
    return tok.of_tokens(loaded[0]["path"], loaded[0]["shards"].index)


def _checkpoint_tokenizer(directory, data_tokenizer):
    """The tokenizer the trained checkpoint keeps: its own. Text needs it to be the byte tokenizer; token
    shards need them to have been made with it (or the checkpoint to have none, then it takes theirs)."""
    if data_tokenizer is None:
        return tok.require_byte(directory)
    own = tok.of_checkpoint(directory)
    if own is None:
        return data_tokenizer
    if own.sha256 != data_tokenizer.sha256:
        raise ValueError(f"data: the token shards were made with another tokenizer (tokenizer.json sha256 "
                         f"{str(data_tokenizer.sha256)[:12]}) than the model's ({own.sha256[:12]}, {directory}); "
                         "their ids would mean other text")
    return own


def _check_ids_fit(loaded, vocab_size):
    for d in loaded:
        if d["format"] != "tokens":
            continue
        shards = d["shards"]
        if shards.vocab_size > vocab_size:
            raise ValueError(f"{d['path']}: the tokens' vocab_size {shards.vocab_size} does not fit the model's "
                             f"vocab_size {vocab_size}")
        top = shards.max_id()
        if top >= vocab_size:
            raise ValueError(f"{d['path']}: the '{shards.split}' split holds token id {top}, but the model's "
                             f"vocab_size is {vocab_size}")


def _describe_data(specs, loaded):
    return ", ".join(f"{s['name']} ({d['format']}{', ' + str(d['subset']) if d['subset'] else ''}, "
                     f"weight {s['weight']:.3g})" for s, d in zip(specs, loaded))


def _mixture_metrics(mixture):
    """Tokens and sequences per source; one source's are the line's own ``tokens`` already."""
    out = {}
    if len(mixture.sources) < 2:
        return out
    for s in mixture.consumed():
        out[f"mix/{s['name']}/tokens"] = s["tokens"]
        out[f"mix/{s['name']}/sequences"] = s["sequences"]
    return out


def _silent(*args, **kwargs):
    pass


def _resume_rng(rt, state, seed, step):
    """Each rank continues its own random stream; resumed with another number of ranks, ranks after 0 start
    fresh ones (deterministic in seed, rank and step)."""
    ranks = state.get("rank_rng")
    if rt.rank == 0:
        ckpt.set_rng_state(state["rng"])
    elif ranks and len(ranks) == rt.world:
        ckpt.set_rng_state(ranks[rt.rank])
    else:
        ckpt.set_rng_state(state["rng"])
        torch.manual_seed(seed + 1_000_003 * rt.rank + step)
