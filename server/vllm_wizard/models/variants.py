"""Quantized copies of a model that the recommendation search may suggest.

Read at the edge (the planner is handed them in `PlanOptions`): quantized checkpoints in the
bundled catalog and in the local Hugging Face cache whose name, without its organisation and
quantization suffixes, is the model's own (`cortecs/Meta-Llama-3-70B-Instruct-GPTQ` for
`meta-llama/Meta-Llama-3-70B-Instruct`) and whose architecture is the same. A fine-tune of
the same architecture (`LDCC/Qwen2.5-72B-Instruct-ko-AWQ`) is another model, not a copy.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from vllm_wizard.catalog.models import catalog_models
from vllm_wizard.models import hub
from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally
from vllm_wizard.planning.search import same_model

_QUANT_SUFFIX = re.compile(
    r"[-_.](awq|gptq|fp8|int4|int8|w4a16|w8a8|w8a16|bnb|4bit|8bit|dynamic|marlin)(?=$|[-_.])"
)


def quantized_of(model_id: str) -> str:
    """`org/Name-Instruct-GPTQ` → `name-instruct`: a checkpoint's name without its org and
    quantization suffixes, to tell a quantized copy from a fine-tune of the same architecture."""
    name = model_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return _QUANT_SUFFIX.sub("", name)


def _quantized(model_id: str) -> ResolvedModel | None:
    found = resolve_model_locally(model_id)
    if isinstance(found, ResolvedModel) and found.arch.quantization is not None:
        return found
    return None


@cache
def _catalog_quantized_ids() -> dict[str, tuple[str, ...]]:
    """The quantized catalog checkpoints by `quantized_of` name: only those of the model at
    hand are resolved (resolving all 16 took ~6 ms of the first analysis)."""
    found: dict[str, tuple[str, ...]] = {}
    for entry in catalog_models():
        if _declares_quantization(entry):
            name = quantized_of(entry.id)
            found[name] = (*found.get(name, ()), entry.id)
    return found


@cache
def _catalog_quantized(name: str) -> tuple[ResolvedModel, ...]:
    """The quantized catalog checkpoints named `name` (see `quantized_of`), resolved once."""
    found = (_quantized(model_id) for model_id in _catalog_quantized_ids().get(name, ()))
    return tuple(model for model in found if model is not None)


def _declares_quantization(entry: object) -> bool:
    config = getattr(entry, "config", {})
    text = config.get("text_config") or {}
    return "quantization_config" in config or "quantization_config" in text


@lru_cache(maxsize=4)
def _cache_quantized(cache_dir: Path, stamp: int) -> tuple[ResolvedModel, ...]:
    """Quantized-looking repos of the local HF cache (`stamp`: the folder's mtime, so a new
    download is seen), resolved from their cached config.json."""
    found: list[ResolvedModel] = []
    for model_id in hub.cached_model_ids(cache_dir):
        name = model_id.rsplit("/", 1)[-1].lower()
        if quantized_of(model_id) == name:
            continue  # no quantization suffix: not a quantized copy by its name
        model = _quantized(model_id)
        if model is not None:
            found.append(model)
    return tuple(found)


def _hf_cache_quantized() -> tuple[ResolvedModel, ...]:
    cache_dir = hub.hf_cache_dir()
    try:
        stamp = cache_dir.stat().st_mtime_ns
    except OSError:
        return ()
    return _cache_quantized(cache_dir, stamp)


def quantized_variants(model: ResolvedModel) -> tuple[ResolvedModel, ...]:
    """Quantized checkpoints of `model` itself (catalog first, then the HF cache)."""
    wanted = quantized_of(model.model_id)
    arch = model.arch
    seen: set[str] = {model.model_id}
    variants: list[ResolvedModel] = []
    for other in (*_catalog_quantized(wanted), *_hf_cache_quantized()):
        if other.model_id in seen or quantized_of(other.model_id) != wanted:
            continue
        if same_model(arch, other.arch):
            seen.add(other.model_id)
            variants.append(other)
    return tuple(variants)


def unquantized_of(model: ResolvedModel) -> ResolvedModel | None:
    """The unquantized catalog model a quantized checkpoint was made from: the base it was
    planned as (`derived.base_id`), else the one its name derives from; None when the
    checkpoint is not quantized or no such model is known."""
    if model.arch.quantization is None:
        return None
    base_id = model.derived.base_id if model.derived is not None else None
    if base_id is None:
        from vllm_wizard.models.derived import derive

        derivation = derive(model.model_id)
        base_id = derivation.base.id if derivation is not None else None
    if base_id is None or base_id == model.model_id:
        return None
    base = resolve_model_locally(base_id)
    if not isinstance(base, ResolvedModel) or base.arch.quantization is not None:
        return None
    return base if same_model(model.arch, base.arch) else None


__all__ = ["quantized_of", "quantized_variants", "unquantized_of"]
