"""The mixtral family: a sparse mixture-of-experts MLP (router ``gate``, experts ``w1/w2/w3``), top-k routing
computed dropless, the load-balancing and z router losses, routing metrics, the hub layout on disk."""

import json
import os
import math

import pytest
import torch
import torch.nn.functional as F

from trainyard_trainer import checkpoint, moe, safetensors
from trainyard_trainer.model import MLP, LlamaForCausalLM, SparseMoeBlock, resolve_config
from conftest import TINY, metrics, run_step

MIXTRAL = dict(TINY, model_type="mixtral", num_local_experts=4, num_experts_per_tok=2)


def mixtral(seed=0, **overrides):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(resolve_config(dict(MIXTRAL, **overrides)))
    model.init_weights(torch.Generator().manual_seed(seed))
    with torch.no_grad():  # a router far from uniform, so routing differs between tokens
        for layer in model.model.layers:
            layer.block_sparse_moe.gate.weight.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed + 1))
    return model


def ids(seed=7, batch=2, seq=12):
    return torch.randint(0, 256, (batch, seq), generator=torch.Generator().manual_seed(seed))


def per_token_loop(block, x):
    """The reference: token by token, softmax over the N router logits, the k best, their weights renormalised,
    the sum of those experts' outputs; nothing batched."""
    flat = x.reshape(-1, x.shape[-1])
    rows = []
    for t in range(flat.shape[0]):
        probs = torch.softmax(block.gate(flat[t]).float(), dim=-1)
        best = sorted(range(len(probs)), key=lambda e: -probs[e].item())[:block.top_k]
        total = sum(probs[e] for e in best)
        rows.append(sum((probs[e] / total) * block.experts[e](flat[t]) for e in best))
    return torch.stack(rows).reshape(x.shape)


def test_moe_forward_and_backward_equal_a_per_expert_per_token_loop():
    model, reference = mixtral(), mixtral()
    for layer in reference.model.layers:
        block = layer.block_sparse_moe
        block.forward = lambda x, block=block: per_token_loop(block, x)
    batch = ids()
    logits, expected = model(batch), reference(batch)
    assert torch.allclose(logits, expected, atol=1e-5, rtol=0)
    routed = torch.cat([l.argmax(-1) for l in model.router_logits()])
    assert len(routed.unique()) > 1  # the tokens really go to different experts
    upstream = torch.randn(logits.shape, generator=torch.Generator().manual_seed(3))
    (logits * upstream).sum().backward()
    (expected * upstream).sum().backward()
    grads = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.allclose(p.grad, grads[name].grad, atol=1e-5, rtol=1e-4), name


def test_every_token_reaches_its_k_experts_however_unbalanced_the_router():
    model = mixtral()
    block = model.model.layers[0].block_sparse_moe
    with torch.no_grad():  # for positive inputs every token prefers expert 0, then 1: all 15 reach both
        block.gate.weight.zero_()
        block.gate.weight[0], block.gate.weight[1] = 1.0, 0.5
    x = torch.rand(3, 5, 32, generator=torch.Generator().manual_seed(1)) + 0.1
    out = block(x)
    assert block.last_router_logits.argmax(-1).unique().tolist() == [0]
    assert torch.allclose(out, per_token_loop(block, x), atol=1e-6)


def test_the_aux_loss_equals_a_hand_computation():
    ln = math.log
    # 2 experts, top-1, two layers of 2 tokens; probabilities [.25 .75], [.75 .25] | [.25 .75], [.25 .75]
    layers = [torch.tensor([[0.0, ln(3)], [ln(3), 0.0]]), torch.tensor([[0.0, ln(3)], [0.0, ln(3)]])]
    # f (share of tokens per expert, layers pooled) = [1/4, 3/4]; P (mean probability) = [.375, .625]
    assert moe.load_balancing_loss(layers, 1).item() == pytest.approx(2 * (0.25 * 0.375 + 0.75 * 0.625))
    # 3 experts, top-2: probabilities [1 2 3]/6 picks {2, 1}, [3 2 1]/6 picks {0, 1}: f summed over the
    # two slots = [1/2, 1, 1/2], P = [1/3, 1/3, 1/3]: 3 * (1/3) * 2 = 2 (uniform routing gives k)
    one = [torch.log(torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))]
    assert moe.load_balancing_loss(one, 2).item() == pytest.approx(2.0)
    # z-loss: logsumexp of log([1 2 3]) is log 6 for both tokens
    assert moe.z_loss(one).item() == pytest.approx(ln(6) ** 2)


