"""A profile's ``model.id`` → the architecture and parameter count the planner needs (DESIGN §1).

Sources, in order, first hit wins:

1. a local folder with a ``config.json`` (relative to the profile's folder, absolute, or ``~``),
   as vLLM takes any existing directory for a local model;
2. the bundled catalog, only when no ``revision`` is pinned (the catalog describes ``main``);
3. a Hub answer already fetched in this process;
4. the local Hugging Face cache (``refs/<revision>`` → snapshot), read without huggingface_hub;
5. the Hub itself, through huggingface_hub, only from :func:`resolve_model` and only online;
6. a catalog model the *name* says this one derives from (``…-AWQ``, ``…-FP8-dynamic``, a
   re-upload, a verified base/instruct sibling; see ``models/derived.py``), with the quantization
   the name implies: offline, or when the Hub cannot give the config. Source ``derived``, and
   ``derived`` says what was assumed; the pipeline shows it as a warning to confirm.

:func:`resolve_model_locally` does 1–4 and 6: no network, no huggingface_hub import, fast enough
for every keystroke. :func:`resolve_model` adds 5 before 6 (and asks the Hub for exact counts
when a cached config.json came without weights); the language server runs it off the event loop
and shows the derived answer until the Hub's replaces it. :func:`pin_base_model` applies the
profile's ``model.base_model``: the user's word for what the name only suggests.

Parameter counts: ``params_b`` wins when given; else exact safetensors counts (local headers or
the Hub's metadata) unless the checkpoint packs quantized weights into integer elements; else
the catalog's figure; else :func:`~vllm_wizard.models.arch.estimate_params`, said in ``notes``.
Failures are values (:class:`ModelUnresolved`) with one sentence for the user.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vllm_wizard.catalog.models import CatalogModel, catalog_model, suggest_models
from vllm_wizard.models import hub
from vllm_wizard.models.arch import ModelArch, ModelConfigError, arch_from_config, estimate_params
from vllm_wizard.models.derived import Derivation, derive, derive_from, derived_config

__all__ = [
    "DerivedFrom",
    "FailureReason",
    "ModelSourceKind",
    "ModelUnresolved",
    "ResolvedModel",
    "derived_message",
    "pin_base_model",
    "resolve_model",
    "resolve_model_locally",
]

ModelSourceKind = Literal["local", "catalog", "hf-cache", "hub", "derived"]
FailureReason = Literal[
    "not-found", "gated", "offline", "timeout", "network", "invalid-config", "bad-id"
]

_INTEGER_DTYPES = frozenset({"I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64"})
_CATALOG = "bundled catalog"


@dataclass(frozen=True, slots=True)
class DerivedFrom:
    """What was assumed to plan a model no source has, from its name or ``model.base_model``."""

    base_id: str
    """The catalog entry whose config.json stands in."""
    quantization: str | None
    """The quantization the name implies (``AWQ 4-bit``), or None."""
    quantization_unsure: bool
    """The name has a storage suffix that does not say one method: planned with 16-bit weights."""
    sibling: bool
    """``base_id`` is the base/instruct sibling (configs read to agree apart from token ids)."""
    confirmed: bool
    """``model.base_model`` names ``base_id``: the user's word, not only the name's."""
    hub_problem: str | None = None
    """Why the Hub's config.json was not used, when that is known."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model the planner can work with, and where each fact came from."""

    model_id: str
    revision: str | None
    arch: ModelArch
    params_total: int
    """The count the planner uses (``round(params_b × 1e9)`` when ``params_b`` was given)."""
    params_active: int | None
    """Parameters one token touches, for MoE models (catalog figure or estimate); else None."""
    params_source: str
    """``safetensors`` | ``model_card`` | ``base_model`` | ``estimate`` | ``params_b``."""
    params_by_dtype: Mapping[str, int] | None
    """Stored elements per safetensors dtype, when known; None under a ``params_b`` override.

    For a quantized checkpoint that packs weights into ``I32``/``U8`` words these count words,
    and ``params_total`` is then an estimate (see ``notes``)."""
    source: ModelSourceKind
    source_detail: str
    """The folder, the cache snapshot, ``bundled catalog``, or the Hub URL."""
    notes: tuple[str, ...] = ()
    derived: DerivedFrom | None = None
    """Set when ``source`` is ``derived``: the assumption the plan rests on."""


