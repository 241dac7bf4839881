#!/bin/sh
# One short GPU check (about 5 minutes on an H100/H200): HF parity fixtures, the trainer's tests, then pretrain throughput
# and MFU for the 125M and 350M configs of the benchmark. Run from the repository root.
set -e
PY=${TRAINYARD_PYTHON:-python3}
export PYTHONPATH=workers/src/main/python
$PY -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0))'
# Parity fixtures first (transformers' own classes), then trainer-written checkpoints back in transformers;
# the pytest run below then compares the fresh fixtures (test_hf_parity.py) instead of skipping.
$PY workers/src/test/python/gpu/make_hf_fixtures.py make
$PY workers/src/test/python/gpu/make_hf_fixtures.py check
$PY -m pytest -q -x workers/src/test/python   # set -e: a failing test fails the check before any benchmark
$PY -m trainyard_trainer.bench --preset 125m --seq-len 1024 --batch-size 32 --vocab-size 32000 --steps 20
$PY -m trainyard_trainer.bench --preset 350m --seq-len 2048 --batch-size 16 --vocab-size 32000 --steps 10
$PY -m trainyard_trainer.bench --preset 125m --seq-len 1024 --batch-size 32 --vocab-size 32000 --steps 20 --compile false
