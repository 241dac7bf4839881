import hashlib
import json
import os

import pytest
import torch

from trainyard_trainer import checkpoint, lora, safetensors, train
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from trainyard_trainer.runtime import Runtime
from conftest import TINY, metrics, run_step

FAST = {"batch_size": 8, "seq_len": 32, "warmup_steps": 3, "checkpoint_every": 0}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# What the planner writes for `adapter: {type: lora}` (every default filled in).
ADAPTER = {"type": "lora", "r": 8, "alpha": 16, "dropout": 0.0, "target_modules": TARGETS}


def tiny_model(seed=0):
    model = LlamaForCausalLM(resolve_config(TINY))
    model.init_weights(torch.Generator().manual_seed(seed))
    return model


def digests(directory):
    return {name: hashlib.sha256(open(os.path.join(directory, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(directory))}


def first_last(work, key="loss", n=5):
    values = [m[key] for m in metrics(work) if key in m]
    return sum(values[:n]) / n, sum(values[-n:]) / n


@pytest.fixture(scope="module")
def base(tmp_path_factory, datasets_dir):
    """A pretrained tiny llama checkpoint, as the adapters' base (long enough that its frozen embeddings and
    head carry the adapter: after 60 steps a LoRA sft barely moves)."""
    work = tmp_path_factory.mktemp("base")
    assert run_step(work, "pretrain", {"model": TINY, "data": datasets_dir,
                                       "config": dict(FAST, max_steps=200, lr=5e-3)}) == 0
    return str(work / "output")


@pytest.fixture(scope="module")
def sft_adapter(tmp_path_factory, base, datasets_dir):
    """A LoRA sft run on the base; returns its work dir and the base's file digests from before it ran."""
    work = tmp_path_factory.mktemp("lora-sft")
    before = digests(base)
    assert run_step(work, "sft", {"model": base, "data": datasets_dir, "adapter": ADAPTER,
                                  "config": dict(FAST, max_steps=60, lr=1e-2)}) == 0
    return work, before


def test_lora_sft_learns_while_the_base_checkpoint_stays_byte_identical(sft_adapter, base):
    work, before = sft_adapter
    assert digests(base) == before
    first, last = first_last(work)
    assert last < first * 0.75 and last < metrics(work)[0]["loss"] * 0.5
    line = metrics(work)[-1]
    # The registry's parameter count stays the base's; the adapter's own size is reported beside it.
    assert line["parameters"] == resolve_config(TINY).num_params()
    per_layer = sum(8 * (i + o) for i, o in [(32, 32), (32, 16), (32, 16), (32, 32), (32, 64), (32, 64), (64, 32)])
    assert line["trainable_parameters"] == 2 * per_layer


def test_only_the_adapter_tensors_change_in_training(base):
    model = checkpoint.load_model(base)[0]
    frozen = {k: v.clone() for k, v in model.state_dict().items()}
    lora.apply(model, lora.Settings.from_body(ADAPTER))
    optimizer = Runtime({"device": "cpu"}).optimizer(model, 1e-2, 0.1)
    ids = torch.randint(0, 256, (4, 16))
    for _ in range(3):
        model(ids).logsumexp(-1).mean().backward()
        optimizer.step()
        optimizer.zero_grad()
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in frozen.items())
    assert all(not torch.equal(t, torch.zeros_like(t)) for k, t in lora.adapter_state_dict(model).items()
               if k.endswith("lora_B.weight"))
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {
        k[len(lora.PREFIX):] for k in lora.adapter_state_dict(model)}


def test_the_adapter_dir_has_peft_layout_names_and_shapes(sft_adapter, base):
    work = sft_adapter[0]
    out = work / "output"
    assert {"adapter_config.json", "adapter_model.safetensors", "trainyard.json", "tokenizer.json",
            "tokenizer_config.json"} <= set(os.listdir(out))
    assert not (out / "model.safetensors").exists() and not (out / "config.json").exists()
    config = json.load(open(out / "adapter_config.json"))
    assert {k: config[k] for k in ("peft_type", "task_type", "r", "lora_alpha", "lora_dropout", "target_modules",
                                   "bias", "fan_in_fan_out", "inference_mode", "init_lora_weights",
                                   "modules_to_save", "base_model_name_or_path")} == {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 8, "lora_alpha": 16, "lora_dropout": 0.0,
        "target_modules": TARGETS, "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
        "init_lora_weights": True, "modules_to_save": None, "base_model_name_or_path": os.path.realpath(base)}
    header, _ = safetensors.read_header(str(out / "adapter_model.safetensors"))
    header.pop("__metadata__")
    shapes = {"q_proj": (32, 32), "k_proj": (32, 16), "v_proj": (32, 16), "o_proj": (32, 32),
              "gate_proj": (32, 64), "up_proj": (32, 64), "down_proj": (64, 32)}
    expected = {}
    for layer in range(2):
        for name, (fan_in, fan_out) in shapes.items():
            part = "self_attn" if name in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            key = f"base_model.model.model.layers.{layer}.{part}.{name}"
            expected[f"{key}.lora_A.weight"] = [8, fan_in]
            expected[f"{key}.lora_B.weight"] = [fan_out, 8]
    assert {k: v["shape"] for k, v in header.items()} == expected
    assert {v["dtype"] for v in header.values()} == {"F32"}
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert (out / name).read_bytes() == open(os.path.join(base, name), "rb").read()
    info = json.load(open(out / "trainyard.json"))
    assert info["kind"] == "sft" and info["chat"] is True and info["adapter"] == ADAPTER
    assert info["base"] == {"artifact": None, "path": os.path.realpath(base)}


def test_the_base_artifact_id_names_the_adapters_base(tmp_path, base, datasets_dir):
    assert run_step(tmp_path, "sft", {"model": base, "data": datasets_dir, "adapter": ADAPTER,
                                      "config": dict(FAST, max_steps=2, lr=1e-2)},
                    inputs={"model": base}, artifacts={"model": "b" * 64}) == 0
    assert json.load(open(tmp_path / "output" / "adapter_config.json"))["base_model_name_or_path"] == "b" * 64
    assert json.load(open(tmp_path / "output" / "trainyard.json"))["base"]["artifact"] == "b" * 64


def test_merged_weights_equal_w_plus_b_a_times_alpha_over_r(sft_adapter, base):
    model = checkpoint.load_model(base)[0]
    lora.load_adapter(model, str(sft_adapter[0] / "output"))
    ids = torch.randint(0, 256, (2, 24))
    with torch.no_grad():
        adapted = model(ids)
    expected = {}
    for name, m in lora.lora_modules(model).items():
        assert not torch.equal(m.lora_B.weight, torch.zeros_like(m.lora_B.weight))
        expected[name + ".weight"] = m.weight.detach().clone() + m.lora_B.weight @ m.lora_A.weight * (16 / 8)
    lora.merge_into_base(model)
    assert not lora.lora_modules(model)
    merged = model.state_dict()
    for key, want in expected.items():
        assert ((merged[key] - want).norm() / want.norm()).item() <= 1e-6, key
    with torch.no_grad():
        assert torch.allclose(model(ids), adapted, atol=1e-5)


def test_a_saved_adapter_loads_back_with_identical_logits(tmp_path):
    base_dir = str(tmp_path / "base")
    checkpoint.save_model(tiny_model(), base_dir, {"kind": "pretrain"})
    model = checkpoint.load_model(base_dir)[0]
    lora.apply(model, lora.Settings.from_body(dict(ADAPTER, r=4, alpha=8, target_modules=["q_proj", "v_proj"])))
    with torch.no_grad():
        for m in lora.lora_modules(model).values():
            m.lora_B.weight.normal_(0, 0.5)
    ids = torch.randint(0, 256, (2, 20))
    with torch.no_grad():
        before = model(ids)
        base_logits = checkpoint.load_model(base_dir)[0](ids)
    assert not torch.allclose(before, base_logits)
    lora.save_adapter(model, str(tmp_path / "adapter"), {"kind": "sft"}, base_dir)
    again = checkpoint.load_model(base_dir)[0]
    lora.load_adapter(again, str(tmp_path / "adapter"))
    with torch.no_grad():
        assert torch.equal(again(ids), before)
        with lora.disabled(again):
            assert torch.equal(again(ids), base_logits)


def test_dpo_with_lora_uses_the_base_with_adapters_off_as_reference(tmp_path, base, datasets_dir, monkeypatch):
    def no_copy(*_):
        raise AssertionError("the reference must not be a copy of the model")
    monkeypatch.setattr(train.copy, "deepcopy", no_copy)
    before = digests(base)
    assert run_step(tmp_path, "dpo", {"model": base, "data": datasets_dir, "adapter": dict(ADAPTER, dropout=0.1),
                                      "config": dict(FAST, max_steps=30, lr=1e-2, beta=0.5)}) == 0
    lines = metrics(tmp_path)
    # Step 1's batch is scored before any update: B is zero, so policy and reference agree exactly.
    assert lines[0]["step"] == 1 and lines[0]["rewards_chosen"] == 0.0 and lines[0]["rewards_rejected"] == 0.0
    first, last = first_last(tmp_path)
    assert last < first
    assert first_last(tmp_path, "reward_margin")[1] > 0
    assert digests(base) == before
    assert os.path.exists(tmp_path / "output" / "adapter_model.safetensors")


def test_the_adapter_reference_shares_the_policys_parameters():
    model = tiny_model()
    lora.apply(model, lora.Settings.from_body(ADAPTER))
    reference = train.AdaptersOff(model)
    assert reference.model is model
    with torch.no_grad():
        for m in lora.lora_modules(model).values():
            m.lora_B.weight.normal_(0, 0.5)
    ids = torch.randint(0, 256, (2, 12))
    plain = tiny_model()
    with torch.no_grad():
        assert torch.equal(reference(ids), plain(ids))
        assert not torch.allclose(model(ids), plain(ids))  # the adapters are back on after the call


def test_a_resumed_adapter_run_ends_with_the_same_adapter(tmp_path, base, datasets_dir):
    body = {"model": base, "data": datasets_dir, "adapter": dict(ADAPTER, dropout=0.1),
            "config": dict(FAST, max_steps=20, lr=1e-2, checkpoint_every=5, device="cpu")}
    straight = tmp_path / "straight"
    assert run_step(straight, "sft", body) == 0
    state = straight / "checkpoints" / "step-10"
    # A training state holds the adapter and the optimizer, not the model.
    assert {"adapter_model.safetensors", "adapter_config.json", "trainer_state.pt"} <= set(os.listdir(state))
    assert not (state / "model.safetensors").exists()
    resumed = tmp_path / "resumed"
    assert run_step(resumed, "sft", body, resume=str(state)) == 0
    digest = lambda p: hashlib.sha256((p / "output" / "adapter_model.safetensors").read_bytes()).hexdigest()
    assert digest(resumed) == digest(straight)
    assert metrics(resumed)[0] == {"step": 10, "resumed_from_step": 10}


def test_evaluate_with_the_adapter_scores_better_than_the_base_alone(tmp_path, sft_adapter, base, datasets_dir):
    # Held-out additions, chat-formatted for both (the adapter's own trainyard.json says chat).
    body = {"model": base, "data": datasets_dir, "tasks": ["multiple_choice", "preference"],
            "config": {"chat": True}}
    assert run_step(tmp_path / "base", "evaluate", body) == 0
    assert run_step(tmp_path / "adapted", "evaluate", dict(body, adapter=str(sft_adapter[0] / "output"))) == 0
    score = lambda p: json.load(open(p / "output" / "eval.json"))["metrics"]
    alone, adapted = score(tmp_path / "base"), score(tmp_path / "adapted")
    assert adapted["multiple_choice"] > alone["multiple_choice"] + 0.05
    assert adapted["preference_margin"] > alone["preference_margin"]


def test_targets_that_match_no_linear_layer_are_refused_with_the_layers_named():
    with pytest.raises(ValueError, match=r"c_attn match\(es\) no linear layer.*down_proj, gate_proj, k_proj, "
                                         r"lm_head, o_proj, q_proj, up_proj, v_proj"):
        lora.apply(tiny_model(), lora.Settings.from_body(dict(ADAPTER, target_modules=["q_proj", "c_attn"])))


@pytest.mark.parametrize("key", ["use_rslora", "use_dora"])
def test_rslora_and_dora_adapters_are_refused(tmp_path, key):
    model = tiny_model()
    lora.apply(model, lora.Settings.from_body(ADAPTER))
    lora.save_adapter(model, str(tmp_path), {}, str(tmp_path))
    config = json.load(open(tmp_path / "adapter_config.json"))
    json.dump(dict(config, **{key: True}), open(tmp_path / "adapter_config.json", "w"))
    with pytest.raises(ValueError, match=f"{key} is true"):
        lora.load_adapter(tiny_model(), str(tmp_path))


def test_an_incomplete_adapter_setting_fails_the_step_with_one_line(tmp_path, base, datasets_dir, capsys):
    assert run_step(tmp_path, "sft", {"model": base, "data": datasets_dir,
                                      "adapter": {k: v for k, v in ADAPTER.items() if k != "r"},
                                      "config": dict(FAST, max_steps=2)}) == 2
    assert capsys.readouterr().err.strip() == ("error: adapter.r: missing from step.json "
                                               "(the planner writes every default)")


def test_an_adapter_of_another_base_is_refused_naming_what_does_not_fit(tmp_path):
    model = tiny_model()
    lora.apply(model, lora.Settings.from_body(ADAPTER))
    lora.save_adapter(model, str(tmp_path), {}, str(tmp_path))
    deeper = LlamaForCausalLM(resolve_config(dict(TINY, num_hidden_layers=3)))
    with pytest.raises(ValueError, match=r"does not fit the model: missing \['base_model.model.model.layers.2"):
        lora.load_adapter(deeper, str(tmp_path))
    wider = LlamaForCausalLM(resolve_config(dict(TINY, intermediate_size=96)))
    with pytest.raises(ValueError, match=r"gate_proj.lora_B.weight has shape \[64, 8\], the model needs \[96, 8\]"):
        lora.load_adapter(wider, str(tmp_path))
