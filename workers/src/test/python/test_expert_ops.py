"""The Java tensor engine's expert surgery (`prune` method `experts`, `merge` method `moe-experts`, run through
TensorCli from the worker jar) writes a plain Mixtral this trainer loads: the pruned model computes what the
original's kept experts compute, and merging identical experts leaves the logits unchanged (issue 15)."""

import hashlib
import json
import os
import subprocess

import numpy
import torch

from trainyard_trainer import checkpoint
from trainyard_trainer.model import LlamaForCausalLM, SparseMoeBlock, resolve_config
from conftest import TINY

MIXTRAL = dict(TINY, model_type="mixtral", num_local_experts=4, num_experts_per_tok=2)
FREQUENCY = [[0.1, 0.9, 0.3, 0.7], [0.8, 0.2, 0.6, 0.4]]  # layer 0 keeps experts 1, 3; layer 1 keeps 0, 2


def mixtral(seed=0, **overrides):
    model = LlamaForCausalLM(resolve_config(dict(MIXTRAL, **overrides)))
    model.init_weights(torch.Generator().manual_seed(seed))
    with torch.no_grad():  # a router far from uniform
        for layer in model.model.layers:
            layer.block_sparse_moe.gate.weight.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed + 1))
    return model


def ids():
    return torch.randint(0, 256, (2, 16), generator=torch.Generator().manual_seed(3))


def fingerprint(model):
    """The contract's router_fingerprint: sha256 of each layer's router as float32 little-endian."""
    sha = hashlib.sha256()
    for layer in model.model.layers:
        sha.update(numpy.ascontiguousarray(layer.block_sparse_moe.gate.weight.detach().float().numpy(),
                                           dtype="<f4").tobytes())
    return sha.hexdigest()


