"""What each decoder layer of an attention model keeps: full, sliding-window or chunked attention.

Follows the model code (``llama.py``, ``gemma2.py``, ``gemma3.py``, ``gpt_oss.py``,
``llama4.py``, ``commandr.py``, ``qwen2.py``), ``EngineArgs.create_engine_config`` and the
``layer_types`` the ``transformers`` config classes compute; the hybrid families reuse its
``layer_types`` mapping.
"""

from __future__ import annotations

from typing import Any

from vllm_wizard.models.arch.class_defaults import _class_default
from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import LayerKind, ModelConfigError

_QWEN_SLIDING_TYPES = frozenset({"qwen2", "qwen2_moe", "qwen3", "qwen3_moe"})
_PATTERN_DEFAULTS = {"gemma2": 2, "gemma3_text": 6, "gemma3": 6, "cohere2": 4}
_NEXT_TYPES = frozenset(
    {"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"}
)


def _sliding_window(text: _Cfg, text_type: str) -> int | None:
    value: Any = (
        text.raw("sliding_window")
        if text.has("sliding_window")
        else _class_default(text_type, "sliding_window")
    )
    if value is None:
        return None
    window = text.opt_int("sliding_window") if text.has("sliding_window") else int(value)
    # Qwen2Config & co.: `sliding_window = sliding_window if use_sliding_window else None`
    qwen_like = text.has("use_sliding_window") or text_type in _QWEN_SLIDING_TYPES
    if qwen_like and not text.bool_("use_sliding_window", False):
        return None
    if not window:  # vLLM turns 0 into None (and disables the sliding window)
        return None
    return window


def _map_layer_type(name: Any, path: str) -> LayerKind:
    if not isinstance(name, str):
        raise ModelConfigError(f"config.json `{path}` entries must be strings")
    if name == "sliding_attention":
        return "sliding"
    if name == "chunked_attention":
        return "chunked"
    if name == "linear_attention":
        return "linear"
    if name == "mamba":
        return "mamba"
    if name in ("mlp", "moe"):
        return "none"
    return "full"  # full_attention, attention, sparse variants; unknown ones cost the most


def _layer_kinds(
    text: _Cfg, text_type: str, num_layers: int
) -> tuple[list[LayerKind], int | None, int | None]:
    """(kinds, sliding window vLLM applies to sliding layers, attention chunk size)."""
    window = _sliding_window(text, text_type)
    chunk: int | None = None
    kinds: list[LayerKind]

    if text_type in ("llama4_text", "llama4"):
        # llama4.py: chunked local attention on RoPE layers (no_rope_layers[i] == 1)
        chunk_value = (
            text.opt_int("attention_chunk_size")
            if text.has("attention_chunk_size")
            else _class_default("llama4_text", "attention_chunk_size")
        )
        chunk = chunk_value or None
        rope_flags = text.opt_list("no_rope_layers")
        if not rope_flags:
            interval = text.int_("no_rope_layer_interval", 4)
            rope_flags = [int((i + 1) % interval != 0) for i in range(num_layers)]
        if len(rope_flags) < num_layers:
            raise ModelConfigError(
                f"config.json `{text.path('no_rope_layers')}` has {len(rope_flags)} entries "
                f"for {num_layers} layers"
            )
        kinds = ["chunked" if chunk and rope_flags[i] else "full" for i in range(num_layers)]
        return kinds, None, chunk

    if text_type == "gpt_oss":
        # gpt_oss.py: sliding window on even layers, whatever layer_types says
        kinds = ["sliding" if window and i % 2 == 0 else "full" for i in range(num_layers)]
        return kinds, window if window else None, None

    layer_types = text.opt_list("layer_types")
    if layer_types is not None:
        if len(layer_types) < num_layers:
            raise ModelConfigError(
                f"config.json `{text.path('layer_types')}` has {len(layer_types)} entries for "
                f"{num_layers} layers"
            )
        path = text.path("layer_types")
        kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
    elif text_type in _QWEN_SLIDING_TYPES:
        first = text.int_(
            "max_window_layers", _class_default(text_type, "max_window_layers"), minimum=0
        )
        kinds = ["sliding" if window and i >= first else "full" for i in range(num_layers)]
    elif text_type in _PATTERN_DEFAULTS:
        default_pattern = _PATTERN_DEFAULTS[text_type]
        pattern = text.opt_int("sliding_window_pattern", minimum=1) or text.opt_int(
            "_sliding_window_pattern", minimum=1
        )
        if text_type == "gemma2":
            pattern = default_pattern
        pattern = pattern or default_pattern
        kinds = ["sliding" if (i + 1) % pattern else "full" for i in range(num_layers)]
    else:
        # EngineArgs: a model-wide sliding window applies to every layer
        kinds = ["sliding" if window else "full" for _ in range(num_layers)]

    if window is None:
        kinds = ["full" if k == "sliding" else k for k in kinds]
    elif text_type == "cohere2":
        window += 1  # commandr.py: "cohere swa layer sees [pos - sliding_window, pos]"
    if "sliding" not in kinds:
        window = None
    return kinds, window, chunk
