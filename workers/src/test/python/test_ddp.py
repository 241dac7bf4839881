"""DDP: two gloo ranks on the CPU, started as the worker starts them (``trainyard_trainer.launch``, i.e.
torchrun), train the same steps as one process with the same global batch (per-rank micro-batch × ranks ×
grad_accum): the logged losses agree within 1e-5 at every step, the checkpoints hold the same tensor
names (no DDP ``module.`` prefix) and values, and a training state written under DDP resumes in one process.
Covered: pretrain (dense and MoE), LoRA sft, full-model dpo.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest
import torch

from conftest import TINY, metrics, write_step
from trainyard_trainer import safetensors
from trainyard_trainer.checkpoint import load_state_dict

WORLD = 2
# One process: micro-batches of 2, accumulated 4 times. Two ranks: 2 each, accumulated twice.
BASE = {"batch_size": 2, "seq_len": 32, "warmup_steps": 2, "max_steps": 6, "log_every": 1, "lr": 5e-3,
        "checkpoint_every": 0, "device": "cpu", "cpu_threads": 1}
SINGLE = dict(BASE, grad_accum=2 * WORLD)
RANKS = dict(BASE, grad_accum=2)
LOSS_TOLERANCE = 1e-5
TENSOR_TOLERANCE = 1e-5
PYTHONPATH = os.path.join(os.path.dirname(__file__), "..", "..", "main", "python")


def _env():
    return dict(os.environ, PYTHONPATH=os.path.abspath(PYTHONPATH))


def single(step_json):
    done = subprocess.run([sys.executable, "-m", "trainyard_trainer", step_json], env=_env(),
                          capture_output=True, text=True, timeout=300)
    return done


def torchrun(step_json, nproc=WORLD):
    """The worker's command line for one host (TrainerStepKind): a c10d rendezvous on a free port."""
    done = subprocess.run(
        [sys.executable, "-m", "trainyard_trainer.launch", "--nnodes=1", f"--nproc_per_node={nproc}",
         "--rdzv_backend=c10d", "--rdzv_endpoint=127.0.0.1:0", f"--rdzv_id={uuid.uuid4()}",
         "-m", "trainyard_trainer", step_json],
        env=_env(), capture_output=True, text=True, timeout=300)
    return done


def losses(work):
    return {m["step"]: m["loss"] for m in metrics(work) if "loss" in m}


def assert_same_curve(one, ranks, work_one, work_ranks):
    a, b = losses(work_one), losses(work_ranks)
    assert sorted(a) == sorted(b) == list(range(1, BASE["max_steps"] + 1)), "one metrics line per step, once"
    worst = max(abs(a[s] - b[s]) for s in a)
    print(f"max |loss(1 process) - loss({WORLD} ranks)| = {worst:.3g}")
    assert worst <= LOSS_TOLERANCE, (a, b)
    # The same rows were seen: tokens per step, and the gradient (averaged by DDP) has the same norm.
    for x, y in zip((m for m in metrics(work_one) if "loss" in m), (m for m in metrics(work_ranks) if "loss" in m)):
        assert x["tokens"] == y["tokens"]
        assert x["grad_norm"] == pytest.approx(y["grad_norm"], rel=1e-4)
    return worst


def tensors(directory):
    """Every tensor of a checkpoint's or an adapter's safetensors files, by name."""
    out = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".safetensors"):
            out.update({f"{name}:{k}": v for k, v in safetensors.load_file(os.path.join(directory, name)).items()})
    assert out, f"{directory}: no safetensors"
    return out


def assert_same_tensors(dir_one, dir_ranks):
    a, b = tensors(dir_one), tensors(dir_ranks)
    assert sorted(a) == sorted(b)
    assert not any(".module." in name or ":module." in name for name in b)
    worst = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
    print(f"max |tensor(1 process) - tensor({WORLD} ranks)| = {worst:.3g}")
    assert worst <= TENSOR_TOLERANCE, worst
    return worst


def assert_ok(done):
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def pair(tmp_path, kind, body, single_config=SINGLE, ranks_config=RANKS):
    one, ranks = tmp_path / "one", tmp_path / "ranks"
    a = single(write_step(str(one), kind, dict(body, config=single_config)))
    b = torchrun(write_step(str(ranks), kind, dict(body, config=ranks_config)))
    assert_ok(a)
    assert_ok(b)
    return one, ranks, b


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, datasets_dir):
    """A pretrain run in one process and with two ranks; the ranks also write a training state at step 3."""
    tmp = tmp_path_factory.mktemp("ddp-pretrain")
    one, ranks, done = pair(tmp, "pretrain", {"model": TINY, "data": datasets_dir},
                            ranks_config=dict(RANKS, checkpoint_every=3))
    return one, ranks, done


