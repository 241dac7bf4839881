"""The route-stats kind (docs/trainer.md "Routing profiles") and MoE layers of different expert counts
(``layer_experts``): every statistic of profile.json against a token-by-token loop over the checkpoint's own
weights, the router fingerprint against the safetensors bytes, a dense checkpoint refused at ``model``."""

import hashlib
import json
import math
import os
import struct

import numpy as np
import pytest
import torch

from trainyard_trainer import checkpoint, route_stats
from trainyard_trainer import data as D
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from conftest import TINY, metrics, run_step, write_tokens

MIXTRAL = dict(TINY, model_type="mixtral", num_local_experts=4, num_experts_per_tok=2)
TEXT = ("the cat sees a red ball.\n\n12+35=47\n\nroutes differ from token to token.\n\n"
        "an expert is a small MLP; the router picks two of them.\n\n")


def random_mixtral(directory, seed=0, dtype=None, **overrides):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(resolve_config(dict(MIXTRAL, **overrides)))
    model.init_weights(torch.Generator().manual_seed(seed))
    with torch.no_grad():  # a router far from uniform, so tokens go to different experts
        for i, layer in enumerate(model.model.layers):
            layer.block_sparse_moe.gate.weight.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed + i))
    checkpoint.save_model(model, str(directory), dtype=dtype)
    return str(directory)


def loop_profile(model, sequences):
    """The reference: each sequence alone (no padding), then token by token per layer: softmax of the router
    logits, the k best renormalised, each chosen expert's output norm; plain Python sums over tokens."""
    k = model.config.num_experts_per_tok
    inputs = {}
    hooks = [layer.block_sparse_moe.register_forward_pre_hook(
        lambda m, args, i=i: inputs.setdefault(i, []).append(args[0].reshape(-1, args[0].shape[-1])))
        for i, layer in enumerate(model.model.layers)]
    with torch.no_grad():
        for s in sequences:
            model(s.unsqueeze(0))
    for h in hooks:
        h.remove()
    out = []
    for i, layer in enumerate(model.model.layers):
        block = layer.block_sparse_moe
        n = len(block.experts)
        h = torch.cat(inputs[i]).double()
        T = h.shape[0]
        freq, gate, norm, weighted = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
        co = [[0.0] * n for _ in range(n)]
        logit_rows = []
        for t in range(T):
            logits = [sum(block.gate.weight[e].double()[d] * h[t, d] for d in range(h.shape[1])).item()
                      for e in range(n)]
            logit_rows.append(logits)
            z = sum(math.exp(v) for v in logits)
            probs = [math.exp(v) / z for v in logits]
            best = sorted(range(n), key=lambda e: -probs[e])[:k]
            total = sum(probs[e] for e in best)
            for e in range(n):
                gate[e] += probs[e]
            for e in best:
                y = block.experts[e](h[t].float()).double()
                freq[e] += 1
                norm[e] += y.norm().item()
                weighted[e] += probs[e] / total * y.norm().item()
                for f in best:
                    co[e][f] += 1
        cols = list(zip(*logit_rows))

        def cos(a, b):
            dot = sum(x * y for x, y in zip(a, b))
            return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
        out.append({"frequency": [f / T for f in freq], "mean_gate": [g / T for g in gate],
                    "mean_output_norm": [norm[e] / freq[e] if freq[e] else 0.0 for e in range(n)],
                    "gate_weighted_output_norm": [w / T for w in weighted],
                    "coactivation": [[c / T for c in row] for row in co],
                    "router_logit_similarity": [[cos(cols[a], cols[b]) for b in range(n)] for a in range(n)],
                    "tokens": T})
    return out


def assert_close(got, want, tol=1e-5):
    assert np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), atol=tol, rtol=1e-4), \
        (got, want)


def profile_of(work):
    with open(os.path.join(str(work), "output", "profile.json")) as f:
        return json.load(f)


