"""LoRA adapters: low-rank updates trained next to a frozen base, written in PEFT's layout.

A targeted ``nn.Linear`` (any module whose last name is in ``target_modules``, whatever the model family)
becomes a :class:`LoraLinear` that keeps the base's own ``weight``/``bias`` parameters under the same names
and adds ``lora_A`` [r, in] and ``lora_B`` [out, r]: ``y = x W^T + b + (alpha / r) · B A dropout(x)``.
A is initialised as PEFT does (kaiming-uniform, a = sqrt(5)) and B with zeros, so training starts from
the base exactly. Every base parameter is frozen; only A and B train.

The adapter dir (see docs/trainer.md "LoRA adapters") holds ``adapter_config.json``,
``adapter_model.safetensors`` with keys ``base_model.model.<module path>.lora_{A,B}.weight`` (what
``peft.PeftModel.from_pretrained`` reads), ``trainyard.json`` and the base's tokenizer files.
"""

import contextlib
import json
import math
import os
import shutil

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import safetensors
from . import tokenizer as tok

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
PREFIX = "base_model.model."


class Settings:
    """``body["adapter"]`` as the planner writes it (every default present), or read from adapter_config.json."""

    def __init__(self, r, alpha, dropout, target_modules):
        self.r, self.alpha, self.dropout = r, alpha, dropout
        self.target_modules = list(target_modules)

    @property
    def scaling(self):
        return self.alpha / self.r

    @classmethod
    def from_body(cls, raw, where="adapter"):
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a map {{type: lora, r, alpha, dropout, target_modules}}")

        def need(key):
            if raw.get(key) is None:
                raise ValueError(f"{where}.{key}: missing from step.json (the planner writes every default)")
            return raw[key]

        if need("type") != "lora":
            raise ValueError(f"{where}.type: '{raw['type']}' is not supported; the only adapter type is lora")
        return cls._checked(need("r"), need("alpha"), need("dropout"), need("target_modules"), where,
                            ("r", "alpha", "dropout", "target_modules"))

    @classmethod
    def from_adapter_config(cls, config, where):
        """PEFT's adapter_config.json; variants this trainer does not compute are refused, never ignored."""
        if config.get("peft_type", "LORA") != "LORA":
            raise ValueError(f"{where}: peft_type '{config.get('peft_type')}' is not LORA")
        for key in ("use_rslora", "use_dora", "fan_in_fan_out"):
            if config.get(key):
                raise ValueError(f"{where}: {key} is true; this trainer supports plain LoRA only "
                                 "(no rslora, no DoRA, no fan_in_fan_out)")
        if config.get("bias", "none") != "none":
            raise ValueError(f"{where}: bias '{config['bias']}' is not supported (only 'none')")
        for key in ("modules_to_save", "rank_pattern", "alpha_pattern", "layers_to_transform"):
            if config.get(key):
                raise ValueError(f"{where}: {key} is set; this trainer supports one r and alpha for all "
                                 "target modules and no fully trained modules")
        return cls._checked(config.get("r"), config.get("lora_alpha"), config.get("lora_dropout", 0.0),
                            config.get("target_modules"), where, ("r", "lora_alpha", "lora_dropout", "target_modules"))

    @classmethod
    def _checked(cls, r, alpha, dropout, targets, where, names):
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"{where}.{names[0]}: must be a positive integer, got {r!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"{where}.{names[1]}: must be a positive number, got {alpha!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{where}.{names[2]}: must be in [0, 1), got {dropout!r}")
        if (not isinstance(targets, list) or not targets
                or not all(isinstance(t, str) and t for t in targets)):
            raise ValueError(f"{where}.{names[3]}: must be a non-empty list of module names, got {targets!r}")
        # An integral alpha stays an integer, as PEFT writes it.
        return cls(r, alpha if isinstance(alpha, int) else float(alpha), float(dropout), targets)

    def to_body(self):
        return {"type": "lora", "r": self.r, "alpha": self.alpha, "dropout": self.dropout,
                "target_modules": list(self.target_modules)}

    def to_adapter_config(self, base_name):
        return {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": self.r, "lora_alpha": self.alpha,
                "lora_dropout": self.dropout, "target_modules": list(self.target_modules), "bias": "none",
                "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
                "modules_to_save": None, "use_rslora": False, "use_dora": False,
                "base_model_name_or_path": base_name}


class LoraLinear(nn.Module):
    """A linear layer plus its low-rank update. ``weight`` and ``bias`` are the base's own parameter
    objects (frozen), so the base's state-dict names stay as they were and a tied weight stays tied."""

    def __init__(self, base, settings):
        super().__init__()
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight = base.weight
        self.bias = base.bias
        p = base.weight
        self.lora_A = nn.Linear(self.in_features, settings.r, bias=False, device=p.device, dtype=p.dtype)
        self.lora_B = nn.Linear(settings.r, self.out_features, bias=False, device=p.device, dtype=p.dtype)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.lora_dropout = nn.Dropout(settings.dropout) if settings.dropout > 0 else nn.Identity()
        self.scaling = settings.scaling
        self.enabled = True

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if not self.enabled:
            return y
        return y + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling

    def delta(self):
        """(alpha / r) · B @ A, the update merging adds to the weight."""
        return (self.lora_B.weight @ self.lora_A.weight) * self.scaling


def _raw(model):
    model = model.module if hasattr(model, "module") else model
    return getattr(model, "_orig_mod", model)


def lora_modules(model):
    """``{module path: LoraLinear}`` in the model's order."""
    return {name: m for name, m in _raw(model).named_modules() if isinstance(m, LoraLinear)}


def apply(model, settings):
    """Wraps every ``nn.Linear`` whose last name is a target and freezes all base parameters. Each target
    must match at least one linear layer (a typo would otherwise train nothing where it was meant to)."""
    model = _raw(model)
    if lora_modules(model):
        raise ValueError("the model already has LoRA adapters")
    linear = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear) and name]
    available = sorted({name.rsplit(".", 1)[-1] for name, _ in linear})
    missing = [t for t in settings.target_modules if t not in available]
    if missing:
        raise ValueError(f"adapter.target_modules: {', '.join(missing)} match(es) no linear layer of this "
                         f"model; its linear layers are: {', '.join(available)}")
    model.requires_grad_(False)
    targets = set(settings.target_modules)
    for name, m in linear:
        if name.rsplit(".", 1)[-1] not in targets:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoraLinear(m, settings))
    model._lora_settings = settings
    return model


