"""The per-document analysis cache every feature reads (STYLE: yaml-language-server's cache).

(uri, version, generation) → Analysis: text → parse → profile → plan, computed once and shared
by diagnostics, hover, completion, actions and the code lens. `generation` moves when
something outside the text changes the answer (a Hub lookup finished, the settings or the
detected GPU changed), so those re-analyse without re-parsing on every request.

The model is resolved from what is local (folder, catalog, Hugging Face cache) on every
analysis; a model found nowhere local is looked up on the Hub in the background, never on a
keystroke, and the analysis says so meanwhile (`ModelPending`), or plans it meanwhile as the
catalog model its name says it derives from (source `derived`, with a warning) until the Hub's
config.json replaces that guess. No pygls here: the server passes in how to run background
work, so this module is tested without a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from vllm_wizard.lsp.settings import Settings
from vllm_wizard.pipeline import Analysis, EngineContext, ModelPending, PlanCache, analyze
from vllm_wizard.profile.io import is_profile

if TYPE_CHECKING:
    from vllm_wizard.hardware.nvml import Detection
    from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel

log = logging.getLogger(__name__)

DETECTION_TTL_S = 30.0
"""NVML is asked again after this long (free memory changes as other processes come and go)."""

FAILED_LOOKUP_RETRY_S = 60.0
"""A failed Hub lookup is shown for this long before the next analysis tries again."""

HubLookup = tuple[str, "str | None", "str | None", "float | None"]
"""(model id, revision, base folder, params_b): one background lookup."""

Scheduler = Callable[[HubLookup, Callable[[], Any]], None]
"""Runs a blocking lookup off the event loop and tells the analyzer when it is done."""


@dataclass(frozen=True, slots=True)
class LookupTimedOut:
    """What the server hands `lookup_finished` when the Hub gave no answer in time."""

    seconds: float


def uri_to_path(uri: str) -> PurePath | None:
    """The file system path of a `file:` URI; None for `untitled:` and other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":  # file:///C:/x on Windows
        path = path[1:]
    return PurePath(path)


def is_profile_document(uri: str, text: str) -> bool:
    """DESIGN §6's file rules; an untitled document counts when it has `profile_version`."""
    path = uri_to_path(uri)
    name = path if path is not None else PurePath(urlparse(uri).path or "untitled.yaml")
    if not name.name.lower().endswith((".yaml", ".yml")):
        name = name.with_name(name.name + ".yaml")
    return is_profile(name, text)


@dataclass(slots=True)
class _Entry:
    """The latest analysis of one document and the text and version it is of."""

    version: int | None
    generation: int
    text: str
    analysis: Analysis | None