def test_every_statistic_equals_a_token_by_token_loop_over_the_checkpoint(tmp_path):
    model_dir = random_mixtral(tmp_path / "moe")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes.txt").write_text(TEXT)
    assert run_step(tmp_path / "w", "route-stats", {"model": model_dir, "data": str(tmp_path / "data"),
                                                    "config": {"seq_len": 24, "batch_size": 3}}) == 0
    profile = profile_of(tmp_path / "w")
    windows = D.pack_windows(D.read_texts([str(tmp_path / "data" / "notes.txt")]), 24, shorten=True)
    model, _ = checkpoint.load_model(model_dir)
    want = loop_profile(model, [w[:-1] for w in windows])

    assert profile["format"] == "trainyard.routing-profile/v1"
    assert profile["dataset"] == {"subset": None, "tokens": len(windows) * 24, "sequences": len(windows)}
    assert profile["model"]["layer_experts"] == [4, 4] and profile["model"]["num_experts_per_tok"] == 2
    assert [layer["layer"] for layer in profile["layers"]] == [0, 1]
    for got, ref in zip(profile["layers"], want):
        assert ref["tokens"] == profile["dataset"]["tokens"]
        for key in ("frequency", "mean_gate", "mean_output_norm", "gate_weighted_output_norm", "coactivation",
                    "router_logit_similarity"):
            assert_close(got[key], ref[key])
        assert len(set(round(f, 6) for f in got["frequency"])) > 1  # routing really differs between experts
        assert sum(got["frequency"]) == pytest.approx(2.0, abs=1e-9)  # each token chose k = 2 experts
        assert sum(got["mean_gate"]) == pytest.approx(1.0, abs=1e-6)  # float32 softmax
        assert np.diag(got["coactivation"]).tolist() == pytest.approx(got["frequency"], abs=1e-12)
        assert np.diag(got["router_logit_similarity"]).tolist() == pytest.approx([1.0] * 4, abs=1e-9)
        assert np.allclose(got["coactivation"], np.transpose(got["coactivation"]))

    lines = metrics(tmp_path / "w")
    assert lines[-1]["route/tokens"] == profile["dataset"]["tokens"]
    assert 0 < lines[-1]["route/layer0/entropy"] <= math.log(4)