@dataclass(frozen=True, slots=True)
class ModelUnresolved:
    """Why no architecture is known for ``model_id``: one sentence, what was tried, close ids."""

    model_id: str
    reason: FailureReason
    message: str
    tried: tuple[str, ...]
    suggestions: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Parameter counts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Params:
    """Parameter counts and where they came from (safetensors, model card, estimate)."""

    total: int
    active: int | None
    source: str
    by_dtype: Mapping[str, int] | None
    notes: tuple[str, ...]


def _is_packed(arch: ModelArch, by_dtype: Mapping[str, int]) -> bool:
    """A quantized checkpoint whose integer tensors hold several weights per element."""
    return arch.quantization is not None and any(
        count > 0 and dtype.upper() in _INTEGER_DTYPES for dtype, count in by_dtype.items()
    )


def _params(
    arch: ModelArch,
    counts: hub.SafetensorsCounts | None,
    params_b: float | None,
    *,
    counts_from: str,
    catalog: CatalogModel | None = None,
    missing_why: str | None = None,
) -> _Params:
    """Pick the count and say how far to trust it (see the module docstring for the order)."""
    notes: list[str] = []
    estimate = None

    def estimated_active() -> int | None:
        nonlocal estimate
        if arch.moe is None:
            return None
        if catalog is not None and catalog.params_active is not None:
            return catalog.params_active
        estimate = estimate or estimate_params(arch)
        notes.append("active parameters estimated from config.json")
        return estimate.active

    if params_b is not None:
        notes.append(f"parameter count from model.params_b ({params_b:g}B)")
        return _Params(round(params_b * 1e9), estimated_active(), "params_b", None, tuple(notes))
    if catalog is not None:
        if catalog.params_source == "estimate":
            notes.append("parameter count estimated from config.json (no exact count published)")
        elif catalog.params_source == "model_card":
            notes.append("parameter count from the model card (rounded)")
        elif catalog.params_source == "base_model":
            notes.append("parameter count of the unquantized base model")
        active = catalog.params_active
        if active is None and arch.moe is not None:
            active = estimated_active()
        return _Params(catalog.params_total, active, catalog.params_source, None, tuple(notes))
    if counts is not None and counts.total > 0 and not _is_packed(arch, counts.by_dtype):
        total = counts.total
        if arch.tie_word_embeddings and counts.lm_head:
            total -= counts.lm_head
            notes.append(
                f"the stored lm_head.weight ({counts.lm_head:,} values) is not counted: the "
                "embeddings are tied and vLLM does not load it"
            )
        notes.append(f"parameter count from {counts_from}")
        return _Params(total, estimated_active(), "safetensors", counts.by_dtype, tuple(notes))
    estimate = estimate_params(arch)
    if counts is not None and counts.total > 0:
        method = arch.quantization.method if arch.quantization is not None else "quantized"
        notes.append(
            f"parameter count estimated from config.json: the {method} checkpoint packs weights "
            "into integer tensors, so its safetensors counts are not parameters"
        )
        by_dtype: Mapping[str, int] | None = counts.by_dtype
    else:
        why = f" ({missing_why})" if missing_why else ""
        notes.append(f"parameter count estimated from config.json{why}")
        by_dtype = None
    active = None
    if arch.moe is not None:
        active = estimate.active
        notes.append("active parameters estimated from config.json")
    return _Params(estimate.total, active, "estimate", by_dtype, tuple(notes))


def _resolved(
    model_id: str,
    revision: str | None,
    arch: ModelArch,
    params: _Params,
    source: ModelSourceKind,
    detail: str,
    extra: tuple[str, ...] = (),
) -> ResolvedModel:
    return ResolvedModel(
        model_id=model_id,
        revision=revision,
        arch=arch,
        params_total=params.total,
        params_active=params.active,
        params_source=params.source,
        params_by_dtype=params.by_dtype,
        source=source,
        source_detail=detail,
        notes=extra + params.notes,
    )


# ---------------------------------------------------------------------------------------------
# Local sources
# ---------------------------------------------------------------------------------------------


def _looks_like_path(model_id: str) -> bool:
    return model_id.startswith(("/", "./", "../", "~", ".\\", "..\\")) or model_id in (".", "..")


def _local_folder(model_id: str, base_dir: Path | None) -> Path:
    path = Path(model_id)
    with contextlib.suppress(RuntimeError):  # `~name` of a user this machine lacks: as written
        path = path.expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    return path


@dataclass(frozen=True, slots=True)
class _Local:
    """Where resolving stands after the local sources: a result, or what was tried."""

    result: ResolvedModel | ModelUnresolved | None
    model_id: str
    tried: tuple[str, ...]


