"""The dtype vLLM serves a model in, as `ModelConfig._get_and_verify_dtype` picks it.

vLLM 0.33.0, `vllm/config/model.py` (`_resolve_auto_dtype`, `_check_valid_dtype`) and
`vllm/platforms/cuda.py` (`supported_dtypes`, `check_if_supports_dtype`):

* CUDA supports bfloat16, float16, float32 from compute capability 8.0, else float16 and
  float32; `auto` takes the checkpoint's dtype when supported (float32 checkpoints and
  configs without one are downcast to the first supported dtype), else falls back to it;
* Gemma 2/3 and GLM-4 refuse float16 ("Numerical instability");
* an explicit bfloat16 below compute capability 8.0 is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT16_NOT_SUPPORTED = frozenset({"gemma2", "gemma3", "gemma3_text", "glm4"})


@dataclass(frozen=True, slots=True)
class DtypeChoice:
    """The served dtype, and vLLM's refusal when it would not start."""

    dtype: str
    error: str | None = None
    note: str | None = None


def _supported(capability: tuple[int, int] | None, model_type: str) -> list[str]:
    if capability is None or capability >= (8, 0):
        dtypes = ["bfloat16", "float16", "float32"]
    else:
        dtypes = ["float16", "float32"]
    return [d for d in dtypes if not (d == "float16" and model_type in FLOAT16_NOT_SUPPORTED)]


def served_dtype(
    requested: str,
    checkpoint_dtype: str | None,
    model_type: str,
    capability: tuple[int, int] | None,
    gpu_name: str,
) -> DtypeChoice:
    """`requested` is the profile's `model.dtype` (auto, float16, bfloat16, float32)."""
    supported = _supported(capability, model_type)
    if requested == "auto":
        config = checkpoint_dtype if checkpoint_dtype in ("float16", "bfloat16") else None
        if config is None:
            return DtypeChoice(
                supported[0],
                note=f"checkpoint dtype {checkpoint_dtype or 'not stated'}; vLLM serves it"
                f" in {supported[0]}",
            )
        if config in supported:
            return DtypeChoice(config)
        return DtypeChoice(
            supported[0],
            note=f"{gpu_name} does not support {config}; vLLM falls back to {supported[0]}",
        )
    if requested == "bfloat16" and capability is not None and capability < (8, 0):
        version = f"{capability[0]}.{capability[1]}"
        return DtypeChoice(
            requested,
            error=(
                "Bfloat16 is only supported on GPUs with compute capability of at least 8.0."
                f" Your {gpu_name} GPU has compute capability {version}. Use float16 instead."
            ),
        )
    if requested == "float16" and model_type in FLOAT16_NOT_SUPPORTED:
        return DtypeChoice(
            requested,
            error=(
                f"The model type '{model_type}' does not support float16. Reason: Numerical"
                " instability. Please use bfloat16 or float32 instead."
            ),
        )
    return DtypeChoice(requested)
