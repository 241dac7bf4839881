import json
import os
import struct

import torch

from trainyard_trainer import checkpoint, safetensors
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from trainyard_trainer.tokenizer import ASSISTANT, BOS, EOS, USER, ByteTokenizer
from conftest import TINY, preset


def test_safetensors_round_trip_keeps_every_dtype_and_value(tmp_path):
    tensors = {"a.f32": torch.randn(3, 4), "b.bf16": torch.randn(5).to(torch.bfloat16),
               "c.f16": torch.randn(2, 2).half(), "d.i64": torch.arange(7), "e.bool": torch.tensor([True, False]),
               "f.scalar": torch.tensor(3.5)}
    path = str(tmp_path / "x.safetensors")
    safetensors.save_file(tensors, path, {"format": "pt"})
    back = safetensors.load_file(path)
    assert set(back) == set(tensors)
    for k, t in tensors.items():
        assert back[k].dtype == t.dtype and back[k].shape == t.shape and torch.equal(back[k], t), k
    assert safetensors.metadata(path) == {"format": "pt"}


def test_safetensors_layout_is_the_published_format(tmp_path):
    path = str(tmp_path / "x.safetensors")
    safetensors.save_file({"w": torch.tensor([1.0, 2.0])}, path)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    assert raw[8 + n:] == struct.pack("<2f", 1.0, 2.0)
    assert (8 + n) % 8 == 0


def test_tiny_preset_has_about_half_a_million_parameters_with_hf_llama_names():
    config = resolve_config(preset("tiny"))
    model = LlamaForCausalLM(config)
    n = sum(p.numel() for p in model.parameters())
    assert 400_000 < n < 600_000
    assert n == config.num_params()
    names = set(model.hf_state_dict())
    assert {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.input_layernorm.weight",
            "model.layers.0.post_attention_layernorm.weight"} <= names
    assert model.model.layers[0].self_attn.k_proj.weight.shape == (2 * 24, 96)  # GQA: 2 kv heads of 24


def test_the_model_is_causal():
    torch.manual_seed(0)
    model = LlamaForCausalLM(resolve_config(TINY))
    model.init_weights()
    a = torch.randint(0, 256, (1, 12))
    b = a.clone()
    b[0, 8:] = torch.randint(0, 256, (4,))
    with torch.no_grad():
        la, lb = model(a), model(b)
    assert torch.allclose(la[0, :8], lb[0, :8], atol=1e-6)
    assert not torch.allclose(la[0, 8:], lb[0, 8:])


def test_checkpoint_round_trip_gives_identical_logits_and_hf_files(tmp_path):
    torch.manual_seed(0)
    model = LlamaForCausalLM(resolve_config(TINY))
    model.init_weights()
    checkpoint.save_model(model, str(tmp_path), {"kind": "pretrain"})
    files = set(os.listdir(tmp_path))
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "trainyard.json"} <= files
    config = json.load(open(tmp_path / "config.json"))
    assert config["architectures"] == ["LlamaForCausalLM"] and config["model_type"] == "llama"
    assert config["num_key_value_heads"] == 1 and config["vocab_size"] == 264
    loaded, info = checkpoint.load_model(str(tmp_path))
    ids = torch.randint(0, 264, (2, 10))
    with torch.no_grad():
        assert torch.equal(model(ids), loaded(ids))
    assert info["kind"] == "pretrain"


def test_byte_tokenizer_round_trips_utf8_and_frames_chats(tmp_path):
    tok = ByteTokenizer()
    text = "naïve café 12+35=47 ✓"
    assert tok.decode(tok.encode(text, bos=True, eos=True)) == text
    assert tok.encode_prompt("hi") == [BOS, USER, ord("h"), ord("i"), ASSISTANT]
    assert tok.encode_response("ok")[-1] == EOS
    tok.save(str(tmp_path))
    spec = json.load(open(tmp_path / "tokenizer.json", encoding="utf-8"))
    assert len(spec["model"]["vocab"]) == 256 and sorted(spec["model"]["vocab"].values()) == list(range(256))
    assert [t["id"] for t in spec["added_tokens"]][:2] == [BOS, EOS]
    assert "<|assistant|>" in json.load(open(tmp_path / "tokenizer_config.json"))["chat_template"]
