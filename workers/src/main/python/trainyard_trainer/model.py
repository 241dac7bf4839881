"""A Llama-architecture decoder (RMSNorm, rotary embeddings, grouped-query attention, SwiGLU) and the
families that differ from it only in details (families.py: qwen2, qwen3, mistral; mixtral, whose MLP is a
sparse mixture of experts): parameter names and
config.json follow the family's Hugging Face class (LlamaForCausalLM, Qwen2ForCausalLM…), so checkpoints
load there and theirs load here."""

import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import families, moe, rope
from . import tokenizer as tok

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
# torch >= 2.5 attends grouped KV heads without materialising the repeats.
SDPA_GQA = HAS_SDPA and tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 5)


# config.json keys the config models; every other key of a loaded config.json is kept as it was (``extra``).
_MODELLED = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
             "num_key_value_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta",
             "tie_word_embeddings", "initializer_range")
# The keys an MoE family (families.py ``moe``) models besides those; a dense family leaves them in ``extra``.
_MOE = ("num_local_experts", "num_experts_per_tok", "router_aux_loss_coef", "router_z_loss_coef")
# What a model made from scratch writes besides the modelled keys (its tokenizer ids are the byte tokenizer's
# until save_model records another's).
_FRESH = {"hidden_act": "silu", "attention_dropout": 0.0, "use_cache": True, "rope_scaling": None,
          "bos_token_id": tok.BOS, "eos_token_id": tok.EOS, "pad_token_id": tok.PAD}