def test_two_gloo_ranks_follow_the_single_process_loss_curve_and_write_the_same_checkpoint(pretrained):
    one, ranks, done = pretrained
    assert_same_curve(SINGLE, RANKS, one, ranks)
    assert_same_tensors(one / "output", ranks / "output")
    # Rank 0 speaks for both: each trainer line once in the step log, the checkpoint written once.
    out = done.stdout
    assert out.count("wrote checkpoint to") == 1 and out.count("(world 2,") == 1, out
    assert json.load(open(ranks / "output" / "trainyard.json"))["steps"] == BASE["max_steps"]


def test_a_training_state_written_by_two_ranks_resumes_in_one_process(pretrained, tmp_path, datasets_dir):
    one, ranks, _ = pretrained
    state = ranks / "checkpoints" / "step-3"
    assert not any(k.startswith("module.") for k in load_state_dict(str(state)))
    resumed = tmp_path / "resumed"
    body = {"model": TINY, "data": datasets_dir, "config": SINGLE}
    assert_ok(single(write_step(str(resumed), "pretrain", body, resume=str(state))))
    assert metrics(resumed)[0] == {"step": 3, "resumed_from_step": 3}
    tail = losses(resumed)
    assert sorted(tail) == [4, 5, 6]
    assert max(abs(tail[s] - losses(one)[s]) for s in tail) <= LOSS_TOLERANCE
    assert_same_tensors(one / "output", resumed / "output")


def test_a_training_state_written_by_two_ranks_keeps_each_ranks_rng_and_resumes_on_two_ranks(pretrained, tmp_path,
                                                                                             datasets_dir):
    _, ranks, _ = pretrained
    state = ranks / "checkpoints" / "step-3"
    saved = torch.load(str(state / "trainer_state.pt"), weights_only=False)
    assert len(saved["rank_rng"]) == WORLD
    assert not torch.equal(saved["rank_rng"][0]["torch"], saved["rank_rng"][1]["torch"])  # own streams
    resumed = tmp_path / "resumed"
    body = {"model": TINY, "data": datasets_dir, "config": dict(RANKS, checkpoint_every=3)}
    assert_ok(torchrun(write_step(str(resumed), "pretrain", body, resume=str(state))))
    assert metrics(resumed)[0] == {"step": 3, "resumed_from_step": 3}
    assert all(losses(resumed)[s] == losses(ranks)[s] for s in (4, 5, 6))
    assert_same_tensors(ranks / "output", resumed / "output")


def test_lora_finetuning_on_two_ranks_follows_the_single_process_curve(pretrained, tmp_path, datasets_dir):
    one, _, _ = pretrained
    adapter = {"type": "lora", "r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    a, b, _ = pair(tmp_path, "sft", {"model": str(one / "output"), "data": datasets_dir, "adapter": adapter})
    assert_same_curve(SINGLE, RANKS, a, b)
    assert_same_tensors(a / "output", b / "output")


def test_dpo_on_two_ranks_follows_the_single_process_curve(pretrained, tmp_path, datasets_dir):
    # Each rank's micro-batch is [chosen; rejected] of its own pairs, against a frozen copy of the start.
    one, _, _ = pretrained
    a, b, _ = pair(tmp_path, "dpo", {"model": str(one / "output"), "data": datasets_dir},
                   single_config=dict(SINGLE, beta=0.5), ranks_config=dict(RANKS, beta=0.5))
    assert_same_curve(SINGLE, RANKS, a, b)
    margins = [(x["reward_margin"], y["reward_margin"]) for x, y in zip(metrics(a), metrics(b))]
    assert all(abs(x - y) <= LOSS_TOLERANCE for x, y in margins)
    assert_same_tensors(a / "output", b / "output")


def test_a_mixture_of_experts_trains_on_two_ranks_as_in_one_process(tmp_path, datasets_dir):
    # Two of four experts per token over micro-batches of 64 tokens: an expert may get no token on a rank.
    moe = dict(TINY, model_type="mixtral", num_local_experts=4, num_experts_per_tok=2)
    a, b, _ = pair(tmp_path, "pretrain", {"model": moe, "data": datasets_dir})
    assert_same_curve(SINGLE, RANKS, a, b)
    assert_same_tensors(a / "output", b / "output")
    last = [m for m in metrics(b) if "loss" in m][-1]
    assert "moe/aux_loss" in last


def test_a_bad_config_under_torchrun_still_exits_as_an_invalid_step(tmp_path, datasets_dir):
    done = torchrun(write_step(str(tmp_path), "pretrain",
                               {"model": TINY, "data": datasets_dir, "config": dict(RANKS, seq_len=1)}))
    assert done.returncode == 2, done.stderr[-3000:]
    assert "error: config:" in done.stderr
    assert not (tmp_path / "output" / "model.safetensors").exists()