class Analyzer:
    """Analyses documents and remembers the latest result of each."""

    def __init__(
        self,
        schedule_lookup: Scheduler | None = None,
        detect: Callable[[], Detection] | None = None,
        on_lookup_done: Callable[[HubLookup], None] | None = None,
    ) -> None:
        self.settings = Settings()
        self.generation = 0
        self._entries: dict[str, _Entry] = {}
        self._plans = PlanCache()
        self._schedule = schedule_lookup
        self._detect_impl = detect
        self._detection: tuple[float, Detection] | None = None
        self._on_lookup_done = on_lookup_done
        self._pending: set[HubLookup] = set()
        self._hub_results: dict[HubLookup, tuple[float, ResolvedModel | ModelUnresolved]] = {}

    # ---- cache ---------------------------------------------------------------------

    def analysis(self, uri: str, text: str, version: int | None) -> Analysis | None:
        """The analysis of this version of the document; None when it is not a profile."""
        entry = self._entries.get(uri)
        if (
            entry is not None
            and entry.version == version
            and entry.generation == self.generation
            and entry.text == text
        ):
            return entry.analysis
        result = self._analyze(uri, text) if is_profile_document(uri, text) else None
        self._entries[uri] = _Entry(version, self.generation, text, result)
        return result

    def cached(self, uri: str) -> Analysis | None:
        entry = self._entries.get(uri)
        return entry.analysis if entry is not None else None

    def forget(self, uri: str) -> None:
        self._entries.pop(uri, None)

    def invalidate(self) -> None:
        """Something outside the text changed: the next request re-analyses."""
        self.generation += 1

    def update_settings(self, settings: Settings) -> None:
        if settings != self.settings:
            offline_changed = settings.offline != self.settings.offline
            self.settings = settings
            if offline_changed:
                self._hub_results = {
                    k: v for k, v in self._hub_results.items() if not _failed(v[1])
                }
            self.invalidate()

    # ---- analysis ------------------------------------------------------------------

    def _analyze(self, uri: str, text: str) -> Analysis:
        path = uri_to_path(uri)
        base_dir = Path(path).parent if path is not None else None
        context = EngineContext(
            resolve_model=self._resolve_model,
            detect=self._detect,
            base_dir=base_dir,
        )
        return analyze(text, context, cache=self._plans)

    def _detect(self) -> Detection:
        now = time.monotonic()
        if self._detection is not None and now - self._detection[0] < DETECTION_TTL_S:
            return self._detection[1]
        if self._detect_impl is not None:
            detection = self._detect_impl()
        else:
            from vllm_wizard.hardware.nvml import detect_gpus

            detection = detect_gpus()
        self._detection = (now, detection)
        return detection

    def _resolve_model(
        self, model_id: str, revision: str | None, base_dir: Path | None, params_b: float | None
    ) -> ResolvedModel | ModelUnresolved | ModelPending:
        from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel, resolve_model_locally

        local = resolve_model_locally(model_id, revision, base_dir=base_dir, params_b=params_b)
        guess = isinstance(local, ResolvedModel) and local.source == "derived"
        if isinstance(local, ResolvedModel) and not guess:
            return local
        if isinstance(local, ModelUnresolved) and local.reason != "offline":
            return local
        if self.settings.offline or self._schedule is None:
            return local
        key: HubLookup = (model_id, revision, str(base_dir) if base_dir else None, params_b)
        found = self._hub_results.get(key)
        if found is not None:
            stamp, result = found
            if not _failed(result) or time.monotonic() - stamp < FAILED_LOOKUP_RETRY_S:
                return result
        if key not in self._pending:
            self._pending.add(key)
            self._schedule(key, lambda: self._lookup(key))
        if guess:  # planned from the name at once; the Hub's config.json replaces it
            return local
        return ModelPending(
            model_id,
            f"Looking up `{model_id}` on the Hugging Face Hub… (not in the bundled catalog"
            " or the local cache; the plan follows when it answers)",
        )

    def _lookup(self, key: HubLookup) -> ResolvedModel | ModelUnresolved:
        """Runs off the event loop: the Hub lookup itself."""
        from vllm_wizard.models.resolve import resolve_model

        model_id, revision, base, params_b = key
        return resolve_model(
            model_id,
            revision,
            base_dir=Path(base) if base else None,
            params_b=params_b,
            offline=False,
            timeout=self.settings.hub_timeout,
        )

    def lookup_finished(self, key: HubLookup, result: Any) -> None:
        """Called on the event loop with the lookup's result (or the exception it raised)."""
        from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel

        self._pending.discard(key)
        if isinstance(result, LookupTimedOut):
            result = self._timed_out(key, result.seconds)
        elif not isinstance(result, ResolvedModel | ModelUnresolved):
            log.error("Hub lookup of %s failed: %r", key[0], result)
            result = ModelUnresolved(
                model_id=key[0],
                reason="network",
                message=f"Looking up `{key[0]}` on the Hugging Face Hub failed: {result}.",
                tried=("Hugging Face Hub",),
            )
        self._hub_results[key] = (time.monotonic(), result)
        self.invalidate()
        if self._on_lookup_done is not None:
            self._on_lookup_done(key)

    def lookup_arrived_late(self, key: HubLookup, result: Any) -> None:
        """A lookup answered after the server stopped waiting: a model found replaces the
        timeout (the plan follows), anything else leaves the timeout standing."""
        log.info("the Hub answered about %s after the deadline", key[0])
        if not _failed(result) and key not in self._pending:
            self._hub_results[key] = (time.monotonic(), result)
            self.invalidate()
            if self._on_lookup_done is not None:
                self._on_lookup_done(key)

    def _timed_out(self, key: HubLookup, seconds: float) -> ResolvedModel | ModelUnresolved:
        """The answer without the Hub, saying that it did not answer in time."""
        from vllm_wizard.models.resolve import ModelUnresolved, resolve_model_locally

        model_id, revision, base, params_b = key
        local = resolve_model_locally(
            model_id, revision, base_dir=Path(base) if base else None, params_b=params_b
        )
        if not isinstance(local, ModelUnresolved):
            return local
        tried = tuple(t for t in local.tried if not t.startswith("Hugging Face Hub"))
        return ModelUnresolved(
            model_id=model_id,
            reason="timeout",
            message=(
                f"`{model_id}` is not in the bundled catalog or the Hugging Face cache, and the"
                f" Hugging Face Hub did not answer within {seconds:g} s (the `hubTimeout`"
                " setting); retry later, or point `model.id` at a local folder with the"
                " model's config.json"
            ),
            tried=(*tried, f"Hugging Face Hub (no answer within {seconds:g} s)"),
            suggestions=local.suggestions,
        )

    @property
    def pending_lookups(self) -> frozenset[HubLookup]:
        return frozenset(self._pending)


def _failed(result: Any) -> bool:
    """No config.json came back: a miss, an error, or only a guess from the model's name."""
    from vllm_wizard.models.resolve import ResolvedModel

    return not isinstance(result, ResolvedModel) or result.source == "derived"
