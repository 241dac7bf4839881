"""Logits of checkpoints made by transformers' own classes (gpu/make_hf_fixtures.py `make`, on a host with
transformers) against the trainer's, per family. Without a fixture the test is skipped, saying so: it is
never counted as passed."""

import json
import os

import pytest
import torch

from trainyard_trainer import checkpoint, safetensors

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "resources", "hf-fixtures")
FAMILIES = ("llama", "qwen2", "qwen3", "mistral", "mixtral")


@pytest.mark.parametrize("family", FAMILIES)
def test_the_trainer_reproduces_transformers_logits_of_a_fixture(family):
    root = os.path.join(FIXTURES, family)
    if not os.path.exists(os.path.join(root, "logits.safetensors")):
        pytest.skip(f"no transformers-made fixture at {os.path.normpath(root)}: run "
                    "workers/src/test/python/gpu/make_hf_fixtures.py make on a host with transformers")
    made = json.load(open(os.path.join(root, "fixture.json")))
    model, _ = checkpoint.load_model(os.path.join(root, "checkpoint"), text=False)
    assert model.config.model_type == family and made["family"] == family
    expected = safetensors.load_file(os.path.join(root, "logits.safetensors"))
    model.eval()
    with torch.no_grad():
        ours = model(expected["input_ids"])
    err = (ours - expected["logits"]).abs().max().item()
    print(f"{family}: max abs err {err:.2e} against transformers {made['transformers']}")
    assert err <= 1e-4