@dataclasses.dataclass
class LlamaConfig:
    """The architecture of every family (families.py): a Llama decoder plus the family's differences,
    resolved from config.json into plain fields (``qkv_bias``, ``qk_norm``…)."""
    hidden_size: int = 96
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    vocab_size: int = tok.VOCAB_SIZE
    max_position_embeddings: int = 256
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    initializer_range: float = 0.02
    # HF's head_dim when it is not hidden_size / heads (e.g. after attention heads were pruned, or qwen3).
    explicit_head_dim: int = None
    model_type: str = "llama"
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: str = None
    rope_scaling: dict = None
    # Attention sees at most this many positions back (mistral); None: unlimited.
    sliding_window: int = None
    # MoE families only: N experts per layer, k of them per token, and the weights of the router losses
    # added to the training loss (router_aux_loss_coef as the contract's MixtralConfig default; z-loss ours).
    num_local_experts: int = 8
    num_experts_per_tok: int = 2
    router_aux_loss_coef: float = 0.001
    router_z_loss_coef: float = 0.0
    # Our config.json extension for an MoE whose layers keep different expert counts (a pruned or merged
    # Mixtral): layer i has layer_experts[i] experts and num_local_experts is the largest. None: every layer
    # has num_local_experts (the only form transformers loads).
    layer_experts: list = None
    # The dtype the checkpoint's weights were stored in; save_model writes that dtype unless told another.
    torch_dtype: str = "float32"
    # The loaded config.json's keys the fields above do not model, written back unchanged; None for a model
    # made from scratch (it gets _FRESH and its family's fresh_keys).
    extra: dict = None
    # A loaded checkpoint's generation_config.json, written back unchanged (None: derived from the ids).
    generation: dict = None

    def __post_init__(self):
        families.of(self.model_type)
        if self.explicit_head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.head_dim % 2:
            raise ValueError("the head dimension must be even for rotary embeddings")
        rope.validate(self.rope_scaling)
        if self.family.moe:
            n, k = self.num_local_experts, self.num_experts_per_tok
            if not isinstance(n, int) or n < 1:
                raise ValueError(f"num_local_experts must be an integer >= 1; got {n!r}")
            if not isinstance(k, int) or not 1 <= k <= n:
                raise ValueError(f"num_experts_per_tok must be an integer between 1 and num_local_experts ({n}); "
                                 f"got {k!r}")
            if self.layer_experts is not None:
                self._check_layer_experts()

    def _check_layer_experts(self):
        counts, n, k = self.layer_experts, self.num_local_experts, self.num_experts_per_tok
        if (not isinstance(counts, list) or len(counts) != self.num_hidden_layers
                or not all(isinstance(e, int) and not isinstance(e, bool) and e >= 1 for e in counts)):
            raise ValueError(f"layer_experts must be a list of {self.num_hidden_layers} integers >= 1 (one per "
                             f"layer); got {counts!r}")
        if max(counts) != n:
            raise ValueError(f"layer_experts: num_local_experts must be the largest count ({max(counts)}); got {n}")
        if k > min(counts):
            raise ValueError(f"num_experts_per_tok ({k}) must be at most the smallest of layer_experts "
                             f"({min(counts)})")

    def experts_in(self, layer):
        """The number of experts of MoE layer ``layer``."""
        return self.layer_experts[layer] if self.layer_experts is not None else self.num_local_experts

    @property
    def family(self):
        return families.of(self.model_type)

    @property
    def head_dim(self):
        return self.explicit_head_dim or self.hidden_size // self.num_attention_heads

    def to_hf(self, torch_dtype="float32"):
        fam = self.family
        d = dict(_FRESH, **fam.fresh_keys) if self.extra is None else dict(self.extra)
        d.update({k: getattr(self, k) for k in _MODELLED})
        if fam.moe:
            d.update({k: getattr(self, k) for k in _MOE})
            if self.layer_experts is not None:
                d["layer_experts"] = list(self.layer_experts)
        if "rope_parameters" in d:  # transformers >= 5 keeps theta and scaling there; ours are unchanged
            d.pop("rope_theta")
        else:
            d["rope_scaling"] = self.rope_scaling
        for column, value in (("qkv_bias", self.qkv_bias), ("o_bias", self.o_bias), ("mlp_bias", self.mlp_bias)):
            if isinstance(getattr(fam, column), str):
                d[getattr(fam, column)] = value
        d.update({"architectures": [fam.architecture], "model_type": fam.model_type, "head_dim": self.head_dim,
                  "torch_dtype": torch_dtype})
        if "dtype" in d:  # transformers >= 4.56 names it dtype
            d["dtype"] = torch_dtype
        return d

    @classmethod
    def from_hf(cls, d):
        """The config of a config.json; refuses, by name, what the trainer cannot run as transformers does."""
        fam = families.of(d.get("model_type", "llama"))
        if d.get("hidden_act", "silu") != "silu":
            raise ValueError(f"hidden_act '{d['hidden_act']}' is not supported (the {fam.model_type} family "
                             "uses silu)")
        if float(d.get("partial_rotary_factor") or 1.0) != 1.0:
            raise ValueError("partial_rotary_factor: only 1.0 (every dimension rotated) is supported")
        kw = {k: d[k] for k in _MODELLED if d.get(k) is not None}
        kw.setdefault("num_key_value_heads", d.get("num_attention_heads"))
        kw.setdefault("tie_word_embeddings", fam.tie_word_embeddings)
        scaling = d.get("rope_scaling")
        if "rope_parameters" in d and not scaling:
            params = d["rope_parameters"] or {}
            if any(isinstance(v, dict) for v in params.values()):
                raise ValueError("rope_parameters: per-layer-type RoPE is not supported")
            if params.get("rope_theta") is not None:
                kw["rope_theta"] = params["rope_theta"]
            scaling = params if rope.kind_of(params) else None
        heads, hidden = kw.get("num_attention_heads"), kw.get("hidden_size")
        if d.get("head_dim") and heads and hidden and d["head_dim"] != hidden // heads:
            kw["explicit_head_dim"] = int(d["head_dim"])
        if fam.moe:
            kw.update({k: d[k] for k in _MOE if d.get(k) is not None})
            if d.get("layer_experts") is not None:
                kw["layer_experts"] = d["layer_experts"]
                counts = d["layer_experts"]
                if "num_local_experts" not in kw and isinstance(counts, list) and counts \
                        and all(isinstance(e, int) for e in counts):
                    kw["num_local_experts"] = max(counts)
            if d.get("router_jitter_noise"):
                raise ValueError("router_jitter_noise: only 0 is supported (routing is deterministic)")
        window = None
        if fam.sliding_window == "flag" and d.get("use_sliding_window"):
            raise ValueError(f"use_sliding_window: true is not supported for {fam.model_type} (the trainer "
                             "attends over the whole sequence); set it to false")
        if any(t != "full_attention" for t in d.get("layer_types") or []):
            raise ValueError(f"layer_types: only full_attention layers are supported (got "
                             f"{sorted(set(d['layer_types']))})")
        if fam.sliding_window == "window" and d.get("sliding_window") is not None:
            window = int(d["sliding_window"])
        dtype = d.get("torch_dtype") or d.get("dtype") or "float32"
        consumed = set(_MODELLED) | {"rope_scaling", "model_type", "architectures", "head_dim", "torch_dtype"}
        consumed |= set(_MOE) | {"layer_experts"} if fam.moe else set()
        consumed |= {getattr(fam, c) for c in ("qkv_bias", "o_bias", "mlp_bias") if isinstance(getattr(fam, c), str)}
        return cls(**kw, model_type=fam.model_type, qkv_bias=families.flag(fam.qkv_bias, d),
                   o_bias=families.flag(fam.o_bias, d), mlp_bias=families.flag(fam.mlp_bias, d),
                   qk_norm=fam.qk_norm, rope_scaling=scaling or None, sliding_window=window,
                   torch_dtype=dtype if isinstance(dtype, str) else "float32",
                   extra={k: v for k, v in d.items() if k not in consumed})

    def num_params(self):
        d, f, v, L = self.hidden_size, self.intermediate_size, self.vocab_size, self.num_hidden_layers
        kv = self.num_key_value_heads * self.head_dim
        q = self.num_attention_heads * self.head_dim
        per_layer = 2 * d * q + 2 * d * kv + 2 * d
        per_layer += (q + 2 * kv) * self.qkv_bias + d * self.o_bias + (2 * f + d) * self.mlp_bias
        per_layer += 2 * self.head_dim * bool(self.qk_norm)
        # An MoE layer's experts and router ``gate`` (E x d); a dense layer's one MLP.
        ffn = sum(self.experts_in(i) * (3 * d * f + d) for i in range(L)) if self.family.moe else L * 3 * d * f
        return v * d * (1 if self.tie_word_embeddings else 2) + L * per_layer + ffn + d


