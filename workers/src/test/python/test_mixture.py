import hashlib
import json
import math
import os
import random

import pytest
import torch

from conftest import TINY, metrics, run_step, write_tokens
from trainyard_trainer.mixture import Mixture, Source

FAST = {"batch_size": 8, "seq_len": 16, "warmup_steps": 2, "checkpoint_every": 0, "device": "cpu"}


def windows(n, length, tag):
    """n packed rows of ``length`` tokens whose ids say which source and row they are."""
    return [(torch.full((length,), tag), torch.full((length,), i)) for i in range(n)]


def three(weights=(0.6, 0.3, 0.1), caps=(None, None, None), sizes=(50, 40, 30)):
    return [Source(f"s{i}", windows(n, 16, i), w, seed=i, max_epochs=c)
            for i, (w, c, n) in enumerate(zip(weights, caps, sizes))]


def shares(mixture):
    consumed = mixture.consumed()
    total = sum(s["tokens"] for s in consumed)
    return [s["tokens"] / total for s in consumed]


def test_a_three_source_mixture_consumes_its_weights_in_tokens():
    mixture = Mixture(three())
    for _ in range(100):
        mixture.take(8)
    assert all(abs(got - want) < 0.02 for got, want in zip(shares(mixture), (0.6, 0.3, 0.1)))
    # Not only on average: no prefix of the run strays by more than a row per source.
    m = Mixture(three())
    for calls in range(1, 60):
        m.take(8)
        taken = [s.order.consumed for s in m.sources]
        assert all(abs(t - calls * 8 * w) <= 2 for t, w in zip(taken, (0.6, 0.3, 0.1)))


def test_weights_need_not_sum_to_one():
    a, b = Mixture(three((6, 3, 1))), Mixture(three((0.6, 0.3, 0.1)))
    assert [len(a.take(8)) for _ in range(20)] == [8] * 20
    for _ in range(20):
        b.take(8)
    assert [s.order.consumed for s in a.sources] == [s.order.consumed for s in b.sources]
    assert [s["weight"] for s in a.consumed()] == pytest.approx([0.6, 0.3, 0.1])


def test_a_restored_mixture_serves_exactly_the_batches_of_the_uninterrupted_one():
    straight = Mixture(three(caps=(None, None, 0.5)))
    served = [straight.take(8) for _ in range(40)]
    first = Mixture(three(caps=(None, None, 0.5)))
    for _ in range(17):
        first.take(8)
    state = json.loads(json.dumps(first.state()))  # as it travels in trainer_state.pt
    resumed = Mixture(three(caps=(None, None, 0.5)), state)
    for expected in served[17:]:
        got = resumed.take(8)
        assert [(int(x[0]), int(y[0])) for x, y in got] == [(int(x[0]), int(y[0])) for x, y in expected]
    assert resumed.consumed() == straight.consumed()


def test_a_source_at_its_max_epochs_gives_its_weight_to_the_others():
    mixture = Mixture(three(caps=(None, None, 1), sizes=(50, 40, 10)))
    for _ in range(100):
        mixture.take(8)
    consumed = [s.order.consumed for s in mixture.sources]
    assert consumed[2] == 10  # one pass of 10 rows, then no more
    # The rest was served 0.6 : 0.3 from then on.
    assert consumed[0] + consumed[1] == 790
    assert abs(consumed[0] / (consumed[0] + consumed[1]) - 2 / 3) < 0.01


def test_replay_is_the_two_source_case_with_the_schedule_it_always_had():
    ratio, n = 0.3, 8
    mixture = Mixture([Source("data", windows(50, 4, 0), 1 - ratio, seed=5),
                       Source("replay", windows(30, 4, 1), ratio, seed=6)])
    for calls in range(200):
        rows = mixture.take(n)
        k = math.floor((calls + 1) * n * ratio) - math.floor(calls * n * ratio)
        assert [int(x[0]) for x, _ in rows] == [0] * (n - k) + [1] * k