def trainable_parameters(model):
    return sum(p.numel() for p in _raw(model).parameters() if p.requires_grad)


def adapter_state_dict(model):
    """The adapter's tensors under PEFT's key names (no adapter name, as PEFT saves them)."""
    out = {}
    for name, m in lora_modules(model).items():
        out[f"{PREFIX}{name}.lora_A.weight"] = m.lora_A.weight
        out[f"{PREFIX}{name}.lora_B.weight"] = m.lora_B.weight
    return out


def settings_of(model):
    """The settings the model's adapters were applied with (:func:`apply` keeps them on the model)."""
    s = getattr(_raw(model), "_lora_settings", None)
    if s is None:
        raise ValueError("the model has no LoRA adapters")
    return s


def _write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def save_adapter(model, directory, info, base_dir, base_artifact=None, tokenizer=None,
                 dtype=torch.float32):
    """Writes the adapter dir. The base's tokenizer files are copied byte for byte (the adapter describes
    itself); a base without them gets ``tokenizer``'s. ``info`` becomes trainyard.json, with the adapter's
    settings and its base added."""
    settings = settings_of(model)
    os.makedirs(directory, exist_ok=True)
    tensors = {k: v.detach().to("cpu", dtype) for k, v in adapter_state_dict(model).items()}
    safetensors.save_file(tensors, os.path.join(directory, WEIGHTS_FILE), {"format": "pt"})
    base_dir = os.path.realpath(base_dir)
    _write_json(os.path.join(directory, CONFIG_FILE), settings.to_adapter_config(base_artifact or base_dir))
    if os.path.exists(os.path.join(base_dir, "tokenizer.json")):
        for name in tok.TOKENIZER_FILES:
            src = os.path.join(base_dir, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(directory, name))
    elif tokenizer is not None:
        tokenizer.save(directory)
    info = dict(info or {})
    info.update({"adapter": settings.to_body(), "base": {"artifact": base_artifact, "path": base_dir},
                 "trainable_parameters": sum(t.numel() for t in tensors.values())})
    _write_json(os.path.join(directory, "trainyard.json"), info)


