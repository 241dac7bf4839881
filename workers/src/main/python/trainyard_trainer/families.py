"""The model families the trainer loads, trains and writes back: one table, one row per Hugging Face
``model_type``, each saying only how it differs from Llama. ``model.py`` builds every family from its row.

Columns (as transformers' own modeling code for the family behaves):
- ``qkv_bias`` / ``o_bias`` / ``mlp_bias``: whether q/k/v_proj, o_proj and gate/up/down_proj have a bias.
  ``True``/``False`` when the family fixes it; a config.json key name when the config decides (that key,
  false when absent).
- ``qk_norm``: ``"head"`` for an RMSNorm over ``head_dim`` applied to each head of q and k before RoPE
  (``self_attn.q_norm`` / ``self_attn.k_norm``); ``None`` for none.
- ``tie_word_embeddings``: the default when config.json does not say (transformers' config class default).
- ``sliding_window``: ``None`` (the family has none), ``"flag"`` (a window only when ``use_sliding_window``
  is true, which the trainer refuses), ``"window"`` (``sliding_window`` applies whenever it is set; it is a
  no-op for sequences no longer than the window, and longer ones are refused).
- ``moe``: the MLP of each layer is a sparse mixture of experts (``block_sparse_moe``: router ``gate`` and
  ``experts.{j}.w1/w2/w3``, config keys ``num_local_experts``/``num_experts_per_tok``, plus our
  ``layer_experts`` for layers of different expert counts), as transformers' Mixtral; false: the dense ``mlp``.
- ``fresh_keys``: config.json keys a model made from scratch gets besides the modelled ones, so a new
  checkpoint carries what transformers' config class of the family writes. A loaded checkpoint keeps all
  of its own keys instead.

Adding a family (e.g. ``olmo2``) is a row here, plus model code only for a difference no column expresses.
"""

import collections

Family = collections.namedtuple("Family", "model_type architecture qkv_bias o_bias mlp_bias qk_norm "
                                          "tie_word_embeddings sliding_window fresh_keys moe", defaults=(False,))

FAMILIES = {f.model_type: f for f in (
    Family("llama", "LlamaForCausalLM", qkv_bias="attention_bias", o_bias="attention_bias",
           mlp_bias="mlp_bias", qk_norm=None, tie_word_embeddings=False, sliding_window=None,
           fresh_keys={"pretraining_tp": 1}),
    Family("qwen2", "Qwen2ForCausalLM", qkv_bias=True, o_bias=False, mlp_bias=False, qk_norm=None,
           tie_word_embeddings=False, sliding_window="flag", fresh_keys={"use_sliding_window": False}),
    Family("qwen3", "Qwen3ForCausalLM", qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias=False,
           qk_norm="head", tie_word_embeddings=False, sliding_window="flag",
           fresh_keys={"use_sliding_window": False}),
    Family("mistral", "MistralForCausalLM", qkv_bias=False, o_bias=False, mlp_bias=False, qk_norm=None,
           tie_word_embeddings=False, sliding_window="window", fresh_keys={"sliding_window": None}),
    Family("mixtral", "MixtralForCausalLM", qkv_bias=False, o_bias=False, mlp_bias=False, qk_norm=None,
           tie_word_embeddings=False, sliding_window="window",
           fresh_keys={"sliding_window": None, "output_router_logits": False, "router_jitter_noise": 0.0}, moe=True),
)}

SUPPORTED = tuple(FAMILIES)


def of(model_type):
    """The family of a config.json ``model_type``; anything else is refused with the supported names."""
    family = FAMILIES.get(model_type)
    if family is None:
        raise ValueError(f"model_type '{model_type}' is not supported; the trainer supports "
                         f"{', '.join(SUPPORTED)}")
    return family


def flag(setting, hf):
    """A column that is a fixed bool or the name of a config.json key (false when absent)."""
    return bool(hf.get(setting)) if isinstance(setting, str) else bool(setting)
