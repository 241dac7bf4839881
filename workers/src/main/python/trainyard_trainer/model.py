"""A Llama-architecture decoder (RMSNorm, rotary embeddings, grouped-query attention, SwiGLU) whose
parameter names and config.json follow Hugging Face's LlamaForCausalLM, so its checkpoints load there."""

import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import tokenizer as tok

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
# torch >= 2.5 attends grouped KV heads without materialising the repeats.
SDPA_GQA = HAS_SDPA and tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 5)


@dataclasses.dataclass
class LlamaConfig:
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
    # HF's head_dim when it is not hidden_size / heads (e.g. after attention heads were pruned).
    explicit_head_dim: int = None

    def __post_init__(self):
        if self.explicit_head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.head_dim % 2:
            raise ValueError("the head dimension must be even for rotary embeddings")

    @property
    def head_dim(self):
        return self.explicit_head_dim or self.hidden_size // self.num_attention_heads

    def to_hf(self, torch_dtype="float32"):
        d = dataclasses.asdict(self)
        d.pop("explicit_head_dim")
        d.update({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
            "head_dim": self.head_dim, "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False,
            "pretraining_tp": 1, "rope_scaling": None, "use_cache": True, "torch_dtype": torch_dtype,
            "bos_token_id": tok.BOS, "eos_token_id": tok.EOS, "pad_token_id": tok.PAD,
        })
        return d

    @classmethod
    def from_hf(cls, d):
        fields = {f.name for f in dataclasses.fields(cls)}
        if d.get("model_type", "llama") != "llama":
            raise ValueError(f"model_type '{d.get('model_type')}' is not llama")
        if d.get("rope_scaling"):
            raise ValueError("rope_scaling is not supported by this trainer")
        kw = {k: v for k, v in d.items() if k in fields}
        kw.setdefault("num_key_value_heads", d.get("num_attention_heads"))
        heads, hidden = kw.get("num_attention_heads"), kw.get("hidden_size")
        if d.get("head_dim") and heads and hidden and d["head_dim"] != hidden // heads:
            kw["explicit_head_dim"] = int(d["head_dim"])
        return cls(**kw)

    def num_params(self):
        d, f, v, L = self.hidden_size, self.intermediate_size, self.vocab_size, self.num_hidden_layers
        kv = self.num_key_value_heads * self.head_dim
        q = self.num_attention_heads * self.head_dim
        per_layer = 2 * d * q + 2 * d * kv + 3 * d * f + 2 * d
        return v * d * (1 if self.tie_word_embeddings else 2) + L * per_layer + d


def resolve_config(spec):
    """The architecture from step.json: a map of HF config fields over :class:`LlamaConfig`'s. Preset names
    (``tiny``, ``125m``…) are resolved by the planner from the kind's definition, so none are listed here."""
    if not isinstance(spec, dict):
        raise ValueError("model must be an architecture map (the planner resolves preset names); got "
                         f"{type(spec).__name__}")
    merged = dataclasses.asdict(LlamaConfig())
    merged.update(spec)
    return LlamaConfig.from_hf(merged)


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


def rope_tables(config, seq_len, device):
    """cos/sin of HF Llama's rotary embedding (halves rotated, not interleaved)."""
    hd = config.head_dim
    inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.int64, device=device).float() / hd))
    pos = torch.arange(seq_len, device=device, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def _rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    return (x * cos.to(x.dtype)) + (_rotate_half(x) * sin.to(x.dtype))


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.num_attention_heads * c.head_dim, c.hidden_size, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        c = self.c
        q = self.q_proj(x).view(B, T, c.num_attention_heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, c.num_key_value_heads, c.head_dim).transpose(1, 2)
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
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c)
        self.mlp = MLP(c)
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.num_hidden_layers))
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

    def _rope_for(self, T, device):
        if self._rope is None or self._rope[0].shape[0] < T or self._rope[0].device != device:
            self._rope = rope_tables(self.config, max(T, self.config.max_position_embeddings), device)
        cos, sin = self._rope
        return cos[:T], sin[:T]

    def forward(self, input_ids):
        """Logits for every position, [batch, seq, vocab]. Causal only: batches are right-padded."""
        T = input_ids.shape[1]
        cos, sin = self._rope_for(T, input_ids.device)
        x = self.model.embed_tokens(input_ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.model.norm(x))

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
