"""The model's maximum length and its rotary-embedding caches (rope scaling, LongRoPE, Gemma 3).

Mirrors ``vllm.config.model._get_and_verify_max_len`` and
``ModelArchConfigConvertorBase.derive_max_model_len_and_key``: which length key counts, how
rope scaling stretches it, and how many rotary positions vLLM caches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

from vllm_wizard.models.arch.class_defaults import _class_default
from vllm_wizard.models.arch.reader import _Cfg, _describe
from vllm_wizard.models.arch.results import LayerKind, ModelConfigError

_MAX_LEN_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "model_max_length",
    "max_target_positions",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
_DEFAULT_MAX_LEN = 2048
_UNSCALED_ROPE_TYPES = frozenset(
    {"su", "longrope", "llama3", "yarn", "deepseek_yarn", "deepseek_llama_scaling"}
)
_LAYER_TYPE_NAMES = frozenset(
    {
        "full_attention",
        "sliding_attention",
        "chunked_attention",
        "linear_attention",
        "attention",
        "mamba",
    }
)


def _rope_parameters(text: _Cfg, text_type: str) -> list[dict[str, Any]]:
    """The rope parameter sets as ``iter_rope_parameters`` yields them after
    ``patch_rope_parameters`` / ``standardize_rope_params`` (legacy ``type`` → ``rope_type``,
    ``su`` → ``longrope``, ``mrope`` → ``default``; Phi-3's ``yarn`` → ``longrope``)."""
    raw = text.raw("rope_parameters")
    if raw is None:
        raw = text.raw("rope_scaling")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ModelConfigError(
            f"config.json `{text.path('rope_scaling')}` must be an object or null, "
            f"not {_describe(raw)}"
        )
    raw_map = cast(Mapping[str, Any], raw)
    nested = bool(raw_map) and all(
        key in _LAYER_TYPE_NAMES and (value is None or isinstance(value, Mapping))
        for key, value in raw_map.items()
    )
    groups = [v for v in raw_map.values() if isinstance(v, Mapping) and v] if nested else [raw_map]
    result: list[dict[str, Any]] = []
    for group in groups:
        params = dict(cast(Mapping[str, Any], group))
        if not params:
            continue
        rope_type = params.get("rope_type", params.get("type", "default"))
        if not isinstance(rope_type, str):
            raise ModelConfigError(
                f"config.json `{text.path('rope_scaling')}` has a non-string rope type"
            )
        if rope_type == "su":
            rope_type = "longrope"
        elif rope_type == "mrope":
            rope_type = "default"
        elif rope_type == "telechat3-yarn":
            rope_type = "yarn"
        if text_type == "phi3" and rope_type == "yarn":
            rope_type = "longrope"
        params["rope_type"] = rope_type
        result.append(params)
    return result


def _max_model_len(text: _Cfg, text_type: str) -> tuple[int, int, str | None, float, int | None]:
    """(default max_model_len, derived limit, key, rope factor applied, model_max_length).

    Mirrors ``ModelArchConfigConvertorBase.derive_max_model_len_and_key`` and
    ``vllm.config.model._get_and_verify_max_len`` in vLLM 0.33.0 for a generating model with no
    user value, no tokenizer limit (pooling only), no encoder and sliding window not disabled:

    1. the smallest of the length keys present (``max_position_embeddings``, ``n_positions``,
       ``max_seq_len``, ``seq_length``, ``model_max_length``, ``max_target_positions``,
       ``max_sequence_length``, ``max_seq_length``, ``seq_len``), then a truthy
       ``model_max_length`` overrides it (Command-R);
    2. none present → 2048 (vLLM logs a warning);
    3. rope scaling, except for Gemma 3 (its length is already scaled): the ``factor`` of the
       last rope parameter set whose type is *not* su/longrope/llama3/yarn/deepseek_yarn/
       deepseek_llama_scaling multiplies the length (so ``linear`` and ``dynamic`` scale it;
       YaRN and Llama-3 scaling do not — their ``max_position_embeddings`` is already the
       scaled one); a null factor counts as 1;
    4. LongRoPE: the default is ``original_max_position_embeddings`` (performance), while the
       derived limit stays the full length.
    """
    derived: float = math.inf
    key: str | None = None
    for name in _MAX_LEN_KEYS:
        value: Any = text.raw(name)
        if value is None and name == "max_position_embeddings":
            value = _class_default(text_type, name)
        if value is None:
            continue
        number = text.opt_number(name) if text.has(name) else float(value)
        assert number is not None
        if number < derived:
            key = name
        derived = min(derived, number)
    model_max_length = text.opt_number("model_max_length")
    if model_max_length:
        key = "model_max_length"
        derived = model_max_length
    if derived == math.inf:
        derived = float(_DEFAULT_MAX_LEN)
        key = None

    rope = _rope_parameters(text, text_type)
    factor_applied = 1.0
    if rope and "gemma3" not in text_type:
        scaling: Any = 1.0
        for params in rope:
            if params["rope_type"] not in _UNSCALED_ROPE_TYPES:
                scaling = params.get("factor", scaling)
        if scaling is None:
            scaling = 1.0
        if isinstance(scaling, bool) or not isinstance(scaling, int | float):
            raise ModelConfigError(
                f"config.json `{text.path('rope_scaling')}.factor` must be a number, "
                f"not {_describe(scaling)}"
            )
        factor_applied = float(scaling)
        derived *= factor_applied

    default = derived
    if any(p["rope_type"] == "longrope" for p in rope):
        original = text.opt_number("original_max_position_embeddings")
        if original is None:
            original_default = _class_default(text_type, "original_max_position_embeddings")
            original = float(original_default) if original_default is not None else None
        if original is not None:
            default = original
    limit = int(derived)
    return (
        int(default),
        limit,
        key,
        factor_applied,
        (int(model_max_length) if model_max_length else None),
    )


def _gemma3_rope_cache_positions(
    text: _Cfg, text_type: str, max_position: int, kinds: list[LayerKind]
) -> int:
    """Gemma 3's rotary caches, in positions; 0 for every other model.

    vLLM 0.33 gives Gemma 3 one rope per layer type (``config.rope_parameters[layer_type]``):
    the global layers' ``linear`` rope (factor 8 in the released checkpoints) caches
    ``max_position × factor`` positions (``LinearScalingRotaryEmbedding``), the sliding layers'
    default rope ``max_position``. 1,048,576 + 131,072 positions × 256 × 2 B = 0.56 GiB for
    gemma-3-4b/12b, the gap between their safetensors and "Model loading took" on vLLM 0.19
    (8.58 and 23.31 GiB, tests/accuracy/cases.yaml).
    """
    if "gemma3" not in text_type or text_type.startswith("gemma3n"):
        return 0
    positions = 0
    for params in _rope_parameters(text, text_type) or [{"rope_type": "default"}]:
        factor: Any = params.get("factor") if params["rope_type"] == "linear" else 1
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            factor = 1
        positions += int(max_position * factor)
    if "sliding" in kinds and len(_rope_parameters(text, text_type)) <= 1:
        positions += max_position  # the local rope of legacy configs (rope_local_base_freq)
    return positions
