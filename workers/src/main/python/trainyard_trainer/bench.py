"""Pretraining throughput on random tokens: tokens/s and MFU for a preset, with the same runtime the
trainer uses (bf16 autocast, SDPA, fused AdamW, torch.compile where available).

    python -m trainyard_trainer.bench --preset 125m --seq-len 1024 --batch-size 32 --vocab-size 32000
    python -m trainyard_trainer.bench --preset 350m --seq-len 2048 --batch-size 16 --vocab-size 32000
    python -m trainyard_trainer.bench --preset tiny --seq-len 128 --batch-size 16      # CPU
"""

import argparse
import dataclasses
import json
import os
import time

import torch
import torch.nn.functional as F

from .model import LlamaForCausalLM, resolve_config
from .runtime import Runtime


def preset(name):
    """A model preset's architecture from step_kinds.json, generated from the kinds' definition (StepKinds)."""
    with open(os.path.join(os.path.dirname(__file__), "step_kinds.json"), encoding="utf-8") as f:
        presets = json.load(f)["model_presets"]
    if name not in presets:
        raise SystemExit(f"unknown preset '{name}'; presets are {sorted(presets)}")
    return presets[name]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m trainyard_trainer.bench")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--vocab-size", type=int, default=None)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--compile", default="auto", choices=["auto", "true", "false"])
    a = p.parse_args(argv)
    cfg = resolve_config(preset(a.preset))
    if a.vocab_size:
        cfg = dataclasses.replace(cfg, vocab_size=a.vocab_size)
    cfg = dataclasses.replace(cfg, max_position_embeddings=max(cfg.max_position_embeddings, a.seq_len))
    rt = Runtime({"compile": {"auto": "auto", "true": True, "false": False}[a.compile]})
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    model.init_weights()
    n_params = sum(p.numel() for p in model.parameters())
    wrapped = rt.prepare(model)
    opt = rt.optimizer(model, 3e-4, 0.1)
    x = torch.randint(0, cfg.vocab_size, (a.batch_size, a.seq_len + 1), device=rt.device)
    inp, tgt = x[:, :-1], x[:, 1:]

    def step():
        with rt.autocast():
            logits = wrapped(inp)
        loss = F.cross_entropy(logits.float().reshape(-1, cfg.vocab_size), tgt.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for _ in range(a.warmup):
        step()
    if rt.device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    loss.item()
    if rt.device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    tps = a.steps * a.batch_size * a.seq_len / dt
    flops_per_token = 6 * n_params + 12 * cfg.num_hidden_layers * cfg.hidden_size * a.seq_len
    peak = rt.peak_flops()
    out = {"preset": a.preset, "params": n_params, "device": str(rt.device),
           "gpu": torch.cuda.get_device_name(rt.device) if rt.device.type == "cuda" else None,
           "torch": torch.__version__, "bf16": rt.bf16, "compile": rt.compile, "seq_len": a.seq_len,
           "batch_size": a.batch_size, "vocab_size": cfg.vocab_size, "tokens_per_s": round(tps, 1),
           "mfu": round(tps * flops_per_token / peak, 4) if peak else None, **rt.gpu_metrics()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
