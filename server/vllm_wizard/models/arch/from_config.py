"""The entry point: a parsed ``config.json`` in, a :class:`ModelArch` out.

Picks the text model's keys, reads the sizes every model has (hidden size, heads, KV heads,
head size, vocabulary, dtype, tied embeddings, biases) and asks the rule modules for the rest
(lengths, layer kinds, hybrids, MoE, MLA, quantization, vision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from vllm_wizard.models.arch.class_defaults import _class_default
from vllm_wizard.models.arch.context_length import (
    _gemma3_rope_cache_positions,
    _max_model_len,
)
from vllm_wizard.models.arch.hybrid import _hybrid
from vllm_wizard.models.arch.layer_kinds import _NEXT_TYPES, _layer_kinds, _sliding_window
from vllm_wizard.models.arch.mla import _mla
from vllm_wizard.models.arch.moe import _moe
from vllm_wizard.models.arch.quantization import _quantization
from vllm_wizard.models.arch.reader import _Cfg, _describe
from vllm_wizard.models.arch.results import MambaInfo, ModelArch, ModelConfigError
from vllm_wizard.models.arch.vision import _vision

# ---------------------------------------------------------------------------------------------
# Sub-config selection
# ---------------------------------------------------------------------------------------------

_TEXT_CONFIG_KEYS = ("text_config", "llm_config", "language_config")


def _text_config(top: Mapping[str, Any]) -> tuple[Mapping[str, Any], str, bool]:
    """The text model's keys: a nested ``text_config`` when the model has one.

    Mirrors ``get_hf_text_config`` (``PreTrainedConfig.get_text_config``): the nested config must
    itself have ``num_attention_heads``.
    """
    for key in _TEXT_CONFIG_KEYS:
        sub = top.get(key)
        if sub is None:
            continue
        if not isinstance(sub, Mapping):
            raise ModelConfigError(f"config.json `{key}` must be an object, not {_describe(sub)}")
        sub_map = cast(Mapping[str, Any], sub)
        if "num_attention_heads" not in sub_map and "num_heads" not in sub_map:
            raise ModelConfigError(
                f"config.json `{key}` has no `num_attention_heads`; vLLM cannot read the text "
                "model from it"
            )
        return sub_map, f"{key}.", True
    return top, "", "vision_config" in top


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------

_HIDDEN_KEYS = ("hidden_size", "n_embd", "d_model")
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers")
_HEAD_KEYS = ("num_attention_heads", "n_head", "num_heads")
_KV_HEAD_KEYS = (
    "n_head_kv",
    "num_kv_heads",
    "num_key_value_heads",
    "multi_query_group_num",
    "num_attention_groups",
)
_NON_GATED_MLP_TYPES = frozenset(
    {
        "falcon",
        "RefinedWeb",
        "RefinedWebModel",
        "gpt2",
        "gpt_neox",
        "gptj",
        "opt",
        "bloom",
        "phi",
        "starcoder2",
        "gpt_bigcode",
        "mpt",
        "nemotron",
        "nemotron_h",
    }
)
# Config classes whose tie_word_embeddings defaults to True (most LM classes say False), read
# from transformers 5.16.1 (the oldest vLLM 0.33 accepts), models/*/configuration_*.py; the
# Falcon-7B/40B formats (RefinedWeb*) use vLLM's RWConfig, and vLLM's falcon.py ties the
# embeddings when the config does not say (model_executor/models/falcon.py:494-501).
_TIE_BY_DEFAULT = frozenset(
    {
        "bloom",
        "cohere",
        "cohere2",
        "cohere2_moe",
        "ernie4_5",
        "ernie4_5_moe",
        "falcon",
        "falcon_mamba",
        "gemma",
        "gemma2",
        "gemma3",
        "gemma3_text",
        "gemma3n_text",
        "gemma4_text",
        "gpt2",
        "gpt_bigcode",
        "jetmoe",
        "lfm2",
        "lfm2_moe",
        "mamba",
        "minicpm3",
        "mpt",
        "opt",
        "RefinedWeb",
        "RefinedWebModel",
        "smollm3",
        "starcoder2",
        "vaultgemma",
        "zamba2",
    }
)
# A composite config whose text_config names no model_type: the type its class builds
# (transformers 5.16.1 Kimi_K25Config.__post_init__: a text_config dict without model_type
# becomes a DeepseekV3Config, and "kimi_k2" is read as "deepseek_v3" too).
_TEXT_TYPE_DEFAULTS = {"kimi_k25": "deepseek_v3"}
_QKV_BIAS_TYPES = frozenset({"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl"})
_QK_NORM_TYPES = frozenset(
    {"qwen3", "qwen3_moe", "qwen3_next", "gemma3_text", "olmo2", "qwen3_5_text", "qwen3_5_moe_text"}
)


def _int_alias(cfg: _Cfg, keys: Sequence[str]) -> int:
    for key in keys:
        if cfg.raw(key) is not None:
            return cfg.int_(key)
    raise ModelConfigError(f"config.json has no `{cfg.path(keys[0])}`")


def _dtype(top: _Cfg, text: _Cfg) -> str | None:
    """``get_torch_dtype``: the top config's ``dtype`` (``torch_dtype`` in older files), then the
    text config's, then the vision config's. ``None``: vLLM would read the safetensors dtypes."""
    candidates: list[_Cfg] = [top]
    if text is not top:
        candidates.append(text)
    vision = top.opt_mapping("vision_config")
    if vision is not None:
        candidates.append(_Cfg(vision, "vision_config."))
    for cfg in candidates:
        for key in ("dtype", "torch_dtype"):
            value = cfg.raw(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ModelConfigError(
                    f"config.json `{cfg.path(key)}` must be a string, not {_describe(value)}"
                )
            return value.removeprefix("torch.")
    return None


def arch_from_config(config: Mapping[str, Any]) -> ModelArch:
    """Turn a parsed Hugging Face ``config.json`` into a :class:`ModelArch`.

    Raises :class:`ModelConfigError` (one clear message) when a required key is missing or a
    key has the wrong type.
    """
    if not isinstance(config, Mapping):
        raise ModelConfigError(f"config.json must be a JSON object, not {_describe(config)}")
    top = _Cfg(config)
    top_type = top.opt_str("model_type")
    text_map, prefix, multimodal = _text_config(config)
    text = _Cfg(text_map, prefix) if prefix else top
    text_type = text.opt_str("model_type") or ""
    if not text_type:
        text_type = (_TEXT_TYPE_DEFAULTS.get(top_type or "") if prefix else None) or top_type or ""
    model_type = top_type or text_type
    if not model_type:
        raise ModelConfigError("config.json has no `model_type`")

    arch_raw = top.opt_list("architectures") or []
    architectures = tuple(str(a) for a in arch_raw)

    hidden = _int_alias(text, _HIDDEN_KEYS)
    heads = _int_alias(text, _HEAD_KEYS)
    vocab = text.int_("vocab_size", 0, minimum=0)
    if not vocab and text_type == "chatglm":
        # vLLM's ChatGLMConfig: vocab_size = padded_vocab_size
        vocab = text.int_("padded_vocab_size", 0, minimum=0)
    vocab = vocab or top.int_("vocab_size")
    num_layers = _int_alias(text, _LAYER_KEYS)

    # KV heads: get_total_num_kv_heads (Falcon: multi_query → 1 unless new_decoder_architecture)
    kv_heads: int
    if (
        text_type in ("falcon", "RefinedWeb", "RefinedWebModel")
        and not text.bool_("new_decoder_architecture", False)
        and text.bool_("multi_query", False)
    ):
        kv_heads = 1
    else:
        kv_heads = heads
        for key in _KV_HEAD_KEYS:
            if text.raw(key) is not None:
                kv_heads = text.int_(key)
                break

    mla = _mla(text, text_type)
    head_dim: int
    if mla is not None:
        head_dim = mla.cache_dim
    else:
        explicit = text.opt_int("head_dim", minimum=0)
        if explicit is None and not text.has("head_dim"):
            default_head = _class_default(text_type, "head_dim")
            explicit = int(default_head) if default_head is not None else None
        per_head = text.opt_int("hidden_size_per_head")
        if explicit:
            head_dim = explicit
        elif per_head:
            head_dim = per_head
        else:
            head_dim = hidden // heads

    hybrid = _hybrid(text, text_type, num_layers)
    mamba: MambaInfo | None = None
    window: int | None = None
    chunk: int | None = None
    if hybrid is not None:
        kinds, mamba, num_layers = hybrid
        if "sliding" in kinds:
            window = _sliding_window(text, text_type)
    else:
        kinds, window, chunk = _layer_kinds(text, text_type, num_layers)
    if len(kinds) != num_layers:
        kinds = (kinds + ["full"] * num_layers)[:num_layers]

    max_len, limit, max_key, factor, model_max = _max_model_len(text, text_type)
    rope_positions = _gemma3_rope_cache_positions(text, text_type, limit, kinds)
    moe = _moe(text, text_type, kinds, num_layers)
    intermediate = text.int_("intermediate_size", 0, minimum=0)
    if not intermediate and text_type == "chatglm":
        intermediate = text.int_("ffn_hidden_size", 0, minimum=0)
    if text_type == "llama4_text":
        intermediate = text.opt_int("intermediate_size_mlp") or intermediate
    if not intermediate and not text.has("intermediate_size"):
        intermediate = 4 * hidden if text_type in _NON_GATED_MLP_TYPES else 0

    tie_default = text_type in _TIE_BY_DEFAULT
    tie = text.bool_("tie_word_embeddings", top.bool_("tie_word_embeddings", tie_default))
    attention_bias = text.bool_("attention_bias", False) or text.bool_("bias", False)
    norms = 4 if text_type in ("gemma2", "gemma3_text") else 2
    if text_type in ("nemotron_h",):
        norms = 1

    return ModelArch(
        model_type=model_type,
        text_model_type=text_type,
        architectures=architectures,
        hidden_size=hidden,
        num_layers=num_layers,
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=vocab,
        intermediate_size=intermediate,
        torch_dtype=_dtype(top, text),
        tie_word_embeddings=tie,
        layer_kinds=tuple(kinds),
        sliding_window=window,
        attention_chunk_size=chunk,
        max_model_len=max_len,
        derived_max_model_len=limit,
        max_len_key=max_key,
        rope_scaling_factor=factor,
        model_max_length=model_max,
        rope_cache_positions=rope_positions,
        mla=mla,
        moe=moe,
        quantization=_quantization(top, text),
        mamba=mamba,
        vision=_vision(top),
        is_multimodal=multimodal,
        attention_bias=attention_bias,
        qkv_bias=text_type in _QKV_BIAS_TYPES
        or text.bool_("qkv_bias", False)
        or (text_type == "chatglm" and text.bool_("add_qkv_bias", False)),
        qk_norm=text_type in _QK_NORM_TYPES
        or (text.bool_("use_qk_norm", False) and text_type not in ("llama4_text",)),
        gated_attention=text_type in _NEXT_TYPES,
        attention_sinks=text_type == "gpt_oss",
        norms_per_layer=norms,
        gated_mlp=text_type not in _NON_GATED_MLP_TYPES,
    )
