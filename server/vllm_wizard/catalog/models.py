"""The bundled model catalog (``models.json``): config facts and parameter counts, with sources.

Each entry holds a model's Hugging Face repo id, the relevant subset of its real
``config.json`` (keys exactly as in the file, nested ``text_config`` / ``quantization_config``
kept, so :func:`vllm_wizard.models.arch.arch_from_config` reads it like the file itself), its
parameter count and where every fact comes from. The file is read once, lazily, through
the package folder; lookups are exact first, then case-insensitive.

``params_source`` says how far to trust the count:

* ``safetensors``: the exact Hugging Face ``safetensors.total`` (``params_note`` states any
  adjustment, e.g. a stored-but-tied ``lm_head`` vLLM does not load);
* ``model_card``: the owner's stated figure, rounded (DeepSeek's 671B);
* ``base_model``: a quantized repo, counted as its unquantized base model;
* ``estimate``: no exact count was found; the number is
  :func:`vllm_wizard.models.arch.estimate_params` of the entry's config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, Literal, cast

__all__ = [
    "CatalogError",
    "CatalogModel",
    "ParamsSource",
    "catalog_model",
    "catalog_model_ids",
    "catalog_models",
    "config_dict",
    "suggest_models",
]

ParamsSource = Literal["safetensors", "model_card", "base_model", "estimate"]
_PARAMS_SOURCES: frozenset[str] = frozenset({"safetensors", "model_card", "base_model", "estimate"})
_RESOURCE = "models.json"


@dataclass(frozen=True, slots=True)
class CatalogModel:
    """One catalog entry. ``config`` is read-only; pass it to ``arch_from_config``."""

    id: str
    config: Mapping[str, Any]
    params_total: int
    params_active: int | None
    params_source: ParamsSource
    sources: tuple[str, ...]
    params_note: str | None = None

    @property
    def params_exact(self) -> bool:
        """True when the total is an exact count (safetensors or the base model's)."""
        return self.params_source in ("safetensors", "base_model")


class CatalogError(RuntimeError):
    """The bundled ``models.json`` is malformed (a packaging bug, never user input)."""


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    """A plain-JSON copy of a frozen config (dicts and lists), for callers that need one."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _entry(raw: Any, index: int) -> CatalogModel:
    if not isinstance(raw, dict):
        raise CatalogError(f"models.json entry {index} is not an object")
    model_id = raw.get("id")
    config = raw.get("config")
    params = raw.get("params")
    source = raw.get("params_source")
    sources = raw.get("sources")
    if not isinstance(model_id, str) or not model_id:
        raise CatalogError(f"models.json entry {index} has no id")
    if not isinstance(config, dict):
        raise CatalogError(f"models.json {model_id}: config is not an object")
    if not isinstance(params, dict) or not isinstance(params.get("total"), int):
        raise CatalogError(f"models.json {model_id}: params.total is not an integer")
    active = params.get("active")
    if active is not None and not isinstance(active, int):
        raise CatalogError(f"models.json {model_id}: params.active is not an integer")
    if source not in _PARAMS_SOURCES:
        raise CatalogError(f"models.json {model_id}: unknown params_source {source!r}")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise CatalogError(f"models.json {model_id}: sources is not a list of strings")
    note = raw.get("params_note")
    return CatalogModel(
        id=model_id,
        config=cast(Mapping[str, Any], _freeze(config)),
        params_total=params["total"],
        params_active=active,
        params_source=cast(ParamsSource, source),
        sources=tuple(sources),
        params_note=note if isinstance(note, str) else None,
    )


@cache
def _load() -> tuple[tuple[CatalogModel, ...], Mapping[str, CatalogModel], Mapping[str, str]]:
    from vllm_wizard.package_data import read_data

    text = read_data("vllm_wizard.catalog", _RESOURCE)
    data = json.loads(text)
    entries = data.get("models") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogError("models.json has no `models` list")
    models = tuple(_entry(raw, i) for i, raw in enumerate(entries))
    by_id: dict[str, CatalogModel] = {}
    by_lower: dict[str, str] = {}
    for model in models:
        if model.id in by_id:
            raise CatalogError(f"models.json lists {model.id} twice")
        by_id[model.id] = model
        by_lower.setdefault(model.id.lower(), model.id)
    return models, MappingProxyType(by_id), MappingProxyType(by_lower)


def catalog_models() -> tuple[CatalogModel, ...]:
    """Every catalog entry, in file order."""
    return _load()[0]


def catalog_model_ids() -> list[str]:
    """The catalog's model ids, in file order."""
    return [model.id for model in _load()[0]]


def catalog_model(model_id: str) -> CatalogModel | None:
    """The entry for ``model_id``: exact match first, then case-insensitive; else ``None``."""
    _, by_id, by_lower = _load()
    key = model_id.strip()
    found = by_id.get(key)
    if found is not None:
        return found
    canonical = by_lower.get(key.lower())
    return by_id[canonical] if canonical is not None else None


SUGGEST_CUTOFF = 0.6
"""How alike (difflib's ratio) an id must be to be offered as a "did you mean"."""


def _ratio_at_least(a: str, b: str, cutoff: float) -> float:
    """difflib's ratio of `a` and `b`, or 0.0 when its cheap upper bounds already fall short.

    The bounds are what `difflib.get_close_matches` uses; they make a miss about ten times
    cheaper, which matters because the editor asks on every keystroke of an unknown id.
    """
    import difflib

    matcher = difflib.SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
        return 0.0
    return matcher.ratio()


def suggest_models(model_id: str, limit: int = 3) -> list[str]:
    """Close catalog ids for a "did you mean" (difflib), best first.

    Compares case-insensitively, both the whole id and the name after the organisation, so
    ``llama-3.1-8b-instruct`` still finds ``meta-llama/Llama-3.1-8B-Instruct``.
    """
    return list(_suggestions(model_id.strip().lower(), limit))


@lru_cache(maxsize=256)
def _suggestions(query: str, limit: int) -> tuple[str, ...]:
    """`suggest_models` once per id: the editor asks again on every keystroke elsewhere in a
    profile whose id no source knows (a private fine-tune planned as its `base_model`)."""
    if limit <= 0 or not query:
        return ()
    _, by_id, by_lower = _load()
    query_name = query.split("/", 1)[-1]
    scores: dict[str, float] = {}
    for lower, canonical in by_lower.items():
        ratio = max(
            _ratio_at_least(query, lower, SUGGEST_CUTOFF),
            _ratio_at_least(query_name, lower.split("/", 1)[-1], SUGGEST_CUTOFF),
        )
        if ratio >= SUGGEST_CUTOFF:
            scores[canonical] = ratio
    ranked = sorted(scores, key=lambda mid: (-scores[mid], mid))
    return tuple(by_id[mid].id for mid in ranked[:limit])


def config_dict(model: CatalogModel) -> dict[str, Any]:
    """A mutable plain-JSON copy of ``model.config``."""
    return cast(dict[str, Any], _thaw(model.config))
