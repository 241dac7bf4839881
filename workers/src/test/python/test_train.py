import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import TINY, metrics, run_step, write_step

FAST = {"batch_size": 8, "seq_len": 32, "warmup_steps": 3, "checkpoint_every": 0}


def first_last(work, key="loss", n=5):
    values = [m[key] for m in metrics(work) if key in m]
    return sum(values[:n]) / n, sum(values[-n:]) / n


@pytest.fixture(scope="module")
def base_model(tmp_path_factory, datasets_dir):
    work = tmp_path_factory.mktemp("pre")
    assert run_step(work, "pretrain", {"model": TINY, "data": datasets_dir,
                                       "config": dict(FAST, max_steps=60, lr=5e-3)}) == 0
    return str(work / "output"), work


def test_pretraining_decreases_the_loss_and_logs_live_metrics(base_model):
    _, work = base_model
    first, last = first_last(work)
    assert last < first * 0.6
    line = metrics(work)[-1]
    assert {"step", "loss", "lr", "grad_norm", "tokens_per_s", "total_steps", "eta_s"} <= set(line)
    assert line["step"] == line["total_steps"] == 60


def test_continual_pretraining_rewarms_the_lr_and_replays(tmp_path, base_model, datasets_dir):
    model, _ = base_model
    assert run_step(tmp_path, "continual-pretrain", {
        "model": model, "data": datasets_dir,
        "config": dict(FAST, max_steps=30, lr=2e-3, warmup_steps=10,
                       replay={"dataset": datasets_dir, "ratio": 0.25})}) == 0
    lrs = [m["lr"] for m in metrics(tmp_path)]
    assert lrs[0] == pytest.approx(2e-4) and max(lrs) == pytest.approx(2e-3)
    first, last = first_last(tmp_path)
    assert last < first


def test_sft_learns_the_responses(tmp_path, base_model, datasets_dir):
    model, _ = base_model
    assert run_step(tmp_path, "sft", {"model": model, "data": datasets_dir,
                                      "config": dict(FAST, max_steps=40, lr=3e-3)}) == 0
    first, last = first_last(tmp_path)
    assert last < first * 0.6
    info = json.load(open(tmp_path / "output" / "trainyard.json"))
    assert info["chat"] is True and "<|assistant|>" in info["chat_template"]


def test_dpo_raises_the_chosen_over_the_rejected(tmp_path, base_model, datasets_dir):
    model, _ = base_model
    assert run_step(tmp_path, "dpo", {"model": model, "data": datasets_dir,
                                      "config": dict(FAST, max_steps=30, lr=2e-3, beta=0.5)}) == 0
    first, last = first_last(tmp_path)
    assert last < first
    m = metrics(tmp_path)
    assert {"rewards_chosen", "rewards_rejected", "reward_margin", "pref_accuracy"} <= set(m[-1])
    assert first_last(tmp_path, "reward_margin")[1] > 0


def test_eval_every_records_a_held_out_loss_curve_while_training(tmp_path, datasets_dir):
    assert run_step(tmp_path, "pretrain", {
        "model": TINY, "data": datasets_dir, "eval_data": datasets_dir,
        "config": dict(FAST, max_steps=30, lr=5e-3, eval_every=10, eval_subset="domain")}) == 0
    curve = [(m["step"], m["eval_loss"]) for m in metrics(tmp_path) if "eval_loss" in m]
    assert [step for step, _ in curve] == [0, 10, 20, 30]  # step 0: before any update
    assert curve[-1][1] < curve[0][1]
    # Training lines are unchanged: evaluation neither consumes data nor draws random numbers.
    assert all("loss" in m for m in metrics(tmp_path) if "eval_loss" not in m)


def test_a_bad_dataset_fails_with_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    assert run_step(tmp_path, "sft", {"model": "tiny", "data": str(bad)}) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Traceback" not in err and len(err.splitlines()) == 1


def _trainer(step_json):
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", "..", "main", "python"))
    return subprocess.Popen([sys.executable, "-m", "trainyard_trainer", step_json], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_run_killed_mid_training_and_resumed_ends_bitwise_identical(tmp_path, datasets_dir):
    # Bitwise identity is a CPU promise: GPU kernels (atomics, bf16 autocast) are not deterministic.
    body = {"model": TINY, "data": datasets_dir,
            "config": dict(FAST, max_steps=40, lr=3e-3, checkpoint_every=5, device="cpu",
                           replay={"dataset": datasets_dir, "ratio": 0.3})}
    straight = tmp_path / "straight"
    assert _trainer(write_step(str(straight), "pretrain", body)).wait() == 0

    killed = tmp_path / "attempt-1"
    proc = _trainer(write_step(str(killed), "pretrain", body))
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "step-10").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    states = sorted((int(d.name[5:]), d) for d in (killed / "checkpoints").iterdir() if d.name.startswith("step-"))
    assert states, "no intermediate checkpoint was written before the kill"
    assert not (killed / "output" / "model.safetensors").exists(), "the run finished before it could be killed"
    step, resume = states[-1]
    assert 0 < step < 40

    resumed = tmp_path / "attempt-2"
    assert _trainer(write_step(str(resumed), "pretrain", body, resume=str(resume))).wait() == 0
    digest = lambda p: hashlib.sha256((p / "output" / "model.safetensors").read_bytes()).hexdigest()
    assert digest(resumed) == digest(straight)
    assert metrics(resumed)[0] == {"step": step, "resumed_from_step": step}
    # The resumed run's losses continue the uninterrupted run's exactly.
    tail = {m["step"]: m["loss"] for m in metrics(straight)}
    assert all(tail[m["step"]] == m["loss"] for m in metrics(resumed)[1:])


@pytest.mark.parametrize("save_dtype,torch_dtype,st_dtype", [("bf16", "bfloat16", "BF16"),
                                                             ("fp16", "float16", "F16")])
def test_save_dtype_writes_the_weights_and_config_in_that_dtype(tmp_path, base_model, datasets_dir,
                                                                save_dtype, torch_dtype, st_dtype):
    model, _ = base_model
    assert run_step(tmp_path, "sft", {"model": model, "data": datasets_dir,
                                      "config": dict(FAST, max_steps=2, save_dtype=save_dtype)}) == 0
    out = tmp_path / "output"
    assert json.load(open(out / "config.json"))["torch_dtype"] == torch_dtype
    raw = open(out / "model.safetensors", "rb").read()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
    assert dtypes == {st_dtype}
    # The checkpoint loads back, in that dtype, and continues training.
    assert run_step(tmp_path / "again", "sft", {"model": str(out), "data": datasets_dir,
                                                "config": dict(FAST, max_steps=2)}) == 0
    assert json.load(open(tmp_path / "again" / "output" / "config.json"))["torch_dtype"] == torch_dtype


def test_an_unknown_save_dtype_fails_naming_the_key(tmp_path, base_model, datasets_dir, capsys):
    model, _ = base_model
    assert run_step(tmp_path, "sft", {"model": model, "data": datasets_dir,
                                      "config": dict(FAST, max_steps=2, save_dtype="int8")}) == 2
    assert "config.save_dtype" in capsys.readouterr().err
