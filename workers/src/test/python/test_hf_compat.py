"""Runs where Hugging Face transformers is installed (e.g. the GPU host); skipped elsewhere."""

import pytest
import torch

from trainyard_trainer import checkpoint
from trainyard_trainer.model import LlamaForCausalLM, resolve_config
from conftest import TINY

transformers = pytest.importorskip("transformers")


def test_transformers_loads_our_checkpoint_with_the_same_logits(tmp_path):
    torch.manual_seed(0)
    ours = LlamaForCausalLM(resolve_config(dict(TINY, num_hidden_layers=3)))
    ours.init_weights()
    checkpoint.save_model(ours, str(tmp_path))
    theirs = transformers.LlamaForCausalLM.from_pretrained(str(tmp_path), torch_dtype=torch.float32,
                                                           attn_implementation="eager")
    ids = torch.randint(0, 256, (2, 17))
    with torch.no_grad():
        assert torch.allclose(ours(ids), theirs(ids).logits, atol=1e-4)
    tok = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    assert tok("héllo")["input_ids"] == list("héllo".encode())
    chat = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    if not isinstance(chat, list):  # transformers >= 5 answers a BatchEncoding
        chat = list(chat["input_ids"])
    assert chat == [256, 259, ord("h"), ord("i"), 260]


FAMILY_CONFIGS = {
    "llama": {"model_type": "llama", "attention_bias": True,
              "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 32}},
    "qwen2": {"model_type": "qwen2", "tie_word_embeddings": True, "rope_scaling": {"type": "linear", "factor": 2.0}},
    "qwen3": {"model_type": "qwen3", "head_dim": 32, "tie_word_embeddings": True},
    "mistral": {"model_type": "mistral", "num_key_value_heads": 1, "head_dim": 24, "sliding_window": 4096},
    "mixtral": {"model_type": "mixtral", "num_local_experts": 4, "num_experts_per_tok": 2},
}


@pytest.mark.parametrize("family", sorted(FAMILY_CONFIGS))
def test_transformers_loads_each_family_the_trainer_writes_with_the_same_logits(family, tmp_path):
    ours = LlamaForCausalLM(resolve_config(dict(TINY, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                                                max_position_embeddings=64, **FAMILY_CONFIGS[family])))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in ours.named_parameters():
            p.copy_((1.0 if name.endswith("norm.weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=g))
    checkpoint.save_model(ours, str(tmp_path), max_shard_bytes=100_000)
    theirs = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path), torch_dtype=torch.float32,
                                                               attn_implementation="eager")
    assert type(theirs).__name__ == ours.config.family.architecture
    ids = torch.randint(0, 256, (2, 17), generator=g)
    with torch.no_grad():
        assert (ours(ids) - theirs(ids).logits).abs().max().item() <= 1e-4
