"""Rotary embedding frequencies, with the scaling kinds of Hugging Face configs (``rope_scaling``, or
``rope_parameters`` as transformers 5 writes it): linear, dynamic (NTK), llama3 and yarn, computed as
transformers' ``modeling_rope_utils`` does, so a checkpoint's positions mean the same here and there."""

import math

import torch

SUPPORTED = ("linear", "dynamic", "llama3", "yarn")
_REQUIRED = {"linear": ("factor",), "dynamic": ("factor",),
             "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
             "yarn": ()}


def kind_of(scaling):
    """The scaling kind of a ``rope_scaling`` map: ``rope_type``, or the legacy ``type``; None for none."""
    if not scaling:
        return None
    kind = scaling.get("rope_type", scaling.get("type"))
    return None if kind in (None, "default") else kind


def validate(scaling):
    """Refuses what the trainer cannot compute as transformers would, naming the supported kinds."""
    kind = kind_of(scaling)
    if kind is None:
        return
    if kind not in SUPPORTED:
        raise ValueError(f"rope_scaling: kind '{kind}' is not supported; the trainer supports "
                         f"{', '.join(SUPPORTED)} (or none)")
    for key in _REQUIRED[kind]:
        if not isinstance(scaling.get(key), (int, float)) or isinstance(scaling.get(key), bool):
            raise ValueError(f"rope_scaling.{key}: a number is required for kind '{kind}'")
    if kind == "yarn" and scaling.get("factor") is None and not scaling.get("original_max_position_embeddings"):
        raise ValueError("rope_scaling.factor: yarn needs a factor (or original_max_position_embeddings)")
    if float(scaling.get("partial_rotary_factor", 1.0)) != 1.0:
        raise ValueError("rope_scaling.partial_rotary_factor: only 1.0 (every dimension rotated) is supported")


def _default_inv_freq(theta, dim):
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def inv_freq(config, seq_len=None):
    """``(inv_freq [head_dim / 2], attention_factor)`` for ``config``; ``seq_len`` matters for ``dynamic``
    only, which stretches the base once a sequence is longer than max_position_embeddings."""
    dim, theta, scaling = config.head_dim, config.rope_theta, config.rope_scaling or {}
    kind = kind_of(scaling)
    if kind is None:
        return _default_inv_freq(theta, dim), 1.0
    if kind == "linear":
        return _default_inv_freq(theta, dim) / scaling["factor"], 1.0
    if kind == "dynamic":
        mpe, factor = config.max_position_embeddings, scaling["factor"]
        seq_len = max(seq_len or mpe, mpe)
        base = theta * ((factor * seq_len / mpe) - (factor - 1)) ** (dim / (dim - 2))
        return _default_inv_freq(base, dim), 1.0
    if kind == "llama3":
        return _llama3(_default_inv_freq(theta, dim), scaling), 1.0
    return _yarn(config, scaling)


def _llama3(freq, s):
    """Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth blend between."""
    factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
    old = s["original_max_position_embeddings"]
    wavelen = 2 * math.pi / freq
    scaled = torch.where(wavelen > old / low, freq / factor, freq)
    smooth = (old / wavelen - low) / (high - low)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < old / high) * ~(wavelen > old / low)
    return torch.where(medium, blended, scaled)


def _yarn(config, s):
    """YaRN: interpolated and extrapolated frequencies blended over a ramp of dimensions, and cos/sin
    scaled by the attention factor (transformers' current rule: an explicit ``factor`` wins; without one,
    max_position_embeddings / original_max_position_embeddings)."""
    dim, base = config.head_dim, config.rope_theta
    original = s.get("original_max_position_embeddings") or config.max_position_embeddings
    factor = s.get("factor")
    if factor is None:
        factor = config.max_position_embeddings / original

    def mscale(scale, m=1.0):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    attention = s.get("attention_factor")
    if attention is None:
        if s.get("mscale") and s.get("mscale_all_dim"):
            attention = float(mscale(factor, s["mscale"]) / mscale(factor, s["mscale_all_dim"]))
        else:
            attention = mscale(factor)
    beta_fast, beta_slow = s.get("beta_fast") or 32, s.get("beta_slow") or 1

    def correction_dim(rotations):
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if s.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # no zero-width ramp
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = base ** (torch.arange(0, dim, 2).float() / dim)
    extrapolation = 1 - ramp
    freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolation) + (1.0 / pos_freqs) * extrapolation
    return freq, attention
