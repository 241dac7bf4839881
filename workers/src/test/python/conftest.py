import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "main", "python"))

TINY = {"preset": "tiny", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "num_key_value_heads": 1}


def write_step(work, kind, body, resume=None):
    os.makedirs(os.path.join(work, "output"), exist_ok=True)
    path = os.path.join(work, "step.json")
    with open(path, "w") as f:
        json.dump({"kind": kind, "body": body, "output": os.path.join(work, "output"),
                   "metrics": os.path.join(work, "metrics.jsonl"), "resume": resume}, f)
    return path


def run_step(work, kind, body, resume=None):
    from trainyard_trainer.__main__ import main
    return main([write_step(str(work), kind, body, resume)])


def metrics(work):
    with open(os.path.join(str(work), "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory):
    from trainyard_trainer import datasets
    return datasets.generate(str(tmp_path_factory.mktemp("data")), seed=0, scale=0.1)
