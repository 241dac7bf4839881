"""Checkpoints in the Hugging Face layout, and intermediate training states for resume.

A model checkpoint dir holds ``config.json``, ``model.safetensors`` (or shards plus
``model.safetensors.index.json``), the tokenizer files, ``generation_config.json`` and
``trainyard.json`` (what made it). An intermediate state, ``<work>/checkpoints/step-<N>/``, adds
``trainer_state.pt``: optimizer, step, data position and RNG states. Both are written to a hidden temp
dir and renamed into place, so a dir with the final name is always complete.
"""

import json
import os
import random
import shutil

import numpy as np
import torch

from . import __version__
from . import safetensors
from .model import LlamaConfig, LlamaForCausalLM
from . import tokenizer as tok

MAX_SHARD_BYTES = 2 * 1024 ** 3
STATE_FILE = "trainer_state.pt"
INDEX_FILE = "model.safetensors.index.json"


def _write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_model(model, directory, info=None, dtype=None, tokenizer=None, max_shard_bytes=MAX_SHARD_BYTES):
    """Writes the checkpoint files into ``directory`` (created if needed); ``tokenizer`` (default the byte
    tokenizer) is written with it and its special ids and hash go into config.json. ``dtype``: the stored
    weights' dtype, by default the one the model was loaded in (``config.torch_dtype``: a bf16 checkpoint
    stays bf16, a model made from scratch is float32). Weights above ``max_shard_bytes`` are split into
    ``model-0000N-of-0000M.safetensors`` shards with ``model.safetensors.index.json``."""
    tokenizer = tokenizer or tok.BYTE
    os.makedirs(directory, exist_ok=True)
    raw = model.module if hasattr(model, "module") else model
    raw = getattr(raw, "_orig_mod", raw)
    dtype = dtype or getattr(torch, raw.config.torch_dtype or "float32", torch.float32)
    tensors = {k: v.detach().to("cpu", dtype) for k, v in raw.hf_state_dict().items()}
    dtype_name = str(dtype).replace("torch.", "")
    hf = raw.config.to_hf(dtype_name)
    if not tokenizer.is_byte:
        hf.update(tokenizer.config_entries())
    _write_json(os.path.join(directory, "config.json"), hf)
    generation = raw.config.generation
    if generation is None:
        generation = {"bos_token_id": hf.get("bos_token_id"), "eos_token_id": hf.get("eos_token_id"),
                      "pad_token_id": hf.get("pad_token_id"), "do_sample": False}
    _write_json(os.path.join(directory, "generation_config.json"), generation)
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    meta = {"format": "pt"}
    for stale in [n for n in os.listdir(directory) if n == INDEX_FILE or n == "model.safetensors"
                  or (n.startswith("model-") and n.endswith(".safetensors"))]:
        os.remove(os.path.join(directory, stale))  # weights of an earlier save must not mix with these
    if total <= max_shard_bytes:
        safetensors.save_file(tensors, os.path.join(directory, "model.safetensors"), meta)
    else:
        _save_sharded(tensors, directory, meta, total, max_shard_bytes)
    info = dict(info or {})
    info.setdefault("trainer", f"trainyard-trainer {__version__}")
    info["parameters"] = sum(t.numel() for t in tensors.values())
    if tokenizer.is_byte:
        tok.ByteTokenizer().save(directory, info.get("chat_template") or tok.CHAT_TEMPLATE)
    else:
        tokenizer.save(directory)
    _write_json(os.path.join(directory, "trainyard.json"), info)


def _save_sharded(tensors, directory, meta, total, max_shard_bytes):
    shards, current, size = [], {}, 0
    for name in sorted(tensors):
        n = tensors[name].numel() * tensors[name].element_size()
        if current and size + n > max_shard_bytes:
            shards.append(current)
            current, size = {}, 0
        current[name] = tensors[name]
        size += n
    shards.append(current)
    weight_map = {}
    for i, shard in enumerate(shards, 1):
        fname = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        safetensors.save_file(shard, os.path.join(directory, fname), meta)
        weight_map.update({name: fname for name in shard})
    _write_json(os.path.join(directory, INDEX_FILE), {"metadata": {"total_size": total}, "weight_map": weight_map})


