"""Model families (llama, qwen2, qwen3, mistral; mixtral's experts are in test_moe.py): each loads from the
config.json its transformers class writes, trains, and is written back in its own layout; RoPE scaling kinds; refusals; dtypes; shards."""

import json
import math
import os
import shutil

import pytest
import torch

from trainyard_trainer import checkpoint, safetensors
from trainyard_trainer import tokenizer as tok
from trainyard_trainer.model import LlamaConfig, LlamaForCausalLM, rope_tables, resolve_config
from conftest import TINY, metrics, run_step, write_tokens

VOCAB = 256
BASE = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": VOCAB, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
        "hidden_act": "silu", "initializer_range": 0.02, "attention_dropout": 0.0, "use_cache": True,
        "bos_token_id": 1, "eos_token_id": 2, "transformers_version": "4.51.3", "torch_dtype": "float32"}

# config.json as each family's transformers config class writes it for a tiny model, with the family's
# distinctive settings (written out here, not produced by the trainer).
CONFIGS = {
    "llama": dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama", attention_bias=False,
                  mlp_bias=False, pretraining_tp=1, rope_theta=500000.0, tie_word_embeddings=False,
                  head_dim=16, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                             "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
    "qwen2": dict(BASE, architectures=["Qwen2ForCausalLM"], model_type="qwen2", rope_theta=1000000.0,
                  tie_word_embeddings=True, use_sliding_window=False, sliding_window=4096, max_window_layers=2,
                  rope_scaling=None, eos_token_id=151643),
    "qwen3": dict(BASE, architectures=["Qwen3ForCausalLM"], model_type="qwen3", head_dim=32, attention_bias=False,
                  rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False, sliding_window=None,
                  max_window_layers=2, rope_scaling=None),
    "mistral": dict(BASE, architectures=["MistralForCausalLM"], model_type="mistral", num_key_value_heads=1,
                    head_dim=24, rope_theta=1000000.0, sliding_window=4096, tie_word_embeddings=False),
}

LAYER = "model.layers.0."
# What transformers' class of each family names its parameters, and their shapes (hidden 64, 4 heads).
EXPECTED = {
    "llama": {LAYER + "self_attn.q_proj.weight": (64, 64), LAYER + "self_attn.k_proj.weight": (32, 64),
              LAYER + "self_attn.o_proj.weight": (64, 64), "lm_head.weight": (VOCAB, 64)},
    "qwen2": {LAYER + "self_attn.q_proj.bias": (64,), LAYER + "self_attn.k_proj.bias": (32,),
              LAYER + "self_attn.v_proj.bias": (32,), LAYER + "self_attn.o_proj.weight": (64, 64)},
    "qwen3": {LAYER + "self_attn.q_norm.weight": (32,), LAYER + "self_attn.k_norm.weight": (32,),
              LAYER + "self_attn.q_proj.weight": (128, 64), LAYER + "self_attn.k_proj.weight": (64, 64),
              LAYER + "self_attn.o_proj.weight": (64, 128)},
    "mistral": {LAYER + "self_attn.q_proj.weight": (96, 64), LAYER + "self_attn.k_proj.weight": (24, 64),
                LAYER + "self_attn.v_proj.weight": (24, 64), "lm_head.weight": (VOCAB, 64)},
}
ABSENT = {"llama": ["q_proj.bias", "o_proj.bias", "q_norm.weight", "gate_proj.bias"],
          "qwen2": ["o_proj.bias", "lm_head.weight", "q_norm.weight", "gate_proj.bias"],
          "qwen3": ["q_proj.bias", "o_proj.bias", "lm_head.weight"],
          "mistral": ["q_proj.bias", "o_proj.bias", "q_norm.weight"]}
FAMILIES = sorted(CONFIGS)


