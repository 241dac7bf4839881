"""The evaluate kind: perplexity, exact-match QA, multiple-choice log-likelihood and preference accuracy.

Each file of the eval dataset is one task, recognised by its records: ``.txt`` or ``{"text"}`` →
perplexity; ``{"question"|"prompt", "answer"}`` → exact_match (greedy generation); ``{"question"|
"prompt", "choices": [...], "answer": index}`` → multiple_choice; ``{"prompt", "chosen", "rejected"}`` →
preference. Metrics are reported per file (``<file>/<metric>``) and pooled over files (``<metric>``);
``accuracy`` is exact_match where there is one, else multiple_choice.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from . import data as D
from . import lora
from . import tokenizer as tok
from .runtime import MetricsWriter, Runtime
from .hf_tokenizer import HfCheckpointTokenizer
from .tokenizer import ByteTokenizer


# The most logits one forward pass may hold with a Hugging Face vocabulary: Qwen's 151,669 ids over a batch of
# 32 windows of 256 tokens would be 5 GB of fp32 logits (the byte vocabulary's are 0.3% of that).
LOGITS_BYTES = 1 << 28


class GateFailed(Exception):
    pass


def task_of(path, records):
    if path.endswith(".txt"):
        return "perplexity"
    first = records[0] if records else {}
    if "text" in first:
        return "perplexity"
    if "choices" in first:
        return "multiple_choice"
    if "chosen" in first and "rejected" in first:
        return "preference"
    if "answer" in first:
        return "exact_match"
    raise D.DataError(f"{path}: cannot tell which task its records are for (see docs/trainer.md)")


def chat_of(info, cfg):
    """Whether prompts are chat turns: the config's ``chat``, or for ``auto`` what the checkpoint says."""
    return bool(info.get("chat")) if cfg["chat"] == "auto" else bool(cfg["chat"])


