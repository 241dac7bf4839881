"""Entry point of the step contract: ``python -m trainyard_trainer [step.json]``.

Reads step.json (default ``$TRAINYARD_STEP_JSON``) — written by the worker with the planner's fully resolved
body (every default filled in) and the kind's runner settings — runs it, writes the output checkpoint, report
or routing profile to its ``output`` dir and metrics to its ``metrics`` file. Exit 0 on success; 2 when the
step's own inputs or config are wrong (one clear line, no stack trace); 3 when an evaluate gate fails; 1 on
anything unexpected. ``python -m trainyard_trainer check`` prints what this Python runtime offers.
"""

import json
import os
import sys

# The step contract's exit codes (the worker's TrainerStepKind maps them to failure types).
EXIT_INVALID = 2
EXIT_GATE_FAILED = 3


def check():
    report = {"python": sys.version.split()[0], "executable": sys.executable, "missing": []}
    try:
        import torch
        report["torch"] = torch.__version__
        report["cuda"] = torch.cuda.is_available()
        report["sdpa"] = hasattr(torch.nn.functional, "scaled_dot_product_attention")
        report["compile"] = hasattr(torch, "compile")
        major, minor = (int(x) for x in torch.__version__.split(".")[:2])
        if (major, minor) < (1, 13):
            report["missing"].append(f"torch >= 1.13 (found {torch.__version__})")
    except Exception as e:  # ImportError, or a broken BLAS behind it
        report["missing"].append(f"torch ({type(e).__name__}: {e})")
    try:
        import numpy
        report["numpy"] = numpy.__version__
    except Exception as e:
        report["missing"].append(f"numpy ({type(e).__name__}: {e})")
    print(json.dumps(report))
    return 0 if not report["missing"] else 4


def exit_when_orphaned(interval=1.0):
    """A worker killed with SIGKILL cannot stop its step; its trainer notices it was re-parented and
    exits, so no orphan keeps a GPU busy or writes into a dead attempt's work dir."""
    import threading
    import time
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                sys.stderr.write("trainyard: the worker that started this step is gone; stopping\n")
                os._exit(137)

    threading.Thread(target=watch, name="orphan-watchdog", daemon=True).start()


def main(argv):
    if argv and argv[0] == "check":
        return check()
    if os.environ.get("TRAINYARD_RUN_ID"):  # started by a worker, not by hand
        exit_when_orphaned()
    path = argv[0] if argv else os.environ.get("TRAINYARD_STEP_JSON", "step.json")
    with open(path, encoding="utf-8") as f:
        step = json.load(f)
    step.setdefault("work_dir", os.path.dirname(os.path.abspath(path)))
    step.setdefault("output", os.path.join(step["work_dir"], "output"))
    kind, body = step.get("kind"), step.get("body") or {}
    # What to do comes from the kind's definition (its runner settings), not from a list of names here.
    runner = step.get("runner") or {}

    from . import data, evaluate, route_stats, train

    try:
        if runner.get("entry") == "evaluate":
            return evaluate.run(body, step)
        if runner.get("entry") == "route-stats":
            return route_stats.run(body, step)
        if runner.get("entry") == "train":
            return train.run(kind, body, step, runner)
        print(f"error: step kind '{kind}' is not a trainer kind (step.json has no trainer runner settings)",
              file=sys.stderr)
        return EXIT_INVALID
    except evaluate.GateFailed as e:
        print(f"gate failed: {e}", file=sys.stderr)
        return EXIT_GATE_FAILED
    except (ValueError, FileNotFoundError, data.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INVALID


def exit_rank(argv):
    """One rank of several ends with ``os._exit``: everything it writes is closed by then, and the
    interpreter's own teardown would free the DDP module, which can deadlock (runtime.KEPT_UNTIL_EXIT)."""
    try:
        code = main(argv)
    except BaseException:  # noqa: BLE001 - printed as Python would, then the same exit code
        import traceback
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        exit_rank(sys.argv[1:])
    sys.exit(main(sys.argv[1:]))