def randomised(model, seed=0):
    """Every parameter random (biases and norm weights too), so a tensor loaded wrongly changes the logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            base = 1.0 if name.endswith("norm.weight") else 0.0
            p.copy_(base + 0.2 * torch.randn(p.shape, generator=g))
    return model


def family_model(family, seed=0, **overrides):
    return randomised(LlamaForCausalLM(LlamaConfig.from_hf(dict(CONFIGS[family], **overrides))), seed)


def write_hf_checkpoint(directory, family, model, shards=None, dtype=torch.float32, tokenizer_from=None):
    """A checkpoint as transformers' save_pretrained lays it out: the family's config.json, the weights
    (``shards``: file name → tensor names, with an index), no trainyard.json; the tokenizer files of
    ``tokenizer_from`` (token shards) when given."""
    os.makedirs(directory, exist_ok=True)
    sd = {k: v.detach().to(dtype) for k, v in model.hf_state_dict().items()}
    config = dict(CONFIGS[family], torch_dtype=str(dtype).replace("torch.", ""))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f)
    if shards is None:
        safetensors.save_file(sd, os.path.join(directory, "model.safetensors"), {"format": "pt"})
    else:
        weight_map = {}
        for fname, names in shards.items():
            safetensors.save_file({n: sd[n] for n in names}, os.path.join(directory, fname), {"format": "pt"})
            weight_map.update({n: fname for n in names})
        assert set(weight_map) == set(sd)
        with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)
    if tokenizer_from:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            if os.path.exists(os.path.join(tokenizer_from, name)):
                shutil.copyfile(os.path.join(tokenizer_from, name), os.path.join(directory, name))
    return directory


IDS = torch.randint(0, VOCAB, (2, 24), generator=torch.Generator().manual_seed(7))


def logits(model, ids=IDS):
    model.eval()
    with torch.no_grad():
        return model(ids)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_has_its_transformers_class_parameter_names_and_shapes(family, tmp_path):
    write_hf_checkpoint(str(tmp_path), family, family_model(family))
    model, _ = checkpoint.load_model(str(tmp_path), text=False)
    sd = model.hf_state_dict()
    for name, shape in EXPECTED[family].items():
        assert tuple(sd[name].shape) == shape, name
    for suffix in ABSENT[family]:
        assert not [n for n in sd if n.endswith(suffix)], suffix
    assert model.config.num_params() == sum(t.numel() for t in sd.values())


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_checkpoint_written_back_single_and_sharded_gives_equal_logits_and_keeps_its_config(family, tmp_path):
    source = write_hf_checkpoint(str(tmp_path / "hf"), family, family_model(family))
    loaded, _ = checkpoint.load_model(source, text=False)
    expected = logits(family_model(family))
    assert torch.equal(logits(loaded), expected)

    checkpoint.save_model(loaded, str(tmp_path / "single"))
    checkpoint.save_model(loaded, str(tmp_path / "sharded"), max_shard_bytes=40_000)
    shards = sorted(n for n in os.listdir(tmp_path / "sharded") if n.endswith(".safetensors"))
    assert len(shards) >= 2 and shards[0] == f"model-00001-of-{len(shards):05d}.safetensors"
    index = json.load(open(tmp_path / "sharded" / "model.safetensors.index.json"))
    assert sorted(set(index["weight_map"].values())) == shards
    assert not (tmp_path / "sharded" / "model.safetensors").exists()
    for out in ("single", "sharded"):
        again, _ = checkpoint.load_model(str(tmp_path / out), text=False)
        assert torch.equal(logits(again), expected), out
        written = json.load(open(tmp_path / out / "config.json"))
        for key, value in CONFIGS[family].items():
            assert written[key] == value, (out, key)


def test_shards_with_names_of_another_writer_load_through_their_index(tmp_path):
    model = family_model("qwen2")
    names = sorted(model.hf_state_dict())
    half = len(names) // 2
    write_hf_checkpoint(str(tmp_path), "qwen2", model,
                        shards={"pytorch-weights_a.safetensors": names[:half], "b.safetensors": names[half:]})
    loaded, _ = checkpoint.load_model(str(tmp_path), text=False)
    assert torch.equal(logits(loaded), logits(model))


def test_an_index_naming_a_missing_shard_or_a_path_outside_is_refused(tmp_path):
    model = family_model("llama")
    names = sorted(model.hf_state_dict())
    write_hf_checkpoint(str(tmp_path), "llama", model, shards={"one.safetensors": names})
    index = tmp_path / "model.safetensors.index.json"
    doc = json.load(open(index))
    doc["weight_map"][names[0]] = "gone.safetensors"
    index.write_text(json.dumps(doc))
    with pytest.raises(FileNotFoundError, match="gone.safetensors"):
        checkpoint.load_model(str(tmp_path), text=False)
    doc["weight_map"][names[0]] = "../one.safetensors"
    index.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="not a file name"):
        checkpoint.load_model(str(tmp_path), text=False)


def _repetitive_tokens(root):
    docs = [[(7 * i + j) % 50 + 3 for j in range(40)] for i in range(16)]
    return write_tokens(root, {"train": docs}, VOCAB, bos_id=1, eos_id=2, pad_id=0)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_trains_20_steps_and_its_written_checkpoint_gives_the_logits_it_had(family, tmp_path, monkeypatch):
    shards = _repetitive_tokens(str(tmp_path / "tokens"))
    source = write_hf_checkpoint(str(tmp_path / "hf"), family, family_model(family), tokenizer_from=shards)
    before_training = logits(checkpoint.load_model(source, text=False)[0])
    at_save = {}
    real_save = checkpoint.save_model

    def save_and_remember(model, directory, *args, **kwargs):
        at_save["logits"] = logits(model).clone()  # the trained model, in memory, just before it is written
        return real_save(model, directory, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "save_model", save_and_remember)
    work = tmp_path / "work"
    assert run_step(work, "continual-pretrain", {
        "model": source, "data": shards,
        "config": {"max_steps": 20, "lr": 3e-3, "warmup_steps": 2, "batch_size": 4, "seq_len": 32,
                   "checkpoint_every": 0, "device": "cpu"}}) == 0
    losses = [m["loss"] for m in metrics(work) if "loss" in m]
    assert len(losses) == 20 and losses[-1] < losses[0]
    out = str(work / "output")
    trained, _ = checkpoint.load_model(out, text=False)
    assert torch.equal(logits(trained), at_save["logits"])
    assert not torch.allclose(at_save["logits"], before_training)
    written = json.load(open(os.path.join(out, "config.json")))
    assert written["model_type"] == family and written["architectures"] == CONFIGS[family]["architectures"]
    for key in ("transformers_version", "eos_token_id", "rope_scaling", "sliding_window", "max_window_layers",
                "tie_word_embeddings", "head_dim"):
        if key in CONFIGS[family]:
            assert written[key] == CONFIGS[family][key], key
    assert set(trained.hf_state_dict()) == set(family_model(family).hf_state_dict())


def test_pretrain_makes_a_qwen2_model_when_the_architecture_names_the_model_type(tmp_path, datasets_dir):
    assert run_step(tmp_path, "pretrain", {
        "model": dict(TINY, model_type="qwen2", tie_word_embeddings=True), "data": datasets_dir,
        "config": {"max_steps": 3, "batch_size": 4, "seq_len": 32, "warmup_steps": 1, "checkpoint_every": 0}}) == 0
    out = tmp_path / "output"
    config = json.load(open(out / "config.json"))
    assert config["model_type"] == "qwen2" and config["architectures"] == ["Qwen2ForCausalLM"]
    assert config["use_sliding_window"] is False and config["bos_token_id"] == tok.BOS
    header, _ = safetensors.read_header(str(out / "model.safetensors"))
    assert "model.layers.0.self_attn.q_proj.bias" in header and "lm_head.weight" not in header
    assert "model.layers.0.self_attn.o_proj.bias" not in header


def test_a_fresh_llama_config_is_unchanged_by_the_families():
    config = resolve_config(TINY).to_hf()
    assert config["model_type"] == "llama" and config["architectures"] == ["LlamaForCausalLM"]
    assert config["attention_bias"] is False and config["mlp_bias"] is False and config["rope_scaling"] is None
    assert (config["bos_token_id"], config["eos_token_id"], config["pad_token_id"]) == (tok.BOS, tok.EOS, tok.PAD)
    assert config["hidden_act"] == "silu" and config["pretraining_tp"] == 1 and config["torch_dtype"] == "float32"


def test_a_transformers_5_config_with_rope_parameters_and_dtype_round_trips_as_written(tmp_path):
    config = {k: v for k, v in CONFIGS["qwen3"].items() if k not in ("rope_theta", "rope_scaling", "torch_dtype")}
    config.update(dtype="float32", rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 5000.0})
    loaded = LlamaConfig.from_hf(config)
    assert loaded.rope_theta == 5000.0 and loaded.rope_scaling["factor"] == 2.0
    written = loaded.to_hf("bfloat16")
    assert written["rope_parameters"] == config["rope_parameters"]
    assert "rope_scaling" not in written and "rope_theta" not in written
    assert written["dtype"] == written["torch_dtype"] == "bfloat16"


def test_llama_attention_and_mlp_biases_follow_the_config(tmp_path):
    model = family_model("llama", attention_bias=True, mlp_bias=True)
    names = set(model.hf_state_dict())
    assert {LAYER + "self_attn.q_proj.bias", LAYER + "self_attn.o_proj.bias", LAYER + "mlp.down_proj.bias"} <= names
    checkpoint.save_model(model, str(tmp_path))
    assert json.load(open(tmp_path / "config.json"))["attention_bias"] is True
    assert torch.equal(logits(checkpoint.load_model(str(tmp_path), text=False)[0]), logits(model))


# ---- refusals ----

def test_an_unknown_model_type_is_refused_naming_the_supported_families(tmp_path, capsys):
    os.makedirs(tmp_path / "gpt2")
    (tmp_path / "gpt2" / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 64}))
    with pytest.raises(ValueError, match="model_type 'gpt2' is not supported; the trainer supports "
                                         "llama, qwen2, qwen3, mistral, mixtral"):
        checkpoint.load_model(str(tmp_path / "gpt2"), text=False)
    shards = _repetitive_tokens(str(tmp_path / "tokens"))
    assert run_step(tmp_path / "w", "continual-pretrain", {"model": str(tmp_path / "gpt2"), "data": shards,
                                                           "config": {"max_steps": 2}}) == 2
    assert "llama, qwen2, qwen3, mistral, mixtral" in capsys.readouterr().err
    with pytest.raises(ValueError, match="model_type 'olmo2'"):
        resolve_config(dict(TINY, model_type="olmo2"))


@pytest.mark.parametrize("scaling", [{"rope_type": "longrope", "factor": 2.0, "short_factor": [1.0]},
                                     {"type": "su", "factor": 2.0}])
def test_an_unsupported_rope_kind_is_refused_naming_the_supported_ones(scaling):
    with pytest.raises(ValueError, match="not supported; the trainer supports linear, dynamic, llama3, yarn"):
        LlamaConfig.from_hf(dict(CONFIGS["llama"], rope_scaling=scaling))


def test_a_rope_kind_without_its_parameters_is_refused_by_key():
    with pytest.raises(ValueError, match="rope_scaling.low_freq_factor"):
        LlamaConfig.from_hf(dict(CONFIGS["llama"], rope_scaling={"rope_type": "llama3", "factor": 8.0}))


def test_a_qwen_sliding_window_is_refused_and_a_mistral_window_shorter_than_the_sequence_too():
    with pytest.raises(ValueError, match="use_sliding_window"):
        LlamaConfig.from_hf(dict(CONFIGS["qwen2"], use_sliding_window=True))
    with pytest.raises(ValueError, match="layer_types"):  # how transformers >= 4.53 marks sliding layers
        LlamaConfig.from_hf(dict(CONFIGS["qwen3"], layer_types=["full_attention", "sliding_attention"]))
    LlamaConfig.from_hf(dict(CONFIGS["qwen3"], layer_types=["full_attention"] * 2))
    model = family_model("mistral", sliding_window=16)
    assert logits(model, IDS[:, :16]).shape == (2, 16, VOCAB)  # within the window: plain causal attention
    with pytest.raises(ValueError, match="exceeds the model's sliding_window 16"):
        logits(model, IDS)
    with pytest.raises(ValueError, match="hidden_act 'gelu'"):
        LlamaConfig.from_hf(dict(CONFIGS["mistral"], hidden_act="gelu"))


# ---- RoPE scaling: the trainer's frequencies against the published formulas, computed here in floats ----

HEAD_DIM, THETA, MAX_POS = 16, 10000.0, 128


def plain(i):
    return THETA ** (-2 * i / HEAD_DIM)


def rope_config(scaling, **kw):
    return LlamaConfig(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, rope_theta=THETA,
                       max_position_embeddings=MAX_POS, rope_scaling=scaling, **kw)


def frequencies(config, seq_len):
    """The angular frequencies the model's rotary tables hold at length seq_len, read back from sin/cos."""
    model = LlamaForCausalLM(config)
    cos, sin = model._rope_for(seq_len, torch.device("cpu"))
    return cos, sin