def test_the_router_losses_are_added_with_their_coefficients_and_logged():
    model = mixtral(router_aux_loss_coef=0.5, router_z_loss_coef=0.25)
    model(ids())
    extra, stats = moe.objective_terms(model)
    aux, z = moe.load_balancing_loss(model.router_logits(), 2), moe.z_loss(model.router_logits())
    assert extra.item() == pytest.approx(0.5 * aux.item() + 0.25 * z.item())
    assert stats["moe/aux_loss"] == pytest.approx(aux.item()) and stats["moe/z_loss"] == pytest.approx(z.item())
    for i in range(2):
        loads = [stats[f"moe/layer{i}/load/expert{j}"] for j in range(4)]
        assert sum(loads) == pytest.approx(1.0) and 0 < stats[f"moe/layer{i}/entropy"] < math.log(4)
    extra.backward()
    assert model.model.layers[0].block_sparse_moe.gate.weight.grad.abs().sum() > 0
    with torch.no_grad():  # an evaluation or a DPO reference pass does not replace the training forward's
        model(ids(seed=8, batch=1, seq=3))
    assert model.router_logits()[0].shape[0] == 2 * 12
    dense = LlamaForCausalLM(resolve_config(TINY))
    dense(ids())
    assert moe.objective_terms(dense) == (None, {})


def test_top_k_weights_are_renormalised_to_sum_one():
    weights, experts = moe.route(torch.log(torch.tensor([[1.0, 2.0, 3.0, 4.0]])), 2)
    assert experts.tolist() == [[3, 2]]
    assert torch.allclose(weights, torch.tensor([[4 / 7, 3 / 7]]))
    weights, _ = moe.route(torch.randn(5, 4, dtype=torch.bfloat16), 4)
    assert weights.dtype == torch.float32 and torch.allclose(weights.sum(-1), torch.ones(5))


def test_with_identical_experts_the_moe_model_computes_the_dense_model():
    torch.manual_seed(0)
    dense = LlamaForCausalLM(resolve_config(TINY))
    dense.init_weights(torch.Generator().manual_seed(0))
    sparse = mixtral(seed=5)
    sd = {}
    for name, value in dense.hf_state_dict().items():
        if ".mlp." not in name:
            sd[name] = value
            continue
        prefix, proj = name.split(".mlp.")
        for j in range(4):
            hub = {"gate_proj.weight": "w1", "up_proj.weight": "w3", "down_proj.weight": "w2"}[proj]
            sd[f"{prefix}.block_sparse_moe.experts.{j}.{hub}.weight"] = value
    for i in range(2):  # a random router: whichever experts are picked, the renormalised sum is one MLP
        sd[f"model.layers.{i}.block_sparse_moe.gate.weight"] = torch.randn(4, 32)
    sparse.load_hf_state_dict(sd)
    with torch.no_grad():
        assert torch.allclose(sparse(ids()), dense(ids()), atol=1e-5, rtol=0)
    mlp, block = MLP(resolve_config(TINY)), SparseMoeBlock(resolve_config(MIXTRAL))
    for e in block.experts:
        e.w1.weight, e.w2.weight, e.w3.weight = mlp.gate_proj.weight, mlp.down_proj.weight, mlp.up_proj.weight
    x = torch.randn(2, 6, 32)
    assert torch.allclose(block(x), mlp(x), atol=1e-6)


def test_a_saved_mixtral_has_the_hub_layout_and_loads_back_with_identical_logits(tmp_path):
    model = mixtral(router_z_loss_coef=0.001)
    checkpoint.save_model(model, str(tmp_path))
    header, _ = safetensors.read_header(str(tmp_path / "model.safetensors"))
    prefix = "model.layers.1.block_sparse_moe."
    assert header[prefix + "gate.weight"]["shape"] == [4, 32]
    assert header[prefix + "experts.3.w1.weight"]["shape"] == [64, 32]
    assert header[prefix + "experts.3.w3.weight"]["shape"] == [64, 32]
    assert header[prefix + "experts.3.w2.weight"]["shape"] == [32, 64]
    assert not any(".mlp." in name for name in header)
    config = json.load(open(tmp_path / "config.json"))
    assert config["model_type"] == "mixtral" and config["architectures"] == ["MixtralForCausalLM"]
    assert (config["num_local_experts"], config["num_experts_per_tok"]) == (4, 2)
    assert (config["router_aux_loss_coef"], config["router_z_loss_coef"]) == (0.001, 0.001)
    assert config["output_router_logits"] is False and config["router_jitter_noise"] == 0.0
    config.update(output_router_logits=True, transformers_version="4.46.0")  # a key we don't model survives
    (tmp_path / "config.json").write_text(json.dumps(config))
    loaded, _ = checkpoint.load_model(str(tmp_path), text=False)
    with torch.no_grad():
        assert torch.equal(loaded(ids()), model(ids()))
    again = tmp_path / "again"
    checkpoint.save_model(loaded, str(again))
    written = json.load(open(again / "config.json"))
    assert written["output_router_logits"] is True and written["transformers_version"] == "4.46.0"
    assert written["router_z_loss_coef"] == 0.001