def write_profile(directory, model):
    os.makedirs(directory)
    eye = [[1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]
    layers = [{"layer": i, "frequency": f, "mean_gate": [0.25] * 4, "mean_output_norm": [1.0] * 4,
               "gate_weighted_output_norm": f, "coactivation": eye, "router_logit_similarity": eye}
              for i, f in enumerate(FREQUENCY)]
    profile = {"format": "trainyard.routing-profile/v1",
               "model": {"model_type": "mixtral", "num_hidden_layers": 2, "num_local_experts": 4,
                         "layer_experts": [4, 4], "num_experts_per_tok": 2, "router_fingerprint": fingerprint(model)},
               "dataset": {"subset": None, "tokens": 32, "sequences": 2}, "layers": layers}
    with open(os.path.join(directory, "profile.json"), "w") as f:
        json.dump(profile, f)


def tensor_cli(kind, yaml_path, out):
    from conftest import WORKER_JAR, _java
    assert os.path.isfile(WORKER_JAR), f"{WORKER_JAR} is missing: build the worker first"
    done = subprocess.run([_java(), "-cp", WORKER_JAR, "dev.trainyard.worker.tensor.TensorCli", kind,
                           "--config", str(yaml_path), "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_mixtral_pruned_to_two_experts_loads_and_computes_what_its_kept_experts_compute(tmp_path):
    model = mixtral()
    checkpoint.save_model(model, str(tmp_path / "moe"))
    original, _ = checkpoint.load_model(str(tmp_path / "moe"), text=False)
    write_profile(str(tmp_path / "profile"), original)
    (tmp_path / "prune.yaml").write_text("model: ./moe\nmethod: experts\nprofile: ./profile\nconfig: {experts: 2}\n")
    tensor_cli("prune", tmp_path / "prune.yaml", tmp_path / "pruned")

    pruned, _ = checkpoint.load_model(str(tmp_path / "pruned"), text=False)
    config = json.load(open(tmp_path / "pruned" / "config.json"))
    assert (config["model_type"], config["num_local_experts"], config["num_experts_per_tok"]) == ("mixtral", 2, 2)
    assert "layer_experts" not in config
    assert [len(m.experts) for m in pruned.modules() if isinstance(m, SparseMoeBlock)] == [2, 2]

    # The reference: the original's tensors, each layer's kept experts and router rows sliced out here.
    kept = [[1, 3], [0, 2]]
    sd = {}
    for name, value in original.hf_state_dict().items():
        if ".block_sparse_moe." not in name:
            sd[name] = value
            continue
        layer = int(name.split(".")[2])
        if name.endswith("gate.weight"):
            sd[name] = value[kept[layer]]
        else:
            j = int(name.split(".experts.")[1].split(".")[0])
            if j in kept[layer]:
                sd[name.replace(f".experts.{j}.", f".experts.{kept[layer].index(j)}.")] = value
    reference = LlamaForCausalLM(resolve_config(dict(MIXTRAL, num_local_experts=2)))
    reference.load_hf_state_dict(sd)
    with torch.no_grad():
        assert torch.equal(pruned.eval()(ids()), reference.eval()(ids()))
        assert not torch.allclose(pruned(ids()), original.eval()(ids()), atol=1e-3)  # routing did change


def test_merging_identical_experts_by_the_tensor_engine_leaves_the_logits_unchanged(tmp_path):
    model = mixtral(seed=4)
    with torch.no_grad():
        for layer in model.model.layers:
            first = layer.block_sparse_moe.experts[0]
            for expert in layer.block_sparse_moe.experts[1:]:
                for w in ("w1", "w2", "w3"):
                    getattr(expert, w).weight.copy_(getattr(first, w).weight)
    checkpoint.save_model(model, str(tmp_path / "moe"))
    original, _ = checkpoint.load_model(str(tmp_path / "moe"), text=False)
    write_profile(str(tmp_path / "profile"), original)
    (tmp_path / "merge.yaml").write_text(
        "method: moe-experts\nmodels: [{model: ./moe}]\nprofile: ./profile\nconfig: {experts: 2, align: true}\n")
    tensor_cli("merge", tmp_path / "merge.yaml", tmp_path / "merged")

    merged, _ = checkpoint.load_model(str(tmp_path / "merged"), text=False)
    assert json.load(open(tmp_path / "merged" / "config.json"))["num_local_experts"] == 2
    assert [len(m.experts) for m in merged.modules() if isinstance(m, SparseMoeBlock)] == [2, 2]
    with torch.no_grad():
        got, want = merged.eval()(ids()), original.eval()(ids())
    assert torch.allclose(got, want, rtol=0, atol=1e-5), (got - want).abs().max()


def test_a_profile_written_by_route_stats_drives_a_per_layer_prune_the_trainer_loads(tmp_path):
    """The two halves of issue 15 items 3-4 together: the trainer's own route-stats profile (not a
    hand-written one) is accepted by the Java engine, which keeps [3, 2] experts per layer (config
    layer_experts), and the trainer loads that model with the kept experts the profile ranked first."""
    from trainyard_trainer import route_stats
    model = mixtral(seed=7)
    checkpoint.save_model(model, str(tmp_path / "moe"))
    (tmp_path / "data.txt").write_text("the quick brown fox 12+34=46\n" * 40)
    os.makedirs(tmp_path / "profile")
    step = {"kind": "route-stats", "runner": {"entry": "route-stats"},
            "body": {"model": str(tmp_path / "moe"), "data": str(tmp_path / "data.txt"),
                     "config": {"seq_len": 32, "batch_size": 8, "seed": 0}},
            "inputs": {}, "artifacts": {}, "output": str(tmp_path / "profile"),
            "metrics": str(tmp_path / "metrics.jsonl"), "gpus": [], "resume": None, "work_dir": str(tmp_path)}
    route_stats.run(step["body"], step)
    profile = json.load(open(tmp_path / "profile" / "profile.json"))
    (tmp_path / "prune.yaml").write_text(
        "model: ./moe\nmethod: experts\nprofile: ./profile\nconfig: {experts: [3, 2], rank_by: frequency}\n")
    tensor_cli("prune", tmp_path / "prune.yaml", tmp_path / "pruned")

    config = json.load(open(tmp_path / "pruned" / "config.json"))
    assert (config["num_local_experts"], config["layer_experts"], config["num_experts_per_tok"]) == (3, [3, 2], 2)
    pruned, _ = checkpoint.load_model(str(tmp_path / "pruned"), text=False)
    original, _ = checkpoint.load_model(str(tmp_path / "moe"), text=False)
    for i, (layer, count) in enumerate(zip(pruned.model.layers, [3, 2])):
        freq = profile["layers"][i]["frequency"]
        kept = sorted(sorted(range(4), key=lambda j: (-freq[j], j))[:count])
        block = layer.block_sparse_moe
        assert len(block.experts) == count
        want_router = original.model.layers[i].block_sparse_moe.gate.weight[kept]
        assert torch.equal(block.gate.weight, want_router)
        for new, old in enumerate(kept):
            assert torch.equal(block.experts[new].w1.weight, original.model.layers[i].block_sparse_moe.experts[old].w1.weight)
    with torch.no_grad():
        assert torch.isfinite(pruned.eval()(ids())).all()