def fingerprint_from_file(path, layers):
    """The contract's fingerprint straight from the safetensors bytes: each router weight as float32 LE."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    h = hashlib.sha256()
    for i in range(layers):
        entry = header[f"model.layers.{i}.block_sparse_moe.gate.weight"]
        begin, end = entry["data_offsets"]
        blob = raw[8 + n + begin: 8 + n + end]
        assert entry["dtype"] == "BF16"
        as_f32 = (np.frombuffer(blob, dtype="<u2").astype("<u4") << 16).view("<f4")
        h.update(as_f32.astype("<f4").tobytes())
    return h.hexdigest()


def test_the_router_fingerprint_is_the_sha256_of_the_float32_router_weights_in_the_file(tmp_path):
    model_dir = random_mixtral(tmp_path / "moe", dtype=torch.bfloat16)
    other_dir = random_mixtral(tmp_path / "other", seed=5, dtype=torch.bfloat16)
    data = tmp_path / "notes.txt"
    data.write_text(TEXT)
    for name, directory in (("a", model_dir), ("b", other_dir)):
        assert run_step(tmp_path / name, "route-stats", {"model": directory, "data": str(data),
                                                         "config": {"seq_len": 16}}) == 0
    expected = fingerprint_from_file(os.path.join(model_dir, "model.safetensors"), 2)
    assert profile_of(tmp_path / "a")["model"]["router_fingerprint"] == expected
    assert route_stats.router_fingerprint(checkpoint.load_model(model_dir)[0]) == expected
    assert profile_of(tmp_path / "b")["model"]["router_fingerprint"] != expected


def test_chat_records_are_routed_one_sequence_each_and_padding_never_counts(tmp_path):
    model_dir = random_mixtral(tmp_path / "moe")
    chats = tmp_path / "chats.jsonl"
    records = [{"messages": [{"role": "user", "content": "hi" * (i + 1)},
                             {"role": "assistant", "content": "hello there, " * (3 - i)}]} for i in range(3)]
    chats.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run_step(tmp_path / "w", "route-stats", {"model": model_dir, "data": str(chats),
                                                    "config": {"seq_len": 64, "batch_size": 3}}) == 0
    profile = profile_of(tmp_path / "w")
    rows = [torch.tensor(D.sft_example(s, 64)[0]) for s in D.sft_pairs(D.read_records([str(chats)]))]
    assert len({len(r) for r in rows}) == 3  # different lengths: the batch of three is padded
    assert profile["dataset"] == {"subset": None, "tokens": sum(len(r) for r in rows), "sequences": 3}
    model, _ = checkpoint.load_model(model_dir)
    for got, ref in zip(profile["layers"], loop_profile(model, rows)):
        for key in ("frequency", "mean_gate", "mean_output_norm", "coactivation", "router_logit_similarity"):
            assert_close(got[key], ref[key])


def test_token_shards_are_routed_as_windows_and_max_tokens_caps_the_count(tmp_path):
    model_dir = random_mixtral(tmp_path / "moe")
    gen = torch.Generator().manual_seed(0)
    docs = {"train": [torch.randint(0, 250, (40,), generator=gen).tolist() for _ in range(4)]}
    with open(os.path.join(model_dir, "tokenizer.json"), "rb") as f:  # made with the model's own tokenizer
        shards = write_tokens(str(tmp_path / "tokens"), docs, vocab_size=256, tokenizer=f.read())
    foreign = write_tokens(str(tmp_path / "foreign"), docs, vocab_size=256)
    assert run_step(tmp_path / "foreign-run", "route-stats", {"model": model_dir, "data": foreign}) == 2
    assert run_step(tmp_path / "all", "route-stats", {"model": model_dir, "data": shards,
                                                      "config": {"seq_len": 16}}) == 0
    assert profile_of(tmp_path / "all")["dataset"] == {"subset": "train", "tokens": 9 * 16, "sequences": 9}
    assert run_step(tmp_path / "cap", "route-stats", {"model": model_dir, "data": shards,
                                                      "config": {"seq_len": 16, "max_tokens": 40}}) == 0
    assert profile_of(tmp_path / "cap")["dataset"] == {"subset": "train", "tokens": 40, "sequences": 3}
    assert run_step(tmp_path / "few", "route-stats", {"model": model_dir, "data": shards,
                                                      "config": {"seq_len": 16, "max_sequences": 2}}) == 0
    assert profile_of(tmp_path / "few")["dataset"]["sequences"] == 2


def test_a_dense_checkpoint_is_refused_at_model_as_bad_input(tmp_path, capsys):
    torch.manual_seed(0)
    dense = LlamaForCausalLM(resolve_config(dict(TINY)))
    checkpoint.save_model(dense, str(tmp_path / "dense"))
    (tmp_path / "notes.txt").write_text(TEXT)
    assert run_step(tmp_path / "w", "route-stats", {"model": str(tmp_path / "dense"),
                                                    "data": str(tmp_path / "notes.txt")}) == 2
    err = capsys.readouterr().err
    assert "error: model: " in err and "is a dense llama checkpoint" in err and "mixtral" in err
    assert not os.path.exists(tmp_path / "w" / "output" / "profile.json")


# ---- layer_experts: layers with their own expert counts ----

def test_a_mixtral_with_layer_experts_trains_saves_and_reloads_with_equal_logits(tmp_path):
    (tmp_path / "notes.txt").write_text(TEXT * 4)
    arch = dict(MIXTRAL, layer_experts=[4, 2])
    arch.pop("num_local_experts")
    assert run_step(tmp_path / "pre", "pretrain", {
        "model": arch, "data": str(tmp_path / "notes.txt"),
        "config": {"max_steps": 2, "batch_size": 2, "seq_len": 16, "warmup_steps": 1, "log_every": 1,
                   "checkpoint_every": 0}}) == 0
    out = tmp_path / "pre" / "output"
    config = json.load(open(out / "config.json"))
    assert config["layer_experts"] == [4, 2] and config["num_local_experts"] == 4
    from trainyard_trainer import safetensors
    header, _ = safetensors.read_header(str(out / "model.safetensors"))
    assert header["model.layers.0.block_sparse_moe.gate.weight"]["shape"] == [4, 32]
    assert header["model.layers.1.block_sparse_moe.gate.weight"]["shape"] == [2, 32]
    assert "model.layers.1.block_sparse_moe.experts.1.w1.weight" in header
    assert "model.layers.1.block_sparse_moe.experts.2.w1.weight" not in header
    lines = [m for m in metrics(tmp_path / "pre") if "loss" in m]
    assert len(lines) == 2 and all(math.isfinite(m["loss"]) and m["moe/aux_loss"] > 0 for m in lines)
    assert sum(lines[-1][f"moe/layer1/load/expert{j}"] for j in range(2)) == pytest.approx(1.0, abs=1e-4)
    assert lines[-1]["parameters"] == sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")

    loaded, _ = checkpoint.load_model(str(out))
    again = tmp_path / "again"
    checkpoint.save_model(loaded, str(again))
    assert json.load(open(again / "config.json"))["layer_experts"] == [4, 2]
    reloaded, _ = checkpoint.load_model(str(again))
    ids = torch.randint(0, 256, (2, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(loaded(ids), reloaded(ids))

    assert run_step(tmp_path / "w", "route-stats", {"model": str(out), "data": str(tmp_path / "notes.txt"),
                                                    "config": {"seq_len": 16}}) == 0
    profile = profile_of(tmp_path / "w")
    assert profile["model"]["layer_experts"] == [4, 2] and profile["model"]["num_local_experts"] == 4
    assert [len(layer["frequency"]) for layer in profile["layers"]] == [4, 2]
    assert [len(layer["coactivation"]) for layer in profile["layers"]] == [4, 2]
    # Top-2 of 2 experts: every token reaches both.
    assert profile["layers"][1]["frequency"] == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("settings, message", [
    ({"layer_experts": [4]}, r"layer_experts must be a list of 2 integers >= 1 \(one per layer\)"),
    ({"layer_experts": [4, 0]}, r"layer_experts must be a list of 2 integers >= 1"),
    ({"layer_experts": [2, 2]}, r"layer_experts: num_local_experts must be the largest count \(2\); got 4"),
    ({"layer_experts": [4, 1]}, r"num_experts_per_tok \(2\) must be at most the smallest of layer_experts \(1\)"),
])
def test_impossible_layer_experts_are_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message):
        resolve_config(dict(MIXTRAL, **settings))


def test_text_of_a_hugging_face_tokenizer_checkpoint_is_routed_as_its_own_ids(tokenizer_server, real_tokenizers,
                                                                             tmp_path, capsys):
    """A mixtral with Qwen 3's tokenizer: its text is tokenized by that tokenizer (the worker's server), as
    evaluate's perplexity reads it; chat records it cannot render are refused with what to do instead."""
    from trainyard_trainer import tokenizer as tok
    from trainyard_trainer.hf_tokenizer import HfCheckpointTokenizer
    qwen3 = os.path.join(real_tokenizers, "qwen3", "models")
    qwen = tok.Tokenizer("hf", qwen3, tok.sha256_of(os.path.join(qwen3, "tokenizer.json")), None, 151643, 151643)
    torch.manual_seed(0)
    model = LlamaForCausalLM(resolve_config(dict(MIXTRAL, vocab_size=151669, hidden_size=16, num_attention_heads=2,
                                                 intermediate_size=32)))
    model.init_weights(torch.Generator().manual_seed(0))
    checkpoint.save_model(model, str(tmp_path / "moe"), tokenizer=qwen)
    text = "Le chat est sur la table.\n\n机器学习是人工智能的一个分支。\n\nExperts route tokens.\n"
    (tmp_path / "notes.txt").write_text(text, encoding="utf-8")
    assert run_step(tmp_path / "w", "route-stats", {"model": str(tmp_path / "moe"), "data": str(tmp_path / "notes.txt"),
                                                    "config": {"seq_len": 8, "device": "cpu"}}) == 0
    with HfCheckpointTokenizer(str(tmp_path / "moe"), chat=False) as t:
        windows = D.pack_windows(D.read_texts([str(tmp_path / "notes.txt")]), 8, tok=t, shorten=True)
    profile = profile_of(tmp_path / "w")
    assert len(windows) >= 2
    assert profile["dataset"] == {"subset": None, "tokens": len(windows) * 8, "sequences": len(windows)}
    for layer in profile["layers"]:
        assert sum(layer["frequency"]) == pytest.approx(2.0)

    (tmp_path / "chats.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    assert run_step(tmp_path / "c", "route-stats", {"model": str(tmp_path / "moe"),
                                                    "data": str(tmp_path / "chats.jsonl")}) == 2
    assert "chats.jsonl:1 is a chat or instruction record" in capsys.readouterr().err