def _from_folder(
    model_id: str, revision: str | None, folder: Path, params_b: float | None
) -> ResolvedModel | ModelUnresolved:
    config_path = folder / hub.CONFIG_FILE
    shown = hub.display_path(folder)
    try:
        arch = arch_from_config(hub.read_config_file(config_path))
    except ModelConfigError as err:
        return ModelUnresolved(
            model_id=model_id,
            reason="invalid-config",
            message=(
                f"The model in {shown} cannot be used: {err.message}; fix its config.json or "
                "point `model.id` at another model"
            ),
            tried=(f"local folder {shown} (invalid config.json)",),
        )
    counts = hub.local_safetensors_counts(folder)
    params = _params(
        arch,
        counts,
        params_b,
        counts_from="the folder's safetensors headers",
        missing_why="no complete safetensors weights in the folder",
    )
    extra = ("revision is ignored for a local folder",) if revision else ()
    return _resolved(model_id, revision, arch, params, "local", str(folder), extra)


def _from_catalog(
    entry: CatalogModel, model_id: str, revision: str | None, params_b: float | None
) -> ResolvedModel:
    arch = arch_from_config(entry.config)
    params = _params(arch, None, params_b, counts_from="", catalog=entry)
    extra: tuple[str, ...] = ()
    if entry.id != model_id:
        extra = (f"matched the catalog entry {entry.id} (the Hub ignores case)",)
    return _resolved(entry.id, revision, arch, params, "catalog", _CATALOG, extra)


def _hub_config_unusable(model_id: str, message: str, tried: tuple[str, ...]) -> ModelUnresolved:
    return ModelUnresolved(
        model_id=model_id,
        reason="invalid-config",
        message=(
            f"`{model_id}` on the Hugging Face Hub cannot be used: {message}; pin another "
            "`model.revision` or pick another model"
        ),
        tried=tried,
    )


def _from_hub_model(
    found: hub.HubModel, params_b: float | None, tried: tuple[str, ...] = ()
) -> ResolvedModel | ModelUnresolved:
    try:
        arch = arch_from_config(found.config)
    except ModelConfigError as err:
        return _hub_config_unusable(
            found.model_id, err.message, (*tried, "Hugging Face Hub (invalid config.json)")
        )
    params = _params(
        arch,
        found.params,
        params_b,
        counts_from="the Hub's safetensors metadata",
        missing_why=found.params_problem,
    )
    commit = (f"commit {found.commit[:12]}",) if found.commit else ()
    return _resolved(found.model_id, found.revision, arch, params, "hub", found.url, commit)


def _from_cache(
    snapshot: hub.CachedSnapshot, revision: str | None, params_b: float | None
) -> ResolvedModel | ModelUnresolved:
    shown = hub.display_path(snapshot.path)
    try:
        arch = arch_from_config(hub.read_config_file(snapshot.config_path))
    except ModelConfigError as err:
        return ModelUnresolved(
            model_id=snapshot.model_id,
            reason="invalid-config",
            message=(
                f"The cached `{snapshot.model_id}` ({shown}) cannot be used: {err.message}; "
                "delete that snapshot so it is downloaded again"
            ),
            tried=(f"Hugging Face cache ({shown})",),
        )
    counts = hub.local_safetensors_counts(snapshot.path)
    params = _params(
        arch,
        counts,
        params_b,
        counts_from="the cached safetensors headers",
        missing_why="the weights are not in the Hugging Face cache",
    )
    return _resolved(snapshot.model_id, revision, arch, params, "hf-cache", str(snapshot.path))


_CATALOG_REVISION = "main"
"""The catalog describes each repo's default branch; ``revision: main`` asks for just that."""

_MAX_SHOWN_ID = 80


def _shown(model_id: str) -> str:
    """``model_id`` for a message, cut short when absurdly long (a pasted path, a typo)."""
    if len(model_id) <= _MAX_SHOWN_ID:
        return model_id
    return model_id[: _MAX_SHOWN_ID - 1] + "…"


def _probe_folder(folder: Path) -> tuple[bool, bool, str | None]:
    """(is a folder, holds config.json, why the path cannot be read) without raising.

    ``Path.is_dir`` raises for some errors, e.g. ENAMETOOLONG for a 256+ character segment.
    """
    try:
        if not folder.is_dir():
            return False, False, None
        return True, (folder / hub.CONFIG_FILE).is_file(), None
    except OSError as err:
        return False, False, err.strerror or type(err).__name__