def resolve_config(spec):
    """The architecture from step.json: a map of HF config fields over :class:`LlamaConfig`'s defaults.
    ``model_type`` picks the family (default llama). Preset names (``tiny``, ``125m``…) are resolved by the
    planner from the kind's definition, so none are listed here."""
    if not isinstance(spec, dict):
        raise ValueError("model must be an architecture map (the planner resolves preset names); got "
                         f"{type(spec).__name__}")
    fam = families.of(spec.get("model_type", "llama"))
    defaults = LlamaConfig()
    merged = dict(_FRESH, **fam.fresh_keys)
    merged.update({k: getattr(defaults, k) for k in _MODELLED})
    merged.update(spec)
    config = LlamaConfig.from_hf(merged)
    config.torch_dtype = "float32"
    return config


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_tables(config, seq_len, device, scaled_for=None):
    """cos/sin of HF's rotary embedding (halves rotated, not interleaved) for positions 0..seq_len-1, the
    frequencies of the config's RoPE scaling (``scaled_for``: the sequence length dynamic scaling sees)."""
    inv_freq, attention_factor = rope.inv_freq(config, scaled_for)
    pos = torch.arange(seq_len, device=device, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq.to(device))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attention_factor, emb.sin() * attention_factor


def _rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    return (x * cos.to(x.dtype)) + (_rotate_half(x) * sin.to(x.dtype))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * c.head_dim, bias=c.qkv_bias)
        self.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=c.qkv_bias)
        self.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=c.qkv_bias)
        self.o_proj = nn.Linear(c.num_attention_heads * c.head_dim, c.hidden_size, bias=c.o_bias)
        if c.qk_norm == "head":  # qwen3: each head's q and k normalised over head_dim, before RoPE
            self.q_norm = RMSNorm(c.head_dim, c.rms_norm_eps)
            self.k_norm = RMSNorm(c.head_dim, c.rms_norm_eps)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        c = self.c
        q = self.q_proj(x).view(B, T, c.num_attention_heads, c.head_dim)
        k = self.k_proj(x).view(B, T, c.num_key_value_heads, c.head_dim)
        if c.qk_norm == "head":
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.num_key_value_heads, c.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.num_attention_heads // c.num_key_value_heads
        if rep > 1 and SDPA_GQA:
            return self.o_proj(F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
                               .transpose(1, 2).reshape(B, T, -1))
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        if HAS_SDPA:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c.head_dim))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            att = att.masked_fill(mask, float("-inf"))
            att = torch.softmax(att.float(), dim=-1).to(q.dtype)
            y = att @ v
        return self.o_proj(y.transpose(1, 2).reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=c.mlp_bias)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=c.mlp_bias)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=c.mlp_bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Expert(nn.Module):
    """One Mixtral expert, hub names: w2(silu(w1 x) * w3 x)."""

    def __init__(self, c):
        super().__init__()
        self.w1 = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.w2 = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)
        self.w3 = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class SparseMoeBlock(nn.Module):
    """Mixtral's ``block_sparse_moe``: a router ``gate`` and N experts; each token goes to its top-k experts
    (moe.route), dropless: every expert runs on exactly the tokens routed to it, gathered, and the weighted
    outputs are added back in place. The router logits of the last forward with grad enabled (a training
    step's; not a DPO reference's or an evaluation's) are kept for the router losses and metrics."""

    def __init__(self, c, num_experts=None):
        super().__init__()
        num_experts = num_experts or c.num_local_experts
        self.top_k = c.num_experts_per_tok
        self.gate = nn.Linear(c.hidden_size, num_experts, bias=False)
        self.experts = nn.ModuleList(Expert(c) for _ in range(num_experts))
        self.last_router_logits = None
        # Set by route-stats (route_stats.py): called after each forward with what the routing decided and
        # each choice's expert output norm, so the statistics come from this forward's own routing.
        self.observer = None

    def forward(self, x):
        shape = x.shape
        h = x.reshape(-1, shape[-1])
        logits = self.gate(h)
        if torch.is_grad_enabled():
            self.last_router_logits = logits
        weights, chosen = moe.route(logits, self.top_k)
        weights = weights.to(h.dtype)
        flat = chosen.reshape(-1)  # (token, slot) choices, token-major
        order = flat.argsort()
        counts = torch.bincount(flat, minlength=len(self.experts)).tolist()  # one host sync per layer
        out = torch.zeros_like(h)
        norms = torch.zeros(chosen.shape, device=h.device) if self.observer is not None else None
        for expert, picks in zip(self.experts, order.split(counts)):
            if not picks.numel():
                continue
            token, slot = picks // self.top_k, picks % self.top_k
            y = expert(h.index_select(0, token))
            if norms is not None:
                norms[token, slot] = y.float().norm(dim=-1)
            out.index_add_(0, token, y * weights[token, slot].unsqueeze(-1))
        if norms is not None:
            self.observer(logits, weights, chosen, norms)
        return out.reshape(shape)