def test_a_training_state_of_the_version_before_mixtures_resumes_the_same_batches():
    make = lambda: Mixture([Source("data", windows(50, 4, 0), 0.7, seed=5),
                            Source("replay", windows(30, 4, 1), 0.3, seed=6)])
    straight = make()
    served = [straight.take(8) for _ in range(30)]
    main, replay = 0, 0
    for calls in range(12):  # what that version saved after 12 calls: {main, replay, calls}
        k = math.floor((calls + 1) * 8 * 0.3) - math.floor(calls * 8 * 0.3)
        main, replay = main + 8 - k, replay + k
    resumed = Mixture(make().sources, {"main": main, "replay": replay, "calls": 12, "tokens": 12 * 8 * 4})
    for expected in served[12:]:
        assert [(int(x[0]), int(y[0])) for x, y in resumed.take(8)] == [(int(x[0]), int(y[0])) for x, y in expected]


def test_a_mixture_state_names_its_sources():
    state = Mixture(three()).state()
    other = [Source(f"x{i}", windows(5, 16, i), 1.0, seed=i) for i in range(3)]
    with pytest.raises(ValueError, match="written for the sources"):
        Mixture(other, state)


# ---- end to end: steps on token shards ----

VOCAB = 1000


def lm_docs(rng, n, first, span):
    """Documents of a toy language per source: ids in [first, first + span)."""
    return [[rng.randrange(first, first + span) for _ in range(rng.randrange(10, 40))] + [VOCAB - 2]
            for _ in range(n)]


@pytest.fixture(scope="module")
def three_token_sources(tmp_path_factory):
    rng = random.Random(0)
    root = tmp_path_factory.mktemp("tokens")
    # The tokenize step copies one tokenizer.json into each; the same tokenizer gives the same hash.
    return [write_tokens(str(root / name), {"train": lm_docs(rng, 60, first, 50), "eval": lm_docs(rng, 6, first, 50)},
                         VOCAB, docs_per_shard=25)
            for name, first in (("params.web", 0), ("params.code", 300), ("params.math", 600))]


def mixture_body(sources, **config):
    return {"model": TINY, "data": [{"dataset": sources[0], "weight": 0.6}, {"dataset": sources[1], "weight": 0.3},
                                    {"dataset": sources[2], "weight": 0.1}],
            "config": dict(FAST, max_steps=40, lr=3e-3, **config)}


def worker_keys(sources):
    """step.json's inputs (name → path) and artifacts (name → artifact id), as the worker writes them."""
    names = [os.path.basename(s) for s in sources]
    return {"inputs": dict(zip(names, sources)),
            "artifacts": {n: hashlib.sha256(n.encode()).hexdigest() for n in names}}


def test_a_pretrain_step_on_three_token_sources_consumes_their_weights_and_records_the_mix(
        tmp_path, three_token_sources):
    extra = worker_keys(three_token_sources)
    assert run_step(tmp_path, "pretrain", mixture_body(three_token_sources), **extra) == 0
    last = metrics(tmp_path)[-1]
    tokens = {n: last[f"mix/{n}/tokens"] for n in ("params.web", "params.code", "params.math")}
    total = sum(tokens.values())
    assert total == last["tokens"] == 40 * 8 * 16
    for name, weight in (("params.web", 0.6), ("params.code", 0.3), ("params.math", 0.1)):
        assert abs(tokens[name] / total - weight) < 0.02
    info = json.load(open(tmp_path / "output" / "trainyard.json"))
    assert [(m["source"], m["input"], m["subset"], m["weight"], m["tokens"]) for m in info["mixture"]] == [
        (extra["artifacts"][n], n, "train", w, tokens[n])
        for n, w in (("params.web", 0.6), ("params.code", 0.3), ("params.math", 0.1))]