def _bad_id(model_id: str, folder: Path, unreadable: str | None, pathlike: bool) -> _Local:
    suggestions = () if pathlike else tuple(suggest_models(model_id))
    hint = f" (did you mean {_or(suggestions)}?)" if suggestions else ""
    shown = hub.display_path(folder)
    where = (
        f"the path cannot be read: {unreadable}"
        if unreadable
        else f"there is none at {_shown(shown)}"
    )
    tried = (f"local folder {_shown(shown)} ({'unreadable' if unreadable else 'not found'})",)
    return _Local(
        ModelUnresolved(
            model_id=model_id,
            reason="bad-id",
            message=(
                f"`{_shown(model_id)}` is neither a folder ({where}) nor a Hugging Face repo id "
                f"(`org/name`, at most 96 characters a part); fix `model.id`{hint}"
            ),
            tried=tried,
            suggestions=suggestions,
        ),
        model_id,
        tried,
    )


def _local(
    model_id: str, revision: str | None, base_dir: Path | None, params_b: float | None
) -> _Local:
    model_id = model_id.strip()
    tried: list[str] = []
    if not model_id:
        return _Local(
            ModelUnresolved(
                model_id=model_id,
                reason="bad-id",
                message="`model.id` is empty; write a Hugging Face repo id such as "
                "`meta-llama/Llama-3.1-8B-Instruct` or a folder with a config.json",
                tried=(),
            ),
            model_id,
            (),
        )
    folder = _local_folder(model_id, base_dir)
    pathlike = _looks_like_path(model_id)
    valid_id = hub.is_valid_repo_id(model_id)
    is_dir, has_config, unreadable = _probe_folder(folder)
    if is_dir:
        if has_config:
            return _Local(_from_folder(model_id, revision, folder, params_b), model_id, ())
        tried.append(f"local folder {hub.display_path(folder)} (no config.json)")
        if pathlike or not valid_id:
            return _Local(
                ModelUnresolved(
                    model_id=model_id,
                    reason="not-found",
                    message=(
                        f"The folder {hub.display_path(folder)} has no config.json; point "
                        "`model.id` at the model's folder (the one holding config.json and the "
                        "weights) or at a Hugging Face repo id"
                    ),
                    tried=tuple(tried),
                ),
                model_id,
                tuple(tried),
            )
    elif pathlike or not valid_id:
        return _bad_id(model_id, folder, unreadable, pathlike)

    if revision in (None, _CATALOG_REVISION):
        entry = catalog_model(model_id)
        if entry is not None:
            return _Local(_from_catalog(entry, model_id, revision, params_b), model_id, ())
        tried.append(_CATALOG)
    else:
        tried.append(f"{_CATALOG} (skipped: revision pinned)")

    memo = hub.memoized_hub_model(model_id, revision)
    if memo is not None:
        return _Local(_from_hub_model(memo, params_b, tuple(tried)), model_id, tuple(tried))

    cache = hub.hf_cache_dir()
    snapshot = hub.find_cached_snapshot(model_id, revision, cache_dir=cache)
    tried.append(f"Hugging Face cache ({hub.display_path(cache)})")
    if snapshot is not None:
        return _Local(_from_cache(snapshot, revision, params_b), model_id, tuple(tried))
    return _Local(None, model_id, tuple(tried))


