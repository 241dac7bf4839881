"""Device, precision, threads and distributed setup: torch 1.13 on CPU up to torch 2.x on GPUs."""

import contextlib
import inspect
import json
import os
import time

import torch


# What a rank must not free before it exits (DDP modules); __main__ ends a rank with os._exit.
KEPT_UNTIL_EXIT = []


class Runtime:
    def __init__(self, cfg):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.ddp = None
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        threads = cfg.get("cpu_threads") or int(os.environ.get("TRAINYARD_CPU_THREADS", "2"))
        torch.set_num_threads(max(1, int(threads)))
        if torch.cuda.is_available() and cfg.get("device", "auto") != "cpu":
            self.device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(self.device)
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        else:
            self.device = torch.device("cpu")
        if self.world > 1:
            torch.distributed.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        precision = cfg.get("precision", "auto")
        bf16_ok = self.device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.bf16 = bf16_ok if precision == "auto" else precision == "bf16"
        if self.bf16 and not bf16_ok:
            raise ValueError("precision bf16 needs a GPU that supports bfloat16")
        want_compile = cfg.get("compile", "auto")
        self.compile = hasattr(torch, "compile") and (
            want_compile is True or (want_compile == "auto" and self.device.type == "cuda"))

    @property
    def main(self):
        return self.rank == 0

    def autocast(self):
        if self.bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def prepare(self, model, unused_parameters=False):
        """The module the loop calls: DDP-wrapped, then compiled, where those are available.
        ``unused_parameters``: some parameters may get no gradient in a step (an MoE model's idle experts)."""
        model.to(self.device)
        model._rope_for(model.config.max_position_embeddings, self.device)  # no cache fill inside a compiled graph
        wrapped = model
        if self.world > 1:
            # Kept alive until the process ends (see __main__): freeing a DDP module while gloo's worker
            # threads still drop their last tensors deadlocks in torch 1.13 (the destructor joins them
            # holding the GIL, and they wait for the GIL to free a Python-owned tensor).
            wrapped = torch.nn.parallel.DistributedDataParallel(
                wrapped, device_ids=[self.local_rank] if self.device.type == "cuda" else None,
                find_unused_parameters=unused_parameters)
            KEPT_UNTIL_EXIT.append(wrapped)
            self.ddp = wrapped
        if self.compile:
            wrapped = torch.compile(wrapped)
        return wrapped

    def optimizer(self, model, lr, weight_decay, betas=(0.9, 0.95)):
        decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        kw = {}
        if self.device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters:
            kw["fused"] = True
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8, **kw)

    def mean(self, value):
        """The mean of a float over ranks (for logging)."""
        if self.world == 1:
            return value
        t = torch.tensor([value], device=self.device, dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return t.item() / self.world

    def micro_step(self, last):
        """Around one micro-batch's forward and backward: gradients are averaged over ranks once per optimizer
        step, at its last micro-batch; the others accumulate locally (DDP's ``no_sync``)."""
        if self.ddp is None or last:
            return contextlib.nullcontext()
        return self.ddp.no_sync()

    def seed_rank(self, seed):
        """Ranks after 0 draw their own random numbers (LoRA dropout): the same masks on every rank would
        be one mask seen W times. Rank 0 keeps the seeded stream a single process has."""
        if self.rank > 0:
            torch.manual_seed(seed + 1_000_003 * self.rank)

    def gather(self, value):
        """Every rank's ``value`` (any picklable object) in rank order, on every rank; None without DDP."""
        if self.world == 1:
            return None
        out = [None] * self.world
        torch.distributed.all_gather_object(out, value)
        return out

    def gpu_metrics(self):
        if self.device.type != "cuda":
            return {}
        m = {"gpu_mem_gb": round(torch.cuda.max_memory_allocated(self.device) / 1e9, 3)}
        try:
            m["gpu_util"] = float(torch.cuda.utilization(self.device))
        except Exception:  # needs pynvml; utilisation is a nicety, not a reason to fail
            pass
        return m

    def peak_flops(self):
        if self.device.type != "cuda":
            return None
        if os.environ.get("TRAINYARD_PEAK_TFLOPS"):
            return float(os.environ["TRAINYARD_PEAK_TFLOPS"]) * 1e12
        name = torch.cuda.get_device_name(self.device)
        for key, tflops in (("H200", 989), ("H100", 989), ("A100", 312), ("L40", 181), ("A10", 125)):
            if key in name:
                return tflops * 1e12 * (1 if self.bf16 else 0.5)
        return None

    def close(self):
        if self.world > 1:
            torch.distributed.destroy_process_group()


class MetricsWriter:
    """Appends one JSON line per call and flushes it, so the worker streams metrics live."""

    def __init__(self, path, enabled=True):
        self.f = open(path, "a", encoding="utf-8") if (path and enabled) else None

    def write(self, **values):
        if self.f:
            clean = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in values.items()}
            self.f.write(json.dumps(clean) + "\n")
            self.f.flush()

    def close(self):
        if self.f:
            self.f.close()


class Clock:
    def __init__(self):
        self.t0 = time.perf_counter()

    def lap(self):
        now = time.perf_counter()
        dt, self.t0 = now - self.t0, now
        return dt
