"""A Hugging Face ``config.json`` turned into what the memory model needs (see from_config)."""

from __future__ import annotations

from vllm_wizard.models.arch.from_config import (
    AttentionKind,
    LayerKind,
    MambaInfo,
    MLAInfo,
    ModelArch,
    ModelConfigError,
    MoEInfo,
    ParamCounts,
    QuantizationInfo,
    VisionInfo,
    arch_from_config,
    estimate_params,
)

__all__ = [
    "AttentionKind",
    "LayerKind",
    "MLAInfo",
    "MambaInfo",
    "MoEInfo",
    "ModelArch",
    "ModelConfigError",
    "ParamCounts",
    "QuantizationInfo",
    "VisionInfo",
    "arch_from_config",
    "estimate_params",
]
