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
