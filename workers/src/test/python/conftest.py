import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "main", "python"))

TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "num_key_value_heads": 1}

# The catalogue as generated from StepKinds (TrainerCatalogueTest keeps it equal): what the worker and the
# planner would put into step.json. Tests write step.json by hand, so they resolve bodies the same way.
with open(os.path.join(os.path.dirname(__file__), "..", "..", "main", "python", "trainyard_trainer",
                       "step_kinds.json"), encoding="utf-8") as _f:
    CATALOGUE = json.load(_f)

# The planner's derived defaults, by the rule text the catalogue states; an unknown rule fails loudly.
DERIVED = {
    "min(100, max_steps / 10)": lambda c: min(100, c["max_steps"] // 10),
    "1, or 10 beyond 2000 max_steps": lambda c: 1 if c["max_steps"] <= 2000 else 10,
}


def preset(name):
    return dict(CATALOGUE["model_presets"][name])


def resolved(kind, body):
    """The body as the planner writes it: config defaults filled in, a model preset as its architecture."""
    spec = CATALOGUE["kinds"].get(kind)
    if spec is None:
        return body
    body = dict(body)
    config = dict(spec["config_defaults"], **{k: v for k, v in (body.get("config") or {}).items()})
    for key, rule in spec["derived_defaults"].items():
        if key not in config:
            config[key] = DERIVED[rule](config)
    body["config"] = config
    model = body.get("model")
    if spec["runner"].get("init") == "scratch":
        model = "tiny" if model is None else model
        if isinstance(model, str):
            model = preset(model)
        elif "preset" in model:
            model = dict(preset(model["preset"]), **{k: v for k, v in model.items() if k != "preset"})
        body["model"] = model
    return body


def write_step(work, kind, body, resume=None):
    os.makedirs(os.path.join(work, "output"), exist_ok=True)
    path = os.path.join(work, "step.json")
    runner = CATALOGUE["kinds"].get(kind, {}).get("runner", {})
    with open(path, "w") as f:
        json.dump({"kind": kind, "runner": runner, "body": resolved(kind, body), "output": os.path.join(work, "output"),
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
