"""One training loop; the kinds differ only in their data and objective.

pretrain / continual-pretrain: next-token loss on packed text windows (continual-pretrain re-warms the
learning rate and may replay earlier data at a ratio). sft: next-token loss on response tokens only.
dpo: sigmoid DPO loss against a frozen reference.
"""

import copy
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from . import data as D
from .model import LlamaForCausalLM, resolve_config
from .runtime import Clock, MetricsWriter, Runtime
from .tokenizer import CHAT_TEMPLATE, ByteTokenizer

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


# ---- objectives: each builds its data and turns a batch into (loss, stats, tokens) ----

class LanguageModeling:
    def __init__(self, cfg, data_path, kind, state):
        files = D.resolve_files(data_path, cfg.subset, kind)
        self.windows = D.pack_windows(D.read_texts(files), cfg.seq_len)
        self.order = D.ExampleOrder(len(self.windows), cfg.seed, state.get("main", 0))
        self.replay_windows, self.replay_order, self.ratio = None, None, 0.0
        if cfg.replay:
            rfiles = D.resolve_files(cfg.replay["dataset"], cfg.replay.get("subset"), "replay")
            self.replay_windows = D.pack_windows(D.read_texts(rfiles), cfg.seq_len)
            self.replay_order = D.ExampleOrder(len(self.replay_windows), cfg.seed + 1, state.get("replay", 0))
            self.ratio = float(cfg.replay.get("ratio", 0.1))
        self.calls = state.get("calls", 0)
        self.files = files

    def state(self):
        s = {"main": self.order.consumed, "calls": self.calls}
        if self.replay_order:
            s["replay"] = self.replay_order.consumed
        return s

    def next_batch(self, n):
        # How many replayed sequences this call gets is a function of the call count alone, so the mix
        # is exactly `ratio` over time and identical after a resume.
        k = 0
        if self.replay_order:
            k = math.floor((self.calls + 1) * n * self.ratio) - math.floor(self.calls * n * self.ratio)
        self.calls += 1
        rows = [self.windows[i] for i in self.order.take(n - k)]
        if k:
            rows += [self.replay_windows[i] for i in self.replay_order.take(k)]
        w = torch.stack(rows)
        return w[:, :-1], w[:, 1:]

    def loss(self, model, batch, rt):
        x, y = (t.to(rt.device) for t in batch)
        with rt.autocast():
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=D.IGNORE)
        return loss, {}, x.numel()

    def eval_batches(self, n):
        for i in range(0, len(self.windows), n):
            w = self.windows[i:i + n]
            yield w[:, :-1], w[:, 1:]


class SupervisedFineTuning:
    def __init__(self, cfg, data_path, kind, state):
        self.files = D.resolve_files(data_path, cfg.subset, kind)
        self.examples = [D.sft_example(s, cfg.seq_len) for s in D.sft_pairs(D.read_records(self.files))]
        self.order = D.ExampleOrder(len(self.examples), cfg.seed, state.get("main", 0))

    def state(self):
        return {"main": self.order.consumed}

    def next_batch(self, n):
        return D.collate([self.examples[i] for i in self.order.take(n)], ByteTokenizer.pad_id)

    def eval_batches(self, n):
        for i in range(0, len(self.examples), n):
            yield D.collate(self.examples[i:i + n], ByteTokenizer.pad_id)

    def loss(self, model, batch, rt):
        x, y = (t.to(rt.device) for t in batch)
        with rt.autocast():
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=D.IGNORE)
        return loss, {}, x.numel()


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
    def __init__(self, cfg, data_path, kind, state, reference):
        self.files = D.resolve_files(data_path, cfg.subset, kind)
        triples = D.preference_triples(D.read_records(self.files))
        self.pairs = [(D.sft_example(c, cfg.seq_len), D.sft_example(r, cfg.seq_len)) for c, r in triples]
        self.order = D.ExampleOrder(len(self.pairs), cfg.seed, state.get("main", 0))
        self.reference = reference
        self.beta = cfg.beta
        self.sft_weight = cfg.sft_weight

    def state(self):
        return {"main": self.order.consumed}

    def next_batch(self, n):
        chosen_rejected = [self.pairs[i] for i in self.order.take(n)]
        # One forward pass over chosen rows then rejected rows.
        return D.collate([c for c, _ in chosen_rejected] + [r for _, r in chosen_rejected], ByteTokenizer.pad_id)

    def eval_batches(self, n):
        for i in range(0, len(self.pairs), n):
            chunk = self.pairs[i:i + n]
            yield D.collate([c for c, _ in chunk] + [r for _, r in chunk], ByteTokenizer.pad_id)

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