def load_state_dict(directory):
    """Every tensor of the checkpoint in its stored dtype: the shards its index names (whatever their file
    names), else model.safetensors."""
    index = os.path.join(directory, INDEX_FILE)
    if os.path.exists(index):
        weight_map = read_json(index).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ValueError(f"{index}: no weight_map")
        sd = {}
        for fname in sorted(set(weight_map.values())):
            if not isinstance(fname, str) or os.path.basename(fname) != fname or fname in ("", ".", ".."):
                raise ValueError(f"{index}: shard '{fname}' is not a file name in the checkpoint dir")
            path = os.path.join(directory, fname)
            if not os.path.exists(path):
                raise FileNotFoundError(f"{directory}: shard {fname} named by {INDEX_FILE} is missing")
            sd.update(safetensors.load_file(path))
        missing = sorted(set(weight_map) - set(sd))
        if missing:
            raise ValueError(f"{index}: tensors not found in their shards: {', '.join(missing[:5])}")
        return sd
    single = os.path.join(directory, "model.safetensors")
    if not os.path.exists(single):
        raise FileNotFoundError(f"{directory}: no model.safetensors (is this a checkpoint?)")
    return safetensors.load_file(single)


def load_model(directory, text=True):
    """The model (float32, CPU) and the checkpoint's trainyard.json (empty if absent). ``text``: the caller
    tokenizes text for it, so the checkpoint must have the byte tokenizer (see tokenizer.require_byte).
    The model's config remembers the stored dtype (save_model writes it back in it), config.json's other
    keys and generation_config.json."""
    directory = os.path.realpath(directory)
    cfg_path = os.path.join(directory, "config.json")
    if not os.path.exists(cfg_path):
        raise FileNotFoundError(f"{directory}: no config.json (is this a checkpoint?)")
    if text:
        tok.require_byte(directory)
    config = LlamaConfig.from_hf(read_json(cfg_path))
    gen_path = os.path.join(directory, "generation_config.json")
    if os.path.exists(gen_path):
        config.generation = read_json(gen_path)
    sd = load_state_dict(directory)
    stored = {t.dtype for t in sd.values() if t.is_floating_point()}
    if len(stored) == 1:
        config.torch_dtype = str(stored.pop()).replace("torch.", "")
    model = LlamaForCausalLM(config)
    model.load_hf_state_dict({k: v.float() for k, v in sd.items()})
    info_path = os.path.join(directory, "trainyard.json")
    info = read_json(info_path) if os.path.exists(info_path) else {}
    return model, info


def rng_state():
    state = {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_state(checkpoints_dir, step, model, optimizer, data_state, info, tokenizer=None, keep=2,
                        write=None, rank_rng=None):
    """Writes ``step-<N>`` atomically and keeps the newest ``keep`` states; ``data_state`` holds the data
    position (the mixture's per-source counters), so a resumed run serves the same batches. ``write(dir)``
    writes the trained tensors instead of the whole model (an adapter run keeps only its adapter)."""
    final = os.path.join(checkpoints_dir, f"step-{step}")
    tmp = os.path.join(checkpoints_dir, f".tmp-step-{step}")
    shutil.rmtree(tmp, ignore_errors=True)
    if write is not None:
        write(tmp)
    else:
        # float32 whatever the checkpoint's dtype: a resumed run continues from the exact weights
        save_model(model, tmp, info, dtype=torch.float32, tokenizer=tokenizer)
    state = {"step": step, "optimizer": optimizer.state_dict(), "data": data_state, "rng": rng_state(),
             "trainer": __version__}
    if rank_rng is not None:
        state["rank_rng"] = rank_rng  # under DDP: every rank's, in rank order
    torch.save(state, os.path.join(tmp, STATE_FILE))
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    states = sorted(list_training_states(checkpoints_dir), key=lambda p: p[0])
    for _, old in states[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_training_states(checkpoints_dir):
    if not os.path.isdir(checkpoints_dir):
        return []
    out = []
    for name in os.listdir(checkpoints_dir):
        path = os.path.join(checkpoints_dir, name)
        if name.startswith("step-") and name[5:].isdigit() and os.path.exists(os.path.join(path, STATE_FILE)):
            out.append((int(name[5:]), path))
    return out


def load_training_state(directory):
    # Our own file, holding Python and NumPy RNG states: torch >= 2.6 refuses those unless told
    # weights_only=False (the argument exists since torch 1.13).
    return torch.load(os.path.join(directory, STATE_FILE), map_location="cpu", weights_only=False)
