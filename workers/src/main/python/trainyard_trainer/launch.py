"""``python -m trainyard_trainer.launch [torchrun arguments] -m trainyard_trainer step.json``: torchrun
(``torch.distributed.run``, the same arguments) as the worker starts a step of several processes.

Three things differ from calling ``torch.distributed.run`` directly, each because the worker needs it:

- The step contract's exit codes survive: torchrun exits 1 whatever its ranks exited with, so a bad config
  (2, ``InvalidStep``, never retried) or a failed gate (3) would be retried as a crash. Here the first
  failing rank's 2 or 3 is the exit code.
- torch 1.13 on Python >= 3.11 (Debian's python3-torch) cannot parse its own default ``--redirects 0``:
  ``Std.from_str`` walks the ``IntFlag`` members, and Python 3.11 no longer lists ``NONE`` (0) or ``ALL``
  (3) among them. The parser is replaced by one that looks the value up, only where the original is broken.
- torchrun looks at its ranks every 5 s by default, which adds up to 5 s to the end of every step; the
  launcher looks every second unless ``--monitor_interval`` is given. ``OMP_NUM_THREADS`` defaults to 1, the
  value torchrun sets, without its banner in the step log (the trainer sets its own thread count).
- A worker killed with SIGKILL cannot stop its step: like the trainer itself (``__main__``), the launcher
  exits when it is re-parented, and its ranks, re-parented in turn, follow.
"""

import os
import re
import sys


def _fix_std_parsing():
    from torch.distributed.elastic.multiprocessing import api

    std = api.Std
    if std.from_str("0") is not None:
        return

    def from_str(cls, vm):
        if re.match(api._VALUE_REGEX, vm):
            return cls(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    std.from_str = classmethod(from_str)


def main(argv):
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    from .__main__ import EXIT_GATE_FAILED, EXIT_INVALID, exit_when_orphaned

    if os.environ.get("TRAINYARD_RUN_ID"):
        exit_when_orphaned()
    _fix_std_parsing()
    if not any(a.split("=")[0] == "--monitor_interval" for a in argv):
        argv = ["--monitor_interval=1"] + list(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        torchrun.main(argv)
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        code = failure.exitcode
        print(f"trainyard: rank {rank} exited with code {code} (first of {len(e.failures)} failed)",
              file=sys.stderr)
        return code if code in (EXIT_INVALID, EXIT_GATE_FAILED) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
