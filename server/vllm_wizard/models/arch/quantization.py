"""The checkpoint's ``quantization_config`` (or ``compression_config``), summarized.

Each quantization method spells its width, groups and skipped modules its own way; this
module turns them into one :class:`QuantizationInfo` the weight model reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import ModelConfigError, QuantizationInfo


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if isinstance(v, str))
    return ()


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _quantization(top: _Cfg, text: _Cfg) -> QuantizationInfo | None:
    """``ModelArchConfigConvertorBase.get_quantization_config``: the top config's
    ``quantization_config`` (or ``compression_config``), else the text config's."""
    found: Mapping[str, Any] | None = None
    path = ""
    for cfg in (top, text) if text is not top else (top,):
        for key in ("quantization_config", "compression_config"):
            value = cfg.opt_mapping(key)
            if value is not None:
                found, path = value, cfg.path(key)
                break
        if found is not None:
            break
    if found is None:
        return None

    producer = found.get("producer")
    nested = found.get("quantization")
    method_raw = found.get("quant_method", "")
    algo: Any = None
    if isinstance(producer, Mapping) and producer.get("name") == "modelopt":
        algo = nested.get("quant_algo") if isinstance(nested, Mapping) else found.get("quant_algo")
    elif isinstance(nested, Mapping) and "modelopt_quant_config" in nested:
        algo = nested.get("quant_algo")
    if algo is not None:
        upper = str(algo).upper()
        method_raw = {
            "FP8": "modelopt",
            "FP8_PER_CHANNEL_PER_TOKEN": "modelopt",
            "FP8_PB_WO": "modelopt",
            "NVFP4": "modelopt_fp4",
            "MIXED_PRECISION": "modelopt_mixed",
        }.get(upper, method_raw)
    if not isinstance(method_raw, str):
        raise ModelConfigError(f"config.json `{path}.quant_method` must be a string")
    method = method_raw.lower().replace("compressed_tensors", "compressed-tensors")

    bits: int | None = None
    group: int | None = None
    block: tuple[int, ...] | None = None
    weight_type: str | None = None
    kv_bits: int | None = None
    not_quantized: list[str] = []
    for key in (
        "modules_to_not_convert",
        "ignore",
        "ignored_layers",
        "llm_int8_skip_modules",
        "exclude_modules",
    ):
        not_quantized.extend(_string_list(found.get(key)))

    if method == "compressed-tensors":
        groups = found.get("config_groups")
        if isinstance(groups, Mapping):
            for scheme in groups.values():
                weights = scheme.get("weights") if isinstance(scheme, Mapping) else None
                if isinstance(weights, Mapping):
                    bits = _int_or_none(weights.get("num_bits"))
                    group = _int_or_none(weights.get("group_size"))
                    wt = weights.get("type")
                    weight_type = wt if isinstance(wt, str) else None
                    blocks = weights.get("block_structure")
                    if isinstance(blocks, list | tuple):
                        block = tuple(int(b) for b in blocks if isinstance(b, int))
                    break
        kv = found.get("kv_cache_scheme")
        if isinstance(kv, Mapping):
            kv_bits = _int_or_none(kv.get("num_bits"))
    elif method in ("fp8", "fbgemm_fp8", "modelopt", "ptpc_fp8"):
        bits, weight_type = 8, "float"
    elif method in ("mxfp4", "modelopt_fp4"):
        bits, weight_type = 4, "float"
    elif method == "bitsandbytes":
        if found.get("load_in_4bit") or found.get("_load_in_4bit"):
            bits = 4
        elif found.get("load_in_8bit") or found.get("_load_in_8bit"):
            bits = 8
    else:
        bits = _int_or_none(found.get("bits", found.get("w_bit", found.get("wbits"))))
        weight_type = "int" if bits is not None else None
    if group is None:
        group = _int_or_none(found.get("group_size", found.get("q_group_size")))
    raw_block = found.get("weight_block_size")
    if isinstance(raw_block, list | tuple):
        block = tuple(int(b) for b in raw_block if isinstance(b, int))
    return QuantizationInfo(
        method=method,
        bits=bits,
        group_size=group if group and group > 0 else None,
        weight_block_size=block or None,
        weight_type=weight_type,
        not_quantized=tuple(not_quantized),
        kv_cache_bits=kv_bits,
        nested_scales=method == "bitsandbytes" and bool(found.get("bnb_4bit_use_double_quant")),
    )