def test_a_pretrain_on_token_shards_takes_their_tokenizer(tmp_path, three_token_sources):
    assert run_step(tmp_path, "pretrain", dict(mixture_body(three_token_sources), config=dict(FAST, max_steps=3))) == 0
    out = tmp_path / "output"
    config = json.load(open(out / "config.json"))
    index = json.load(open(os.path.join(three_token_sources[0], "tokens.json")))
    assert config["vocab_size"] == 1024  # 1000 rounded up to a multiple of 64
    assert config["trainyard_tokenizer_sha256"] == index["tokenizer_sha256"]
    assert (config["bos_token_id"], config["eos_token_id"], config["pad_token_id"]) == (997, 998, 999)
    assert (out / "tokenizer.json").read_bytes() == open(os.path.join(three_token_sources[0], "tokenizer.json"), "rb").read()
    assert "trainyard_tokenizer" not in json.load(open(out / "tokenizer_config.json")) \
        if (out / "tokenizer_config.json").exists() else True


def test_a_mixture_resumed_from_its_training_state_ends_bitwise_identical(tmp_path, three_token_sources):
    body = mixture_body(three_token_sources, checkpoint_every=5)
    from trainyard_trainer import data as D
    rows = len(D.PackedWindows(D.TokenShards(three_token_sources[2], "train"), 16))
    # The small source runs out at about row 28 of its 32, after the resume point (24 of its rows by step
    # 30): the resumed run redistributes its weight as the straight one did.
    body["data"][2]["max_epochs"] = 28.5 / rows
    straight = tmp_path / "straight"
    assert run_step(straight, "pretrain", body) == 0
    resumed = tmp_path / "resumed"
    assert run_step(resumed, "pretrain", body, resume=str(straight / "checkpoints" / "step-30")) == 0
    digest = lambda p: hashlib.sha256((p / "output" / "model.safetensors").read_bytes()).hexdigest()
    assert digest(resumed) == digest(straight)
    tail = {m["step"]: m for m in metrics(straight)}
    for m in metrics(resumed)[1:]:
        assert m["loss"] == tail[m["step"]]["loss"]
        assert m["mix/params.math/sequences"] == tail[m["step"]]["mix/params.math/sequences"]
    sources = json.load(open(straight / "output" / "trainyard.json"))["mixture"]
    math_rows = next(s for s in sources if s["name"] == "params.math")["sequences"]
    assert math_rows == 28  # capped below its weight's share of 32


def test_the_outputs_of_a_matrix_step_are_a_mixture_of_equal_parts(tmp_path, three_token_sources):
    assert run_step(tmp_path, "pretrain", {"model": TINY, "data": list(three_token_sources[:2]),
                                           "config": dict(FAST, max_steps=4)}) == 0
    last = metrics(tmp_path)[-1]
    assert last["mix/params.web/tokens"] == last["mix/params.code/tokens"] == 4 * 8 * 16 / 2


def test_max_epochs_too_small_for_the_run_is_refused_before_training(tmp_path, three_token_sources, capsys):
    body = mixture_body(three_token_sources)
    for s in body["data"]:
        s["max_epochs"] = 1
    assert run_step(tmp_path, "pretrain", body) == 2
    assert "max_epochs allow" in capsys.readouterr().err
    assert not (tmp_path / "metrics.jsonl").exists() or not metrics(tmp_path)


def test_eval_data_may_be_the_eval_split_of_the_training_tokens(tmp_path, three_token_sources):
    assert run_step(tmp_path, "pretrain", {
        "model": TINY, "data": three_token_sources[0], "eval_data": three_token_sources[0],
        "config": dict(FAST, max_steps=30, lr=5e-3, eval_every=10, eval_subset="eval")}) == 0
    points = [m for m in metrics(tmp_path) if "eval_loss" in m]
    # Step 0 is the held-out loss before any update.
    assert [m["step"] for m in points] == [0, 10, 20, 30]
    assert points[-1]["eval_loss"] < points[0]["eval_loss"]
