"""Weight memory per GPU: what vLLM prints as "Model loading took X GiB".

The bytes are the tensors vLLM keeps on the GPU: quantized linear layers at their packed
width plus their scales and zero points, everything else (embeddings, lm_head, norms, the
vision tower, routers) in the model dtype, plus the rotary cos/sin cache every RoPE model
registers (`RotaryEmbedding.cos_sin_cache`: max_position × rotary_dim values in the model
dtype, shared by all layers). Tensor parallelism splits the layers and the vocab-parallel
embedding; pipeline parallelism gives each stage its layers, the first the embedding and
the last the lm_head, and the plan reports the heaviest stage.

Where the checkpoint's safetensors dtypes are known, their byte sum is used (exact); else
the parameter count is split into quantizable linears and the rest by `estimate_params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from vllm_wizard.models.arch import ModelArch, ParamCounts, QuantizationInfo, estimate_params
from vllm_wizard.planning.kv import pp_partitions

GIB = float(2**30)

DTYPE_BYTES: Mapping[str, float] = {"float16": 2, "bfloat16": 2, "float32": 4}

SAFETENSORS_BYTES: Mapping[str, float] = {
    "F64": 8, "I64": 8, "U64": 8,
    "F32": 4, "I32": 4, "U32": 4,
    "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1,
    "F4": 0.5, "F6_E2M3": 0.75, "F6_E3M2": 0.75,
}  # fmt: skip
"""Bytes per element of each safetensors dtype."""

FLOAT_DTYPES = frozenset({"F64", "F32", "F16", "BF16"})
"""Float tensors are loaded in the model dtype (scales included); others as stored."""

MXFP4_BYTES = 0.5 + 1 / 32
"""4-bit values plus one e8m0 scale per 32 (gpt-oss experts)."""

NVFP4_BYTES = 0.5 + 1 / 16
"""4-bit values plus one fp8 scale per 16 (NVFP4)."""


@dataclass(frozen=True, slots=True)
class WeightsEstimate:
    """Weights per GPU and how they were found."""

    bytes_per_gpu: float
    """The heaviest GPU (first or last pipeline stage)."""
    total_bytes: float
    """All GPUs together, one replica."""
    quantized_fraction: float
    """Share of the parameters stored quantized (for the roofline's bytes read)."""
    method: str | None
    """The quantization method the bytes assume, or None."""
    how: str


def _bytes_per_quantized_param(
    method: str, info: QuantizationInfo | None, dtype_bytes: float
) -> float:
    """Stored bytes of one quantized linear weight, scales and zero points included."""
    bits = (info.bits if info is not None else None) or 4
    group = (info.group_size if info is not None else None) or 128
    if group <= 0:  # per-channel (-1): the scales are negligible
        group = 1 << 30
    if method in ("awq", "awq_marlin", "auto_awq", "gptq", "gptq_marlin", "auto_gptq", "moe_wna16"):
        return bits / 8 + (dtype_bytes + bits / 8) / group
    if method in ("mxfp4", "gpt_oss_mxfp4"):
        return MXFP4_BYTES
    if method in ("modelopt_fp4", "nvfp4_per_token"):
        return NVFP4_BYTES
    if method == "compressed-tensors" and info is not None:
        if info.bits is not None and info.bits <= 4:
            if info.weight_type == "float":
                return NVFP4_BYTES
            return bits / 8 + dtype_bytes / group
        return 1.0
    if method in ("int8_per_channel_weight_only", "experts_int8"):
        return 1.0
    if method == "bitsandbytes":
        return _bitsandbytes_bytes(info)
    if method == "humming":
        return bits / 8 + dtype_bytes / group
    # fp8 and its variants (fp8, fbgemm_fp8, modelopt, mxfp8, deepseek_v4_fp8, quark, ...)
    return 1.0


BNB_BLOCK_SIZE = 64
"""One absmax scale per 64 weights: `quantize_4bit`'s block, which transformers' saved
checkpoints and vLLM's loader use (BitsAndBytesConfig has no block-size key)."""
BNB_NESTED_BLOCK = 256
"""Double quantization: one fp32 scale per 256 absmax values (bitsandbytes' nested block)."""


def _bitsandbytes_bytes(info: QuantizationInfo | None) -> float:
    """One bitsandbytes-quantized linear weight on the GPU (vLLM ≤ 0.27).

    8-bit: one int8 byte (plus an fp32 scale per output row, negligible). 4-bit: two weights
    packed per uint8 (`BitsAndBytesLinearMethod.create_qweight_for_4bit`: input × output // 2
    bytes) and the block scales of the QuantState: an fp32 absmax per 64 weights, or with
    double quantization a uint8 absmax per 64 and an fp32 per 256 of those. Quantizing on
    load (`--quantization bitsandbytes` on an unquantized checkpoint) is 4-bit NF4 with double
    quantization (`quantize_4bit(..., compress_statistics=True)` in bitsandbytes_loader.py).
    Embeddings and the lm_head are not `LinearBase` layers: they stay in the model dtype.
    """
    if info is not None and info.bits == 8:
        return 1.0
    if info is None or info.nested_scales:
        return 0.5 + 1 / BNB_BLOCK_SIZE + 4 / (BNB_BLOCK_SIZE * BNB_NESTED_BLOCK)
    return 0.5 + 4 / BNB_BLOCK_SIZE


@cache
def parameter_counts(arch: ModelArch) -> ParamCounts:
    """`estimate_params`, once per architecture (the planner asks for every variant)."""
    return estimate_params(arch)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def mxfp4_padding(arch: ModelArch, tp: int) -> float:
    """How much larger MXFP4 expert weights are once vLLM pads them for its MoE kernels.

    `mxfp4_round_up_hidden_size_and_intermediate_size` (vllm/model_executor/layers/fused_moe/
    oracle/mxfp4.py): the Marlin and TRT-LLM backends round the hidden size up to 256 and each
    rank's intermediate size up to 128 (gpt-oss-20b on an H100: 2880 → 3072 × 2944). Checked
    against "Model loading took" for gpt-oss-20b (H100, 13.47 GiB) and gpt-oss-120b (A100, tp 4,
    17.22 GiB per GPU).
    """
    if arch.moe is None:
        return 1.0
    hidden = arch.hidden_size
    per_rank = max(1, arch.moe.moe_intermediate_size // tp)
    return (_round_up(hidden, 256) * _round_up(per_rank, 128)) / (hidden * per_rank)


def _only_experts(method: str, info: QuantizationInfo | None) -> bool:
    """Methods that quantize only the MoE experts (the rest stays in the model dtype)."""
    if method in ("mxfp4", "gpt_oss_mxfp4", "experts_int8", "moe_wna16"):
        return True
    return bool(info and any("attn" in m or "self_attn" in m for m in info.not_quantized))


def estimate_weights(
    arch: ModelArch,
    *,
    params_total: int,
    params_by_dtype: Mapping[str, int] | None,
    dtype: str,
    method: str | None,
    tp: int,
    pp: int,
) -> WeightsEstimate:
    """Weights per GPU for `dtype` ("float16", "bfloat16", "float32") and `method`.

    `method` is the effective quantization: the checkpoint's declared method, or the one the
    profile asks for on an unquantized checkpoint (`fp8` halves a bf16 model), or None.
    """
    dtype_bytes = DTYPE_BYTES.get(dtype, 2)
    counts = parameter_counts(arch)
    unquantized = counts.embedding + counts.lm_head + counts.norms + counts.vision
    linear_estimate = max(1, counts.total - unquantized)
    linear = max(0, params_total - unquantized)
    experts = counts.moe_experts * linear / linear_estimate
    checkpoint = arch.quantization
    declared = checkpoint.method if checkpoint is not None else None
    rope = _rope_cache_bytes(arch, dtype_bytes)

    if params_by_dtype and (method is None or method == declared):
        # bitsandbytes keeps its QuantStates (absmax, quant maps) in fp32 on the GPU
        kept = {"F32"} if declared == "bitsandbytes" else set()
        total = sum(
            count
            * (
                dtype_bytes
                if name in FLOAT_DTYPES and name not in kept
                else SAFETENSORS_BYTES.get(name, 2)
            )
            for name, count in params_by_dtype.items()
        )
        stored_quantized = sum(c for n, c in params_by_dtype.items() if n not in FLOAT_DTYPES)
        fraction = min(1.0, stored_quantized / max(1, sum(params_by_dtype.values())))
        how = "safetensors tensor sizes (exact)"
    elif method is None:
        total = params_total * dtype_bytes
        fraction = 0.0
        how = f"{params_total:,} parameters × {dtype_bytes:g} bytes ({dtype})"
    else:
        info = checkpoint if method == declared else None
        per_param = _bytes_per_quantized_param(method, info, dtype_bytes)
        quantized = experts if _only_experts(method, info) else float(linear)
        rest = params_total - quantized
        if method in ("mxfp4", "gpt_oss_mxfp4"):
            per_param *= mxfp4_padding(arch, tp)
        total = quantized * per_param + rest * dtype_bytes
        fraction = quantized / max(1, params_total)
        how = (
            f"{quantized:,.0f} quantized parameters × {per_param:.3f} bytes ({method})"
            f" + {rest:,.0f} others × {dtype_bytes:g} bytes ({dtype})"
        )
    embedding_bytes = counts.embedding * dtype_bytes
    head_bytes = counts.lm_head * dtype_bytes
    layer_bytes = max(0.0, total - embedding_bytes - head_bytes)
    # vLLM's get_pp_indices puts the remainder on the second-last, third-last, ... stages
    parts = pp_partitions(arch.num_layers, pp)
    per_layer = layer_bytes / max(1, arch.num_layers)
    first_stage = parts[0] * per_layer + embedding_bytes + (head_bytes if pp == 1 else 0.0)
    last_stage = parts[-1] * per_layer + head_bytes + (embedding_bytes if pp == 1 else 0.0)
    middle_stage = max(parts[1:-1], default=0) * per_layer
    if pp > 1 and arch.tie_word_embeddings:
        last_stage += embedding_bytes  # the last stage needs its own copy to compute logits
    # replicated on every tp rank (the sparse-attention indexer), in the model dtype
    replicated = counts.replicated * dtype_bytes / max(1, arch.num_layers) * max(parts)
    heaviest = max(first_stage, last_stage, middle_stage) / tp + replicated * (1 - 1 / tp) + rope
    return WeightsEstimate(
        bytes_per_gpu=heaviest,
        total_bytes=total + rope * tp * pp + counts.replicated * dtype_bytes * (tp - 1),
        quantized_fraction=fraction,
        method=method,
        how=how,
    )


def _rope_cache_bytes(arch: ModelArch, dtype_bytes: float) -> float:
    """The rotary embedding's cos/sin cache: max_position × rotary_dim values."""
    rotary_dim = arch.mla.qk_rope_head_dim if arch.mla is not None else arch.head_dim
    if arch.attention == "hybrid" and arch.kv_layers == 0:
        return 0.0
    positions = arch.rope_cache_positions or arch.derived_max_model_len
    return float(positions * rotary_dim * dtype_bytes)
