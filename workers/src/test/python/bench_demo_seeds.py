"""The demo's trainer stages at several seeds, without the backend (docs/benchmarks.md).

    /usr/bin/python3 workers/src/test/python/bench_demo_seeds.py --seeds 0-9 --work /tmp/demo-seeds

Reads backend/src/main/resources/templates/demo.yaml and runs its steps the way the worker does — a
step.json with the planner's defaults (conftest.resolved), then ``python -m trainyard_trainer`` in-process —
for data, pretrain, continual-pretrain, sft and dpo, then the evaluate kind on the sft and dpo models
(merge and prune run in the Java engine, so they are not part of this script: DemoSeedsBenchmark runs the
whole template through the backend). Prints and appends one line per seed to ``<work>/results.txt``:
exact match after sft and after dpo, and each stage's wall time. Not a test (pytest does not collect it).
"""

import argparse
import json
import os
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "main", "python"))
import conftest  # noqa: E402  (the planner's defaults for a hand-written step.json)
from trainyard_trainer import datasets  # noqa: E402
from trainyard_trainer.__main__ import main  # noqa: E402

DEMO = os.path.join(HERE, "..", "..", "..", "..", "backend", "src", "main", "resources", "templates", "demo.yaml")
TRAINING = ("pretrain", "cpt", "sft", "dpo")


def seeds(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def run_seed(spec, seed, root):
    steps = {s["id"]: s for s in spec["steps"]}
    data = os.path.join(root, "data")
    outputs, times = {}, {}
    t = time.perf_counter()
    datasets.generate(data, seed=seed)
    times["data"] = time.perf_counter() - t

    def sub(v):
        if isinstance(v, str):
            v = v.replace("${{ params.seed }}", str(seed)).replace("${{ steps.data.outputs.output }}", data)
            for k, p in outputs.items():
                v = v.replace("${{ steps.%s.outputs.model }}" % k, p)
            return int(v) if v.isdigit() else v
        if isinstance(v, dict):
            return {k: sub(x) for k, x in v.items()}
        if isinstance(v, list):
            return [sub(x) for x in v]
        return v

    def step(sid, kind, body):
        work = os.path.join(root, sid)
        t = time.perf_counter()
        rc = main([conftest.write_step(work, kind, body)])
        times[sid] = time.perf_counter() - t
        if rc != 0:
            raise SystemExit(f"seed {seed}: step {sid} exited {rc}")
        return os.path.join(work, "output")

    scores = {}
    for sid in TRAINING:
        s = steps[sid]
        outputs[sid] = step(sid, s["kind"], {k: sub(v) for k, v in s.items() if k not in ("id", "kind", "description")})
        if s["kind"] in ("sft", "dpo"):
            ev = step(f"eval-{sid}", "evaluate", {"model": outputs[sid], "data": data})
            with open(os.path.join(ev, "eval.json"), encoding="utf-8") as f:
                scores[sid] = json.load(f)["metrics"]["exact_match"]
    return scores, times


def main_cli(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,4")
    p.add_argument("--work", required=True, help="a directory for the runs (one sub-directory per seed)")
    p.add_argument("--template", default=DEMO)
    args = p.parse_args(argv)
    with open(args.template, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    os.makedirs(args.work, exist_ok=True)
    for seed in seeds(args.seeds):
        scores, times = run_seed(spec, seed, os.path.join(args.work, f"seed-{seed}"))
        line = (f"seed={seed} em_sft={scores['sft']:.3f} em_dpo={scores['dpo']:.3f} "
                f"total_s={sum(times.values()):.1f} " + " ".join(f"{k}_s={v:.1f}" for k, v in times.items()))
        print(line, flush=True)
        with open(os.path.join(args.work, "results.txt"), "a", encoding="utf-8") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main_cli()