def assert_routing_metrics(lines):
    for line in lines:
        assert line["moe/aux_loss"] > 0 and line["moe/z_loss"] > 0
        for i in range(2):
            assert 0 < line[f"moe/layer{i}/entropy"] <= math.log(4) + 1e-6
            assert sum(line[f"moe/layer{i}/load/expert{j}"] for j in range(4)) == pytest.approx(1.0, abs=1e-4)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, datasets_dir):
    work = tmp_path_factory.mktemp("moe-pre")
    assert run_step(work, "pretrain", {
        "model": dict(MIXTRAL, router_z_loss_coef=0.001), "data": datasets_dir,
        "config": {"max_steps": 20, "batch_size": 8, "seq_len": 32, "warmup_steps": 2, "lr": 5e-3,
                   "log_every": 1, "checkpoint_every": 0}}) == 0
    return work


def test_pretraining_a_tiny_mixtral_lowers_the_loss_and_logs_routing_metrics(pretrained):
    lines = [m for m in metrics(pretrained) if "loss" in m]
    assert len(lines) == 20
    assert sum(m["loss"] for m in lines[-3:]) / 3 < 0.8 * sum(m["loss"] for m in lines[:3]) / 3
    assert_routing_metrics(lines)
    config = json.load(open(pretrained / "output" / "config.json"))
    assert config["model_type"] == "mixtral" and config["num_local_experts"] == 4
    assert lines[-1]["parameters"] == resolve_config(MIXTRAL).num_params()


@pytest.mark.parametrize("kind, extra", [("sft", {}), ("dpo", {}),
                                         ("dpo", {"adapter": {"type": "lora", "r": 4, "alpha": 8, "dropout": 0.0,
                                                              "target_modules": ["q_proj", "w1", "w2", "w3"]}})])
def test_sft_and_dpo_of_a_mixtral_train_with_the_router_losses(kind, extra, tmp_path, pretrained, datasets_dir):
    config = {"max_steps": 4, "batch_size": 4, "seq_len": 32, "warmup_steps": 1, "log_every": 1,
              "checkpoint_every": 0}
    assert run_step(tmp_path, kind, dict({"model": str(pretrained / "output"), "data": datasets_dir,
                                          "config": config}, **extra)) == 0
    lines = [m for m in metrics(tmp_path) if "loss" in m]
    assert len(lines) == 4
    assert_routing_metrics(lines)


@pytest.mark.parametrize("settings, message", [
    ({"num_local_experts": 2, "num_experts_per_tok": 3},
     r"num_experts_per_tok must be an integer between 1 and num_local_experts \(2\); got 3"),
    ({"num_local_experts": 0}, "num_local_experts must be an integer >= 1; got 0"),
    ({"num_experts_per_tok": 0}, r"num_experts_per_tok must be an integer between 1 and num_local_experts"),
    ({"router_jitter_noise": 0.1}, "router_jitter_noise: only 0 is supported"),
])
def test_an_impossible_expert_setting_is_refused_by_name(settings, message, tmp_path, datasets_dir, capsys):
    with pytest.raises(ValueError, match=message):
        resolve_config(dict(MIXTRAL, **settings))
    assert run_step(tmp_path, "pretrain", {"model": dict(MIXTRAL, **settings), "data": datasets_dir,
                                           "config": {"max_steps": 2}}) == 2
    assert message.split(":")[0].split(" must")[0] in capsys.readouterr().err


def test_a_dense_llama_upcycled_by_the_tensor_engine_computes_exactly_the_dense_function(tmp_path):
    """The Java `upcycle` kind (TensorCli, the worker jar) writes the Mixtral hub layout with identical experts
    and a zero router; this trainer loads it as an MoE whose renormalised top-k mix of identical experts is the
    dense MLP, so the logits equal the dense model's (issue 15, "Done means")."""
    import subprocess
    from conftest import WORKER_JAR, _java
    assert os.path.isfile(WORKER_JAR), f"{WORKER_JAR} is missing: build the worker first"
    torch.manual_seed(0)
    dense = LlamaForCausalLM(resolve_config(dict(TINY, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                 num_attention_heads=4, num_key_value_heads=2)))
    dense.init_weights(torch.Generator().manual_seed(0))
    checkpoint.save_model(dense, str(tmp_path / "dense"))
    (tmp_path / "upcycle.yaml").write_text(
        "model: ./dense\nconfig: {experts: 4, top_k: 2, router_init: zeros, router_std: 0.02, noise: 0.0, seed: 0, "
        "aux_loss_coef: 0.001, max_shard_bytes: 5000000000}\n")
    done = subprocess.run([_java(), "-cp", WORKER_JAR, "dev.trainyard.worker.tensor.TensorCli", "upcycle",
                           "--config", str(tmp_path / "upcycle.yaml"), "--out", str(tmp_path / "moe"), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    upcycled, _ = checkpoint.load_model(str(tmp_path / "moe"), text=False)
    assert upcycled.config.to_hf()["model_type"] == "mixtral"
    assert sum(isinstance(m, SparseMoeBlock) for m in upcycled.modules()) == 2
    ids = torch.randint(0, 256, (2, 24), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = dense.eval()(ids), upcycled.eval()(ids)
    assert torch.allclose(got, want, rtol=0, atol=1e-5), (got - want).abs().max()