def assert_tables(config, seq_len, freqs, scale=1.0):
    cos, sin = frequencies(config, seq_len)
    assert cos.shape == (seq_len, HEAD_DIM)
    for pos in (1, 5, seq_len - 1):
        for i, f in enumerate(freqs):
            assert cos[pos, i].item() == pytest.approx(scale * math.cos(pos * f), abs=2e-5), (pos, i)
            assert sin[pos, i + HEAD_DIM // 2].item() == pytest.approx(scale * math.sin(pos * f), abs=2e-5)


def test_no_scaling_uses_theta_to_the_minus_2i_over_d():
    assert_tables(rope_config(None), 64, [plain(i) for i in range(HEAD_DIM // 2)])


@pytest.mark.parametrize("key", ["rope_type", "type"])
def test_linear_scaling_divides_every_frequency_by_the_factor(key):
    assert_tables(rope_config({key: "linear", "factor": 4.0}), 64, [plain(i) / 4 for i in range(HEAD_DIM // 2)])


def test_dynamic_scaling_stretches_the_base_only_beyond_max_position_embeddings():
    config = rope_config({"type": "dynamic", "factor": 2.0})
    assert_tables(config, 100, [plain(i) for i in range(HEAD_DIM // 2)])
    L = 300
    base = THETA * ((2.0 * L / MAX_POS) - 1.0) ** (HEAD_DIM / (HEAD_DIM - 2))
    assert_tables(config, L, [base ** (-2 * i / HEAD_DIM) for i in range(HEAD_DIM // 2)])
    assert_tables(config, 100, [plain(i) for i in range(HEAD_DIM // 2)])  # a shorter batch after: unscaled again


def test_llama3_scaling_divides_long_wavelengths_keeps_short_ones_and_blends_between():
    factor, low, high, old = 8.0, 1.0, 4.0, 256
    expected, regions = [], set()
    for i in range(HEAD_DIM // 2):
        f = plain(i)
        wavelen = 2 * math.pi / f
        if wavelen < old / high:
            expected.append(f)
            regions.add("high")
        elif wavelen > old / low:
            expected.append(f / factor)
            regions.add("low")
        else:
            smooth = (old / wavelen - low) / (high - low)
            expected.append((1 - smooth) * f / factor + smooth * f)
            regions.add("medium")
    assert regions == {"high", "low", "medium"}
    assert_tables(rope_config({"rope_type": "llama3", "factor": factor, "low_freq_factor": low,
                               "high_freq_factor": high, "original_max_position_embeddings": old}), 64, expected)


@pytest.mark.parametrize("extra,scale", [({}, 0.1 * math.log(4.0) + 1.0),
                                         ({"attention_factor": 0.5}, 0.5),
                                         ({"mscale": 1.0, "mscale_all_dim": 0.5},
                                          (0.1 * math.log(4.0) + 1.0) / (0.05 * math.log(4.0) + 1.0))])
def test_yarn_blends_interpolated_and_extrapolated_frequencies_and_scales_cos_sin(extra, scale):
    factor, original, beta_fast, beta_slow = 4.0, 256, 32, 1
    d = HEAD_DIM

    def correction_dim(rotations):
        return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(THETA))

    lo, hi = max(math.floor(correction_dim(beta_fast)), 0), min(math.ceil(correction_dim(beta_slow)), d - 1)
    expected = []
    for i in range(d // 2):
        ramp = min(max((i - lo) / (hi - lo), 0.0), 1.0)  # 0: keep (extrapolate), 1: interpolate
        expected.append(plain(i) / factor * ramp + plain(i) * (1 - ramp))
    assert expected[0] == pytest.approx(plain(0)) and expected[-1] == pytest.approx(plain(d // 2 - 1) / factor)
    config = rope_config(dict({"rope_type": "yarn", "factor": factor, "original_max_position_embeddings": original},
                              **extra))
    assert_tables(config, 64, expected, scale)


# ---- dtypes ----

def test_a_bf16_checkpoint_loads_as_float32_and_is_written_back_as_bf16_unless_told_otherwise(tmp_path):
    model = family_model("qwen3")
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.bfloat16().float())  # exactly representable, so the round trip must be exact
    source = write_hf_checkpoint(str(tmp_path / "hf"), "qwen3", model, dtype=torch.bfloat16)
    loaded, _ = checkpoint.load_model(source, text=False)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    assert loaded.config.torch_dtype == "bfloat16"
    assert torch.equal(logits(loaded), logits(model))

    checkpoint.save_model(loaded, str(tmp_path / "bf16"))
    checkpoint.save_model(loaded, str(tmp_path / "f32"), dtype=torch.float32)
    for out, code, name in (("bf16", "BF16", "bfloat16"), ("f32", "F32", "float32")):
        header, _ = safetensors.read_header(str(tmp_path / out / "model.safetensors"))
        assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {code}, out
        assert json.load(open(tmp_path / out / "config.json"))["torch_dtype"] == name
        assert torch.equal(logits(checkpoint.load_model(str(tmp_path / out), text=False)[0]), logits(model))


def test_training_a_bf16_checkpoint_writes_bf16_and_keeps_float32_resume_states(tmp_path):
    shards = _repetitive_tokens(str(tmp_path / "tokens"))
    source = write_hf_checkpoint(str(tmp_path / "hf"), "mistral", family_model("mistral"), dtype=torch.bfloat16,
                                 tokenizer_from=shards)
    work = tmp_path / "work"
    assert run_step(work, "continual-pretrain", {
        "model": source, "data": shards,
        "config": {"max_steps": 2, "batch_size": 2, "seq_len": 16, "warmup_steps": 1, "checkpoint_every": 1}}) == 0
    out_header, _ = safetensors.read_header(str(work / "output" / "model.safetensors"))
    assert {v["dtype"] for k, v in out_header.items() if k != "__metadata__"} == {"BF16"}
    assert json.load(open(work / "output" / "config.json"))["torch_dtype"] == "bfloat16"
    state_header, _ = safetensors.read_header(str(work / "checkpoints" / "step-1" / "model.safetensors"))
    assert {v["dtype"] for k, v in state_header.items() if k != "__metadata__"} == {"F32"}


def test_the_trainers_families_are_exactly_the_platforms_list():
    """One source per fact: ModelFamilies.java is the list the backend imports by; the trainer's table must
    hold the same names (step_kinds.json carries the Java list, generated by TrainerCatalogueTest)."""
    import json
    import os
    from trainyard_trainer import families
    path = os.path.join(os.path.dirname(families.__file__), "step_kinds.json")
    with open(path, encoding="utf-8") as f:
        catalogue = json.load(f)
    assert list(families.SUPPORTED) == catalogue["model_families"] == ["llama", "qwen2", "qwen3", "mistral",
                                                                       "mixtral"]