class Evaluator:
    """``tokenizer``: the byte tokenizer (the default) or a checkpoint's Hugging Face tokenizer
    (:class:`hf_tokenizer.HfCheckpointTokenizer`), which has the same methods plus ``stop_ids`` and ``answer``."""

    def __init__(self, model, info, rt, cfg, tokenizer=None):
        self.model, self.rt = model, rt
        self.tok = tokenizer or ByteTokenizer()
        self.byte = isinstance(self.tok, ByteTokenizer)
        # The planner resolved the config (defaults filled in); only seq_len depends on the model itself.
        self.chat = chat_of(info, cfg)
        self.batch_size = int(cfg["batch_size"])
        self.max_new_tokens = int(cfg["max_new_tokens"])
        self.seq_len = int(cfg.get("seq_len") or min(256, model.config.max_position_embeddings))

    def prompt_ids(self, text):
        return self.tok.encode_prompt(text) if self.chat else self.tok.encode(text, bos=True)

    def answer_ids(self, text, prompt=None):
        if not self.chat:
            return self.tok.encode(text)
        # A template may write a turn differently by where it is (Qwen 3's <think> block): after its prompt.
        return self.tok.encode_response(text) if self.byte else self.tok.encode_response(text, prompt or "")

    @torch.no_grad()
    def logits(self, ids):
        with self.rt.autocast():
            return self.model(ids.to(self.rt.device)).float()

    def rows(self, length):
        """Sequences of ``length`` per forward pass: the configured batch, fewer when a large vocabulary's
        logits would exceed LOGITS_BYTES."""
        if self.byte:
            return self.batch_size
        return max(1, min(self.batch_size, LOGITS_BYTES // (length * self.model.config.vocab_size * 4)))

    @torch.no_grad()
    def last_logits(self, ids):
        """The next-token logits of each row. With a large vocabulary the head runs on the last position only
        (over every position it is most of the work, and most of the memory)."""
        head = getattr(self.model, "lm_head", None)
        if self.byte or not isinstance(head, torch.nn.Module):
            return self.logits(ids)[:, -1]
        handle = head.register_forward_pre_hook(lambda module, args: (args[0][:, -1:],) + tuple(args[1:]))
        try:
            return self.logits(ids)[:, -1]
        finally:
            handle.remove()

    @torch.no_grad()
    def perplexity(self, docs):
        windows = D.pack_windows(docs, self.seq_len, tok=None if self.byte else self.tok, shorten=True)
        nll, count = 0.0, 0
        step = self.rows(windows.shape[1])
        for i in range(0, len(windows), step):
            w = windows[i:i + step]
            logits = self.logits(w[:, :-1])
            nll += F.cross_entropy(logits.reshape(-1, logits.size(-1)), w[:, 1:].reshape(-1).to(self.rt.device),
                                   reduction="sum").item()
            count += w[:, 1:].numel()
        return {"perplexity": math.exp(nll / count), "loss": nll / count}, count

    @torch.no_grad()
    def continuation_logps(self, pairs):
        """Sum of log p(continuation | prompt) for each (prompt ids, continuation ids)."""
        out = []
        step = self.rows(max((len(p) + len(c) for p, c in pairs), default=1))
        for i in range(0, len(pairs), step):
            chunk = [(p + c)[:-1] for p, c in pairs[i:i + step]]
            labels = [[D.IGNORE] * (len(p) - 1) + c for p, c in pairs[i:i + step]]
            ids, lab = D.collate(list(zip(chunk, labels)), self.tok.pad_id)
            logp = torch.log_softmax(self.logits(ids), dim=-1)
            lab = lab.to(self.rt.device)
            picked = logp.gather(-1, lab.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            out += (picked * (lab != D.IGNORE)).sum(-1).tolist()
        return out

    @torch.no_grad()
    def generate(self, prompts):
        """Greedy answers. Prompts of equal length are batched together, so no padding mask is needed."""
        by_len = {}
        for i, p in enumerate(prompts):
            by_len.setdefault(len(p), []).append(i)
        answers = [None] * len(prompts)
        if self.byte:
            stop, vocab = ({self.tok.eos_id} if self.chat else {self.tok.eos_id, ord("\n")}), 256
        else:  # any eos id; a plain-text answer is cut at its newline afterwards (HfCheckpointTokenizer.answer)
            stop, vocab = self.tok.stop_ids, self.tok.vocab_size
        for idxs in by_len.values():
            for j in range(0, len(idxs), self.batch_size):
                group = idxs[j:j + self.batch_size]
                ids = torch.tensor([prompts[i] for i in group], dtype=torch.long)
                done = torch.zeros(len(group), dtype=torch.bool)
                new = [[] for _ in group]
                for _ in range(self.max_new_tokens):
                    nxt = self.last_logits(ids).argmax(-1).cpu()
                    for r, t in enumerate(nxt.tolist()):
                        if not done[r]:
                            if t in stop or t >= vocab:
                                done[r] = True
                            else:
                                new[r].append(t)
                    if done.all():
                        break
                    ids = torch.cat([ids, nxt.unsqueeze(1)], dim=1)
                for r, i in enumerate(group):
                    answers[i] = self.tok.decode(new[r]) if self.byte else self.tok.answer(new[r])
        return answers

    def exact_match(self, records):
        questions = [r.get("question", r.get("prompt")) for r in records]
        answers = self.generate([self.prompt_ids(q) for q in questions])
        hits = [a.strip() == str(r["answer"]).strip() for a, r in zip(answers, records)]
        samples = [{"question": q, "expected": str(r["answer"]), "got": a}
                   for q, a, r in list(zip(questions, answers, records))[:5]]
        return {"exact_match": sum(hits) / len(hits)}, len(hits), samples

    def multiple_choice(self, records):
        pairs, spans = [], []
        for r in records:
            p = self.prompt_ids(r.get("question", r.get("prompt")))
            spans.append((len(pairs), len(r["choices"])))
            q = r.get("question", r.get("prompt"))
            pairs += [(p, self.answer_ids(str(c), q)) for c in r["choices"]]
        logps = self.continuation_logps(pairs)
        hits = 0
        for r, (start, n) in zip(records, spans):
            scores = logps[start:start + n]
            hits += int(max(range(n), key=scores.__getitem__) == int(r["answer"]))
        return {"multiple_choice": hits / len(records)}, len(records), []

    def preference(self, records):
        pairs = []
        for r in records:
            p = self.prompt_ids(r["prompt"])
            pairs += [(p, self.answer_ids(r["chosen"], r["prompt"])), (p, self.answer_ids(r["rejected"], r["prompt"]))]
        logps = self.continuation_logps(pairs)
        margins = [logps[i] - logps[i + 1] for i in range(0, len(logps), 2)]
        return ({"preference_accuracy": sum(m > 0 for m in margins) / len(margins),
                 "preference_margin": sum(margins) / len(margins)}, len(margins), [])


def run(body, step_json, log=print):
    cfg = dict(body.get("config") or {})
    rt = Runtime(cfg)
    if not isinstance(body.get("model"), str):
        raise ValueError("evaluate: 'model' must be a checkpoint")
    if not body.get("data"):
        raise ValueError("evaluate: 'data' (an eval dataset) is required")
    hf = is_hf(body["model"])
    model, info = ckpt.load_model(body["model"], text=not hf)
    if "chat" not in info:
        # Checkpoints from other tools (e.g. the Java merge/prune engine) carry no trainyard.json; a
        # chat template in the HF tokenizer config says the model was chat-tuned.
        tok_cfg = os.path.join(body["model"], "tokenizer_config.json")
        if os.path.exists(tok_cfg):
            with open(tok_cfg) as f:
                info = dict(info, chat=bool(json.load(f).get("chat_template")))
    if body.get("adapter"):
        # The base plus a LoRA adapter (settings from its adapter_config.json); what made the adapter (e.g. a
        # chat-tuning sft) says whether prompts are chat-formatted.
        if not isinstance(body["adapter"], str):
            raise ValueError("evaluate: 'adapter' must be an adapter (a directory)")
        adapter_info = lora.load_adapter(model, body["adapter"])
        info = dict(info, **{k: adapter_info[k] for k in ("kind", "chat") if k in adapter_info})
    model.to(rt.device).eval()
    # A failed run leaves the tokenizer server to end with this process (its stdin closes).
    ev = Evaluator(model, info, rt, cfg, text_tokenizer(body["model"], chat_of(info, cfg)) if hf else None)
    # The planner writes canonical task names (aliases are resolved in Java, StepKinds).
    wanted = set(body.get("tasks") or [])
    max_samples = cfg.get("max_samples")

    files = D.resolve_files(body["data"], cfg.get("subset"), step_json.get("kind"))
    tasks, pooled = {}, {}
    for path in files:
        records = None if path.endswith(".txt") else D.read_records([path])
        task = task_of(path, records)
        if wanted and task not in wanted:
            continue
        if records is not None and max_samples:
            records = records[: int(max_samples)]
        if task == "perplexity":
            metrics, n = ev.perplexity(D.read_texts([path]))
            samples = []
        else:
            metrics, n, samples = getattr(ev, task)(records)
        name = os.path.splitext(os.path.basename(path))[0]
        tasks[name] = {"task": task, "file": os.path.basename(path), "examples": n, "metrics": metrics,
                       "samples": samples}
        for k, v in metrics.items():
            pooled.setdefault(k, []).append((v, n))
        log(f"{name} ({task}, {n} examples): " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    if not tasks:
        raise ValueError(f"evaluate: no task found in {body['data']}" + (f" among {sorted(wanted)}" if wanted else ""))

    metrics = {}
    for k, vals in pooled.items():
        if k == "perplexity":
            total = sum(n for _, n in pooled["loss"])
            metrics[k] = math.exp(sum(v * n for v, n in pooled["loss"]) / total)
        else:
            metrics[k] = sum(v * n for v, n in vals) / sum(n for _, n in vals)
    if "exact_match" in metrics or "multiple_choice" in metrics:
        metrics["accuracy"] = metrics.get("exact_match", metrics.get("multiple_choice"))
    for name, t in tasks.items():
        if len(tasks) > 1:
            metrics.update({f"{name}/{k}": v for k, v in t["metrics"].items()})

    gate = check_gate(body.get("gate"), metrics)
    report = {"model": info.get("kind"), "chat": ev.chat, "metrics": metrics, "tasks": tasks, "gate": gate}
    os.makedirs(step_json["output"], exist_ok=True)
    with open(os.path.join(step_json["output"], "eval.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    writer = MetricsWriter(step_json.get("metrics"))
    writer.write(step=0, **{k: v for k, v in metrics.items()})
    writer.close()
    rt.close()
    if not ev.byte:
        ev.tok.close()
    if gate and not gate["passed"]:
        raise GateFailed(gate["message"])
    return 0


def is_hf(directory):
    """Whether the checkpoint's text goes through its own Hugging Face tokenizer rather than the byte one
    (a checkpoint with no tokenizer at all is refused by ``checkpoint.load_model``)."""
    t = tok.of_checkpoint(directory)
    return t is not None and not t.is_byte


def text_tokenizer(directory, chat):
    if chat and not (tok.of_checkpoint(directory).chat_template or
                     os.path.exists(os.path.join(directory, "chat_template.jinja"))):
        raise ValueError(f"{directory}: chat prompts need the chat_template of tokenizer_config.json, and the "
                         "checkpoint has none; set config.chat: false to evaluate plain-text prompts")
    return HfCheckpointTokenizer(directory, chat)


def check_gate(gate, metrics):
    if not gate:
        return None
    name = gate.get("metric")
    if name not in metrics:
        raise GateFailed(f"gate metric '{name}' was not measured; measured: {sorted(metrics)}")
    value = metrics[name]
    problems = []
    if gate.get("min") is not None and value < float(gate["min"]):
        problems.append(f"below the minimum {gate['min']}")
    if gate.get("max") is not None and value > float(gate["max"]):
        problems.append(f"above the maximum {gate['max']}")
    result = {"metric": name, "value": value, "min": gate.get("min"), "max": gate.get("max")}
    if gate.get("beat"):
        relative = relative_bound(gate, name)
        result["beat"] = relative
        if relative["mode"] == "max" and value < relative["bound"]:
            problems.append(f"below {relative['bound']:.4f}, the best referenced report's {relative['best']:.4f}"
                            + (f" + margin {relative['margin']}" if relative["margin"] else ""))
        if relative["mode"] == "min" and value > relative["bound"]:
            problems.append(f"above {relative['bound']:.4f}, the best referenced report's {relative['best']:.4f}"
                            + (f" − margin {relative['margin']}" if relative["margin"] else ""))
    message = f"gate {name} = {value:.4f} " + (" and ".join(problems) if problems else "passed")
    result.update({"passed": not problems, "message": message})
    return result


def relative_bound(gate, name):
    """The bound a gate's `beat` sets: the best value of the metric over the referenced reports (highest
    for mode max, lowest for mode min), moved by the margin. A referenced report without the metric is
    bad input (a ValueError: the step fails as InvalidStep, not as a failed gate), since nothing was
    measured against it."""
    mode = gate["mode"]  # the planner writes the kind's defaults (max, 0) into every gate
    margin = float(gate["margin"])
    reports = gate["beat"] if isinstance(gate["beat"], list) else [gate["beat"]]
    sources = []
    for i, directory in enumerate(reports):
        path = os.path.join(directory, "eval.json")
        try:
            with open(path, encoding="utf-8") as f:
                theirs = json.load(f).get("metrics") or {}
        except (OSError, ValueError) as e:
            raise ValueError(f"gate.beat[{i}]: {directory} is not an evaluate report ({e})") from e
        if not isinstance(theirs.get(name), (int, float)):
            raise ValueError(f"gate.beat[{i}]: the report has no metric '{name}' to beat; it has: "
                             f"{sorted(theirs)}")
        sources.append({"report": os.path.basename(os.path.normpath(directory)), "value": float(theirs[name])})
    values = [s["value"] for s in sources]
    best = max(values) if mode == "max" else min(values)
    bound = best + margin if mode == "max" else best - margin
    return {"mode": mode, "margin": margin, "best": best, "bound": bound,
            "best_index": values.index(best), "reports": sources}