def evaluate_during_training(objective, model, rt, batch_size):
    """Mean loss (and the objective's stats) over every held-out example, without touching the RNG or the
    training data order; recorded as ``eval_*`` metrics, so a run's metrics hold an eval curve."""
    model.eval()
    total, rows, stats_sum = 0.0, 0, {}
    with torch.no_grad():
        for batch in objective.eval_batches(batch_size):
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
    work_dir = step_json["work_dir"]
    out_dir = step_json["output"]
    metrics = MetricsWriter(step_json.get("metrics"), rt.main)
    resume_dir = step_json.get("resume")
    state = ckpt.load_training_state(resume_dir) if resume_dir else None

    torch.manual_seed(cfg.seed)
    info = {"kind": kind, "chat_template": CHAT_TEMPLATE, "chat": bool(runner.get("chat"))}
    if init == "scratch":
        config = resolve_config(body.get("model"))
        model = LlamaForCausalLM(config)
        model.init_weights(torch.Generator().manual_seed(cfg.seed))
    else:
        if not isinstance(body.get("model"), str):
            raise ValueError(f"{kind}: 'model' must be a checkpoint")
        model, parent = ckpt.load_model(body["model"])
        info["chat"] = info["chat"] or bool(parent.get("chat"))
        info["chat_template"] = parent.get("chat_template", CHAT_TEMPLATE)
    if "data" not in body:
        raise ValueError(f"{kind}: 'data' (a dataset) is required")

    data_state = state["data"] if state else {}
    def build(config, data_path, state):
        if objective_name == "dpo":
            return DirectPreference(config, data_path, kind, state, reference)
        if objective_name == "sft":
            return SupervisedFineTuning(config, data_path, kind, state)
        return LanguageModeling(config, data_path, kind, state)

    reference = None
    if objective_name == "dpo":
        reference = ckpt.load_model(body["reference"])[0] if body.get("reference") else copy.deepcopy(model)
        reference.requires_grad_(False)
        reference.eval().to(rt.device)
    objective = build(cfg, body["data"], data_state)
    held_out = None
    if body.get("eval_data"):
        eval_cfg = copy.copy(cfg)
        eval_cfg.subset, eval_cfg.replay = cfg.eval_subset, None
        held_out = build(eval_cfg, body["eval_data"], {})

    start = 0
    if state:
        model.load_hf_state_dict(ckpt.load_state_dict(resume_dir))
        start = state["step"]
    n_params = sum(p.numel() for p in model.parameters())
    wrapped = rt.prepare(model)
    optimizer = rt.optimizer(model, cfg.lr, cfg.weight_decay)
    if state:
        optimizer.load_state_dict(state["optimizer"])
        ckpt.set_rng_state(state["rng"])
        log(f"resumed from {resume_dir} at step {start}")
        metrics.write(step=start, resumed_from_step=start)
    tokens_seen = state.get("data", {}).get("tokens", 0) if state else 0
    log(f"{kind}: {n_params:,} parameters on {rt.device} (world {rt.world}, bf16 {rt.bf16}, "
        f"compile {rt.compile}); {cfg.max_steps} steps, data {[os.path.basename(f) for f in objective.files]}")

    wrapped.train()
    checkpoints_dir = os.path.join(work_dir, "checkpoints")
    flops_per_token = 6 * n_params + 12 * model.config.num_hidden_layers * model.config.hidden_size * cfg.seq_len
    peak = rt.peak_flops()
    clock, started, window_tokens = Clock(), time.perf_counter(), 0
    step = start
    for step in range(start, cfg.max_steps):
        lr = cfg.lr_at(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        total_loss, stats_sum, step_tokens = 0.0, {}, 0
        for _ in range(cfg.grad_accum):
            batch = objective.next_batch(cfg.batch_size * rt.world)
            batch = tuple(_shard(t, rt, objective_name) for t in batch)
            loss, stats, ntok = objective.loss(wrapped, batch, rt)
            (loss / cfg.grad_accum).backward()
            total_loss += loss.item() / cfg.grad_accum
            for k, v in stats.items():
                stats_sum[k] = stats_sum.get(k, 0.0) + v / cfg.grad_accum
            step_tokens += ntok * rt.world
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip).item()
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
            if done == cfg.max_steps:
                # The registry shows a checkpoint's parameter count from its step's last metrics.
                line["parameters"] = n_params
            metrics.write(**line)
            if done % (cfg.log_every * 10) == 0 or done == cfg.max_steps or done == start + 1:
                log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in line.items()))
        if held_out and ((cfg.eval_every and done % cfg.eval_every == 0) or done == cfg.max_steps):
            scores = evaluate_during_training(held_out, model, rt, cfg.batch_size)
            metrics.write(step=done, total_steps=cfg.max_steps, **{k: rt.mean(v) for k, v in scores.items()})
            log(f"eval at step {done}: " + " ".join(f"{k}={v:.4g}" for k, v in scores.items()))
        if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < cfg.max_steps and rt.main:
            data_state = dict(objective.state(), tokens=tokens_seen)
            path = ckpt.save_training_state(checkpoints_dir, done, model, optimizer, data_state, info)
            log(f"saved training state {path}")

    if rt.main:
        info.update({"steps": cfg.max_steps, "tokens": tokens_seen, "config": cfg.raw,
                     "resumed_from_step": start if state else None})
        ckpt.save_model(model, out_dir, info)
        log(f"wrote checkpoint to {out_dir}")
    metrics.close()
    rt.close()
    return 0


def _shard(t, rt, objective_name):
    """This rank's rows of a global batch (DPO batches are [chosen; rejected] halves, sharded alike)."""
    if rt.world == 1:
        return t
    if objective_name == "dpo":
        half = t.shape[0] // 2
        c, r = t[:half].chunk(rt.world)[rt.rank], t[half:].chunk(rt.world)[rt.rank]
        return torch.cat([c, r])
    return t.chunk(rt.world)[rt.rank]
