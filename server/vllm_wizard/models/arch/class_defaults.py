"""The ``transformers`` class defaults that change the answer when a ``config.json`` omits a key.

vLLM reads a config through its ``transformers`` class, which fills absent keys; the file alone
does not say them, so the few that matter are listed here with the class they come from.
"""

from __future__ import annotations

from typing import Any

_CLASS_DEFAULTS: dict[str, dict[str, Any]] = {
    # LlamaConfig: max_position_embeddings=2048
    "llama": {"max_position_embeddings": 2048},
    # MistralConfig: max_position_embeddings=4096*32, sliding_window=4096
    "mistral": {"max_position_embeddings": 131072, "sliding_window": 4096},
    # MixtralConfig: max_position_embeddings=4096*32, sliding_window=None
    "mixtral": {"max_position_embeddings": 131072},
    # Qwen2Config / Qwen3Config: 32768, use_sliding_window=False, sliding_window=4096, 28 layers
    "qwen2": {"max_position_embeddings": 32768, "sliding_window": 4096, "max_window_layers": 28},
    "qwen3": {"max_position_embeddings": 32768, "sliding_window": 4096, "max_window_layers": 28},
    "qwen2_moe": {"sliding_window": 4096, "max_window_layers": 28},
    "qwen3_moe": {"sliding_window": 4096, "max_window_layers": 28},
    # Gemma2Config: 8192, head_dim=256, sliding_window=4096
    "gemma2": {"max_position_embeddings": 8192, "head_dim": 256, "sliding_window": 4096},
    # Gemma3TextConfig: 131072, head_dim=256, sliding_window=4096, pattern 6
    "gemma3_text": {"max_position_embeddings": 131072, "head_dim": 256, "sliding_window": 4096},
    # Cohere2Config: sliding_window=4096, pattern 4
    "cohere2": {"sliding_window": 4096},
    # Phi3Config: 4096, original_max_position_embeddings=4096
    "phi3": {"max_position_embeddings": 4096, "original_max_position_embeddings": 4096},
    # GptOssConfig: 131072, head_dim=64, sliding_window=128
    "gpt_oss": {"max_position_embeddings": 131072, "head_dim": 64, "sliding_window": 128},
    # Llama4TextConfig: 4096*32, head_dim=128, attention_chunk_size=8192
    "llama4_text": {
        "max_position_embeddings": 131072,
        "head_dim": 128,
        "attention_chunk_size": 8192,
    },
}


def _class_default(model_type: str, key: str) -> Any:
    return _CLASS_DEFAULTS.get(model_type, {}).get(key)