def _or(items: tuple[str, ...]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _not_resolved(
    model_id: str,
    revision: str | None,
    reason: FailureReason,
    why: str,
    tried: tuple[str, ...],
    params_b: float | None,
) -> ModelUnresolved:
    """The one-sentence message for a model no source knows: what failed, then what to do."""
    in_catalog = catalog_model(model_id) is not None
    suggestions: tuple[str, ...] = ()
    if reason in ("not-found", "offline") and not in_catalog:
        suggestions = tuple(s for s in suggest_models(model_id) if s.lower() != model_id.lower())
    if revision is None:
        where = f"`{model_id}` is not in the {_CATALOG} or the Hugging Face cache"
    else:
        where = f"`{model_id}` at revision `{revision}` is not in the Hugging Face cache"
        if in_catalog:
            where += f" (the {_CATALOG} describes `main` only)"
    todo: list[str] = []
    if revision is not None and in_catalog:
        todo.append("drop `model.revision` to use the catalog entry")
    if reason == "offline":
        rev = f" --revision {revision}" if revision else ""
        todo.append(f"go online or download it first (`hf download {model_id} config.json{rev}`)")
    elif reason == "not-found":
        todo.append("check `model.id`" + (" and `model.revision`" if revision else ""))
    elif reason in ("timeout", "network"):
        todo.append("retry when the Hub is reachable")
    if reason != "gated":
        # params_b alone cannot stand in: the KV cache needs the layers and heads of config.json
        todo.append("point `model.id` at a local folder with the model's config.json")
    then = f"; {_or(tuple(todo))}" if todo else ""
    hint = f" (did you mean {_or(suggestions)}?)" if suggestions else ""
    return ModelUnresolved(
        model_id=model_id,
        reason=reason,
        message=f"{where}, and {why}{then}{hint}",
        tried=tried,
        suggestions=suggestions,
    )


# ---------------------------------------------------------------------------------------------
# Derived checkpoints (models/derived.py): the name, or model.base_model, names a catalog model
# ---------------------------------------------------------------------------------------------


def _from_derivation(
    derivation: Derivation,
    revision: str | None,
    params_b: float | None,
    *,
    confirmed: bool,
    hub_problem: str | None,
) -> ResolvedModel | None:
    base = derivation.base
    try:
        arch = arch_from_config(derived_config(derivation))
    except ModelConfigError:
        return None  # a catalog entry that cannot take this quantization: no guess at all
    params = _params(arch, None, params_b, counts_from="", catalog=base)
    if params.source == "safetensors":  # the base's exact count, not this checkpoint's
        params = dataclasses.replace(params, source="base_model")
    derived = DerivedFrom(
        base_id=base.id,
        quantization=derivation.quantization.label if derivation.quantization else None,
        quantization_unsure=derivation.quantization_unsure,
        sibling=derivation.sibling_source is not None,
        confirmed=confirmed,
        hub_problem=hub_problem,
    )
    why = "as `model.base_model` says" if confirmed else "as its name says"
    notes = [f"architecture of {base.id}{_derived_how(derived)}, {why}"]
    if derivation.quantization is not None:
        notes.append(
            f"{derivation.quantization.label}: the typical quantization_config of such "
            f"checkpoints ({derivation.quantization.source})"
        )
    if derivation.sibling_source is not None:
        notes.append(f"base and instruct configs agree: {derivation.sibling_source}")
    if hub_problem:
        notes.append(f"the Hub's config.json was not used: {hub_problem}")
    return ResolvedModel(
        model_id=derivation.model_id,
        revision=revision,
        arch=arch,
        params_total=params.total,
        params_active=params.active,
        params_source=params.source,
        params_by_dtype=None,
        source="derived",
        source_detail=f"{_CATALOG} entry {base.id}",
        notes=(*notes, f"parameter count of {base.id}", *params.notes),
        derived=derived,
    )


def _derived_how(derived: DerivedFrom) -> str:
    """`` with AWQ 4-bit weights`` / `` (its base/instruct sibling)`` for the messages."""
    how = ""
    if derived.sibling:
        how = " (its base/instruct sibling, same config.json apart from token ids)"
    if derived.quantization is not None:
        how += f" with {derived.quantization} weights"
    elif derived.quantization_unsure:
        how += " with 16-bit weights (the name does not say which quantization; that overstates"
        how += " the weights)"
    return how


def _derived_or(
    model_id: str, revision: str | None, params_b: float | None, hub_problem: str | None
) -> ResolvedModel | None:
    derivation = derive(model_id)
    if derivation is None or derivation.base.id.lower() == model_id.lower():
        return None  # the catalog entry itself at a pinned revision: not assumed to match
    return _from_derivation(
        derivation, revision, params_b, confirmed=False, hub_problem=hub_problem
    )


def derived_message(model: ResolvedModel) -> str:
    """The warning for a model planned from its name: what was assumed and how to confirm it."""
    derived = model.derived
    assert derived is not None
    where = f"`{model.model_id}` is not in the {_CATALOG} or the Hugging Face cache"
    if derived.hub_problem:
        where += f", and {derived.hub_problem}"
    return (
        f"{where}; planned as `{derived.base_id}`{_derived_how(derived)}, as its name says: "
        f"confirm with `model.base_model: {derived.base_id}`, or point `model.id` at a folder "
        "with its config.json"
    )


def pin_base_model(
    found: object,
    model_id: str,
    base_model: str,
    revision: str | None = None,
    params_b: float | None = None,
) -> object:
    """``found`` unless ``model.base_model`` should stand in for it.

    A config.json from a real source (folder, catalog, cache, Hub) always wins; a broken id
    stays broken. Otherwise (a guess from the name, a miss, a lookup still running) the
    catalog entry ``base_model`` is planned, with the quantization the name implies.
    ``found`` is what a resolver returned (a ResolvedModel, ModelUnresolved, or the pipeline's
    ModelPending); an unknown ``base_model`` changes nothing (the pipeline reports it).
    """
    if isinstance(found, ResolvedModel) and found.source != "derived":
        return found
    if isinstance(found, ModelUnresolved) and found.reason in ("bad-id", "invalid-config"):
        return found
    entry = catalog_model(base_model)
    if entry is None:
        return found
    pinned = _from_derivation(
        derive_from(model_id.strip(), entry), revision, params_b, confirmed=True, hub_problem=None
    )
    return found if pinned is None else pinned


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def resolve_model_locally(
    model_id: str,
    revision: str | None = None,
    *,
    base_dir: Path | None = None,
    params_b: float | None = None,
) -> ResolvedModel | ModelUnresolved:
    """Resolve from a local folder, the catalog, this process's Hub answers, the HF cache, or
    (source ``derived``) the catalog model the name says it derives from.

    Never touches the network and never imports huggingface_hub. ``base_dir`` is the folder
    relative ids are read from (the profile's folder; default the working directory). A miss
    is reported with reason ``offline``: only the Hub could still answer. A ``derived`` answer
    is a guess the Hub's config.json should replace when it can be asked.
    """
    local = _local(model_id, revision, base_dir, params_b)
    if local.result is not None:
        return local.result
    derived = _derived_or(local.model_id, revision, params_b, None)
    if derived is not None:
        return derived
    return _not_resolved(
        local.model_id,
        revision,
        "offline",
        "the Hub was not asked",
        (*local.tried, "Hugging Face Hub (not asked)"),
        params_b,
    )


def resolve_model(
    model_id: str,
    revision: str | None = None,
    *,
    base_dir: Path | None = None,
    params_b: float | None = None,
    offline: bool = False,
    timeout: float = 10.0,
) -> ResolvedModel | ModelUnresolved:
    """Resolve locally first, then from the Hugging Face Hub unless offline, then from the name.

    Online, a model found in the HF cache without its weights is looked up on the Hub too, for
    exact counts (and the Hub's current ``main``); if that fails the cached answer stands.
    A model no source has is planned from its name (``derived``) when the Hub is not asked or
    fails; the Hub's config.json, when it comes, always wins over that guess.
    ``offline`` (or ``HF_HUB_OFFLINE`` in the environment) keeps it off the network.
    ``timeout`` bounds the whole Hub lookup, in seconds. May block: call it off the event loop.
    """
    local = _local(model_id, revision, base_dir, params_b)
    offline = offline or hub.env_offline()
    result = local.result
    if isinstance(result, ModelUnresolved):
        return result
    if isinstance(result, ResolvedModel):
        counts_unknown = result.params_source == "estimate" and result.params_by_dtype is None
        if offline or result.source != "hf-cache" or not counts_unknown:
            return result
        try:
            found = hub.fetch_from_hub(result.model_id, revision, timeout=timeout)
        except hub.HubError as err:
            note = f"no exact count from the Hub: {err.message}"
            return dataclasses.replace(result, notes=(*result.notes, note))
        upgraded = _from_hub_model(found, params_b, local.tried)
        return upgraded if isinstance(upgraded, ResolvedModel) else result

    if offline:
        why = "the Hugging Face Hub is not asked offline"
        derived = _derived_or(local.model_id, revision, params_b, why)
        if derived is not None:
            return derived
        return _not_resolved(
            local.model_id,
            revision,
            "offline",
            why,
            (*local.tried, "Hugging Face Hub (offline)"),
            params_b,
        )
    try:
        found = hub.fetch_from_hub(local.model_id, revision, timeout=timeout)
    except hub.HubError as err:
        tried = (*local.tried, f"Hugging Face Hub ({err.kind.replace('-', ' ')})")
        if err.kind == "invalid-config":
            return _hub_config_unusable(local.model_id, err.message, tried)
        derived = _derived_or(local.model_id, revision, params_b, err.message)
        if derived is not None:
            return derived
        return _not_resolved(local.model_id, revision, err.kind, err.message, tried, params_b)
    return _from_hub_model(found, params_b, local.tried)