def read_settings(directory):
    path = os.path.join(directory, CONFIG_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{directory}: no {CONFIG_FILE} (is this an adapter?)")
    with open(path, encoding="utf-8") as f:
        return Settings.from_adapter_config(json.load(f), path)


def load_adapter(model, directory):
    """Loads an adapter dir into ``model``: applies LoRA with the dir's settings first when the model has
    none (evaluate), or loads into the adapters it has, which must have the same settings (resume). Every
    tensor must fit exactly. Returns the adapter's trainyard.json (empty when absent)."""
    directory = os.path.realpath(directory)
    settings = read_settings(directory)
    if not lora_modules(model):
        apply(model, settings)
    elif settings_of(model).to_body() != settings.to_body():
        raise ValueError(f"{directory}: the adapter's settings {settings.to_body()} differ from the model's "
                         f"{settings_of(model).to_body()}")
    weights = os.path.join(directory, WEIGHTS_FILE)
    if not os.path.exists(weights):
        raise FileNotFoundError(f"{directory}: no {WEIGHTS_FILE}")
    tensors = safetensors.load_file(weights)
    own = adapter_state_dict(model)
    missing, unexpected = sorted(set(own) - set(tensors)), sorted(set(tensors) - set(own))
    if missing or unexpected:
        raise ValueError(f"{directory}: the adapter does not fit the model: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    with torch.no_grad():
        for key, param in own.items():
            t = tensors[key]
            if tuple(t.shape) != tuple(param.shape):
                raise ValueError(f"{directory}: {key} has shape {list(t.shape)}, the model needs "
                                 f"{list(param.shape)} (r {settings.r})")
            param.copy_(t.to(param.dtype))
    info_path = os.path.join(directory, "trainyard.json")
    if os.path.exists(info_path):
        with open(info_path, encoding="utf-8") as f:
            return json.load(f)
    return {}


@contextlib.contextmanager
def disabled(model):
    """The base model: adapters off inside the block (the DPO reference, with no second copy)."""
    modules = list(lora_modules(model).values())
    before = [m.enabled for m in modules]
    for m in modules:
        m.enabled = False
    try:
        yield model
    finally:
        for m, was in zip(modules, before):
            m.enabled = was


def merge_into_base(model):
    """Folds every adapter into its weight (W + (alpha / r) · B @ A) and puts plain ``nn.Linear`` layers
    back, so the model saves as an ordinary checkpoint."""
    raw = _raw(model)
    with torch.no_grad():
        for name, m in lora_modules(raw).items():
            plain = nn.Linear(m.in_features, m.out_features, bias=m.bias is not None,
                              device=m.weight.device, dtype=m.weight.dtype)
            plain.weight = m.weight
            plain.bias = m.bias
            m.weight += m.delta().to(m.weight.dtype)
            parent_name, _, child = name.rpartition(".")
            setattr(raw.get_submodule(parent_name) if parent_name else raw, child, plain)
    raw.requires_grad_(True)
    if hasattr(raw, "_lora_settings"):
        del raw._lora_settings
    return model