class DecoderLayer(nn.Module):
    def __init__(self, c, index):
        super().__init__()
        self.self_attn = Attention(c)
        if c.family.moe:
            self.block_sparse_moe = SparseMoeBlock(c, c.experts_in(index))
        else:
            self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        ffn = self.block_sparse_moe if hasattr(self, "block_sparse_moe") else self.mlp
        return x + ffn(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c, i) for i in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.model = LlamaModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self._rope = None

    def init_weights(self, generator=None):
        std = self.config.initializer_range
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                with torch.no_grad():
                    m.weight.normal_(0.0, std, generator=generator)
                    if getattr(m, "bias", None) is not None:
                        m.bias.zero_()

    def _rope_for(self, T, device):
        c = self.config
        # dynamic scaling depends on the sequence length once it exceeds max_position_embeddings
        key = T if rope.kind_of(c.rope_scaling) == "dynamic" and T > c.max_position_embeddings else None
        if (self._rope is None or self._rope[0] != key or self._rope[1].shape[0] < T
                or self._rope[1].device != device):
            self._rope = (key,) + rope_tables(c, max(T, c.max_position_embeddings), device, key)
        _, cos, sin = self._rope
        return cos[:T], sin[:T]

    def forward(self, input_ids):
        """Logits for every position, [batch, seq, vocab]. Causal only: batches are right-padded."""
        T = input_ids.shape[1]
        if self.config.sliding_window is not None and T > self.config.sliding_window:
            raise ValueError(f"sequence length {T} exceeds the model's sliding_window "
                             f"{self.config.sliding_window}; the trainer attends over whole sequences only, "
                             "so keep seq_len <= sliding_window")
        cos, sin = self._rope_for(T, input_ids.device)
        x = self.model.embed_tokens(input_ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.model.norm(x))

    def router_logits(self):
        """Each MoE layer's router logits [tokens, N] of the last training forward; [] for a dense model."""
        return [layer.block_sparse_moe.last_router_logits for layer in self.model.layers
                if hasattr(layer, "block_sparse_moe") and layer.block_sparse_moe.last_router_logits is not None]

    def hf_state_dict(self):
        sd = {k: v for k, v in self.state_dict().items()}
        if self.config.tie_word_embeddings:
            sd.pop("lm_head.weight", None)
        return sd

    def load_hf_state_dict(self, sd):
        sd = dict(sd)
        if self.config.tie_word_embeddings:
            sd.setdefault("lm_head.weight", sd["model.embed_tokens.weight"])
        sd = {k: v for k, v in sd.items() if not k.endswith("rotary_emb.inv_freq")}
        missing, unexpected = self.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise ValueError(f"checkpoint does not fit the config: missing {missing}, unexpected {unexpected}")
