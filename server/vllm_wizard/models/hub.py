"""Model files from disk and from the Hugging Face Hub: the I/O edge of model resolution.

Two halves with different costs:

* **Local, cheap** (no ``huggingface_hub`` import, which alone costs ~0.25 s): the Hugging Face
  cache is read straight from its directory layout (``models--org--name/refs/<rev>`` →
  ``snapshots/<sha>/config.json``), the cache folder is found from the environment at each call
  (``HF_HUB_CACHE`` > ``HUGGINGFACE_HUB_CACHE`` > ``HF_HOME``/hub >
  ``XDG_CACHE_HOME``/huggingface/hub > ``~/.cache/huggingface/hub``, the precedence of
  ``huggingface_hub.constants``), and exact
  parameter counts come from the headers of downloaded ``*.safetensors`` files. The language
  server calls this on every edit and for completion.
* **Hub, slow** (imports ``huggingface_hub`` on first use): :func:`fetch_from_hub` asks the
  model API once (existence, revision, per-dtype safetensors counts; no retries, so a dead
  network fails within the timeout), then downloads ``config.json`` with ``hf_hub_download`` so
  it lands in the cache and later runs resolve locally; ``get_safetensors_metadata`` reads the
  headers when the API gave no counts. Errors come back as one :class:`HubError` whose ``kind``
  is told apart by exception class. Results are memoized in process (failures for a minute)
  so repeated calls from the editor are free.

``offline`` means ``local_files_only=True``: ``HF_HUB_OFFLINE`` is read by ``huggingface_hub``
only when it is imported, so a setting changed later must be passed explicitly. The token is
left to ``huggingface_hub`` (``HF_TOKEN``, then the saved login).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

from vllm_wizard.models.arch import ModelConfigError

if TYPE_CHECKING:
    from huggingface_hub import SafetensorsRepoMetadata

__all__ = [
    "CONFIG_FILE",
    "CachedSnapshot",
    "HubError",
    "HubErrorKind",
    "HubModel",
    "SafetensorsCounts",
    "cached_model_ids",
    "clear_hub_memo",
    "display_path",
    "env_offline",
    "fetch_from_hub",
    "find_cached_snapshot",
    "hf_cache_dir",
    "hub_url",
    "is_valid_repo_id",
    "local_safetensors_counts",
    "memoized_hub_model",
    "read_config_file",
    "repo_folder_name",
]

CONFIG_FILE = "config.json"
_INDEX_FILE = "model.safetensors.index.json"
_SINGLE_FILE = "model.safetensors"
_DEFAULT_ENDPOINT = "https://huggingface.co"
_COMMIT_RE = re.compile(r"[0-9a-f]{40}")
# huggingface_hub.utils._validators.REPO_ID_REGEX, copied so checking an id imports nothing.
_REPO_ID_RE = re.compile(r"(\b[\w\-.]{1,96}\b/)?\b[\w\-.]{1,96}\b", re.ASCII)
_TRUE = frozenset({"1", "ON", "YES", "TRUE"})
_MAX_HEADER_BYTES = 100 * 2**20  # a safetensors header above this is not one we trust
_FAILURE_TTL_S = 60.0


# ---------------------------------------------------------------------------------------------
# Paths and ids
# ---------------------------------------------------------------------------------------------


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder, from the environment as it is now."""

    def expand(value: str) -> Path:
        return Path(os.path.expandvars(Path(value).expanduser()))

    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return expand(explicit)
    home = os.environ.get("HF_HOME")
    if home:
        return expand(home) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = expand(xdg) if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def env_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, read as huggingface_hub does."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.upper() in _TRUE


def is_valid_repo_id(model_id: str) -> bool:
    """``huggingface_hub.utils.validate_repo_id``'s rules, without importing it.

    ``name`` or ``namespace/name``; ASCII letters, digits, ``-``, ``_``, ``.``; 1–96 characters
    a part; no ``--`` or ``..``; not ending in ``.git``.
    """
    return (
        model_id.count("/") <= 1
        and _REPO_ID_RE.fullmatch(model_id) is not None
        and "--" not in model_id
        and ".." not in model_id
        and not model_id.endswith(".git")
    )


def repo_folder_name(model_id: str) -> str:
    """The cache folder of a model repo: ``org/name`` → ``models--org--name``."""
    return "models--" + model_id.replace("/", "--")


def hub_url(model_id: str, revision: str | None = None) -> str:
    """The model's page on the Hub (``HF_ENDPOINT`` honoured), at ``revision`` when pinned."""
    endpoint = (os.environ.get("HF_ENDPOINT") or _DEFAULT_ENDPOINT).rstrip("/")
    url = f"{endpoint}/{model_id}"
    return f"{url}/tree/{revision}" if revision else url


def display_path(path: Path) -> str:
    """``path`` with the home folder written as ``~``, for messages."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        return str(path)


def read_config_file(path: Path) -> dict[str, Any]:
    """A ``config.json`` parsed; :class:`ModelConfigError` when unreadable or not a JSON object.

    Messages name the file, not its folder: callers say where it is.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ModelConfigError(f"{path.name} cannot be read: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ModelConfigError(
            f"{path.name} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from err
    if not isinstance(data, dict):
        raise ModelConfigError(f"{path.name} must hold a JSON object")
    return data


# ---------------------------------------------------------------------------------------------
# The local cache, read directly
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedSnapshot:
    """One snapshot of a model in the Hugging Face cache that has a ``config.json``."""

    model_id: str
    """The id as the cache folder spells it (the Hub is case-insensitive, the cache is not)."""
    revision: str
    """The revision asked for (``main`` when none was pinned)."""
    commit: str
    path: Path
    """``…/models--org--name/snapshots/<commit>``."""

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE


def _decode_folder(name: str) -> str | None:
    if not name.startswith("models--"):
        return None
    parts = name[len("models--") :].split("--")
    if not 1 <= len(parts) <= 2 or not all(parts):
        return None
    return "/".join(parts)


def _repo_folder(cache: Path, model_id: str) -> Path | None:
    """The repo's cache folder: exact name first, then ignoring case."""
    exact = cache / repo_folder_name(model_id)
    if exact.is_dir():
        return exact
    wanted = exact.name.lower()
    try:
        with os.scandir(cache) as entries:
            for entry in entries:
                if entry.name.lower() == wanted and entry.is_dir():
                    return Path(entry.path)
    except OSError:
        return None
    return None


def find_cached_snapshot(
    model_id: str, revision: str | None = None, *, cache_dir: Path | None = None
) -> CachedSnapshot | None:
    """The cached snapshot of ``model_id`` at ``revision`` (default ``main``) with a config.json.

    Follows ``refs/<revision>`` to a commit, or takes a 40-hex revision as the commit itself,
    as ``huggingface_hub.try_to_load_from_cache`` does; ``None`` when any step is missing.
    """
    if not is_valid_repo_id(model_id):
        return None
    rev = revision or "main"
    if rev.startswith("/") or ".." in rev.split("/") or "\\" in rev:
        return None
    folder = _repo_folder(cache_dir or hf_cache_dir(), model_id)
    if folder is None:
        return None
    ref = folder / "refs" / rev
    commit: str | None = None
    try:
        if ref.is_file():
            commit = ref.read_text("utf-8").strip()
    except OSError:
        return None
    if commit is None and _COMMIT_RE.fullmatch(rev):
        commit = rev
    if not commit or not _COMMIT_RE.fullmatch(commit):
        return None
    snapshot = folder / "snapshots" / commit
    if not (snapshot / CONFIG_FILE).is_file():
        return None
    cached_id = _decode_folder(folder.name) or model_id
    return CachedSnapshot(model_id=cached_id, revision=rev, commit=commit, path=snapshot)


def cached_model_ids(cache_dir: Path | None = None) -> list[str]:
    """Model repos in the local Hugging Face cache with a config.json in some snapshot.

    For editor completion: a directory scan, sorted case-insensitively.
    """
    cache = cache_dir or hf_cache_dir()
    found: list[str] = []
    try:
        with os.scandir(cache) as entries:
            repos = [(e.name, Path(e.path)) for e in entries if e.name.startswith("models--")]
    except OSError:
        return []
    for name, folder in repos:
        model_id = _decode_folder(name)
        if model_id is None:
            continue
        try:
            with os.scandir(folder / "snapshots") as snapshots:
                if any((Path(s.path) / CONFIG_FILE).is_file() for s in snapshots):
                    found.append(model_id)
        except OSError:
            continue
    return sorted(found, key=lambda mid: (mid.lower(), mid))


# ---------------------------------------------------------------------------------------------
# Exact parameter counts from safetensors headers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetensorsCounts:
    """Stored tensor elements per safetensors dtype (``BF16``, ``I32``, ``F8_E4M3``, …).

    These are element counts as stored: a quantized checkpoint packs several weights into one
    ``I32``/``U8`` element, so its total is not the model's parameter count.
    """

    by_dtype: Mapping[str, int]
    lm_head: int | None
    """Elements of a stored ``lm_head.weight``: 0 when the tensor names show none, ``None`` when
    the names are unknown (the Hub API reports totals only)."""

    @property
    def total(self) -> int:
        return sum(self.by_dtype.values())


def _header_counts(path: Path) -> tuple[dict[str, int], int] | None:
    """(elements per dtype, lm_head elements) from one file's header; None if unreadable."""
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) != 8:
                return None
            size = int.from_bytes(prefix, "little")
            if not 0 < size <= _MAX_HEADER_BYTES:
                return None
            raw = handle.read(size)
        if len(raw) != size:
            return None
        header = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict):
        return None
    counts: dict[str, int] = {}
    lm_head = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            return None
        dtype = info.get("dtype")
        shape = info.get("shape")
        if not isinstance(dtype, str) or not isinstance(shape, list):
            return None
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            return None
        numel = math.prod(cast(list[int], shape))
        counts[dtype] = counts.get(dtype, 0) + numel
        if name == "lm_head.weight" or name.endswith(".lm_head.weight"):
            lm_head += numel
    return counts, lm_head


def _weight_files(folder: Path) -> list[Path] | None:
    """The safetensors files vLLM would load: the index's shards, else model.safetensors."""
    index = folder / _INDEX_FILE
    if index.is_file():
        try:
            data = json.loads(index.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            return None
        names = sorted({v for v in weight_map.values() if isinstance(v, str)})
        if not names or any("/" in n or "\\" in n or n.startswith(".") for n in names):
            return None
        return [folder / n for n in names]
    single = folder / _SINGLE_FILE
    return [single] if single.is_file() else None


_COUNTS_MEMO: dict[tuple[tuple[str, int, int], ...], SafetensorsCounts] = {}
_COUNTS_LOCK = threading.Lock()


def local_safetensors_counts(folder: Path) -> SafetensorsCounts | None:
    """Exact stored counts of a folder's (or cache snapshot's) safetensors weights.

    ``None`` unless every weight file is present and readable: a partial download must not
    pass for the whole model. Memoized by file path, size and mtime, so the editor's repeated
    calls read each header once.
    """
    files = _weight_files(folder)
    if files is None:
        return None
    stamps: list[tuple[str, int, int]] = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            return None
        stamps.append((str(file), stat.st_size, stat.st_mtime_ns))
    key = tuple(stamps)
    with _COUNTS_LOCK:
        known = _COUNTS_MEMO.get(key)
    if known is not None:
        return known
    total: dict[str, int] = {}
    lm_head = 0
    for file in files:
        one = _header_counts(file)
        if one is None:
            return None
        for dtype, count in one[0].items():
            total[dtype] = total.get(dtype, 0) + count
        lm_head += one[1]
    counts = SafetensorsCounts(by_dtype=MappingProxyType(total), lm_head=lm_head)
    with _COUNTS_LOCK:
        if len(_COUNTS_MEMO) >= 64:
            _COUNTS_MEMO.clear()
        _COUNTS_MEMO[key] = counts
    return counts


# ---------------------------------------------------------------------------------------------
# The Hub
# ---------------------------------------------------------------------------------------------

HubErrorKind = Literal[
    "not-found", "gated", "offline", "timeout", "network", "invalid-config", "bad-id"
]


class HubError(Exception):
    """The Hub could not give a model's config: ``kind`` says why, ``message`` in one clause."""

    def __init__(self, kind: HubErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: HubErrorKind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class HubModel:
    """A model's config.json fetched through huggingface_hub, with counts when the Hub has them."""

    model_id: str
    revision: str | None
    commit: str | None
    config: Mapping[str, Any]
    config_path: Path
    """Where config.json now lies in the local cache."""
    url: str
    params: SafetensorsCounts | None
    params_problem: str | None
    """Why ``params`` is missing (no safetensors weights, the metadata request failed, …)."""


@dataclass(frozen=True, slots=True)
class _Failure:
    """A Hub lookup that failed, remembered a while so a retyped id does not retry at once."""

    kind: HubErrorKind
    message: str
    at: float


_HUB_MEMO: dict[tuple[str, str | None], HubModel | _Failure] = {}
_HUB_LOCK = threading.Lock()


def clear_hub_memo() -> None:
    """Forget every memoized Hub answer and header count (for tests, or a changed token).

    A lookup still running is forgotten too: the next call starts a fresh one."""
    with _HUB_LOCK:
        _HUB_MEMO.clear()
        _IN_FLIGHT.clear()
    with _COUNTS_LOCK:
        _COUNTS_MEMO.clear()


def memoized_hub_model(model_id: str, revision: str | None = None) -> HubModel | None:
    """A successful Hub answer already fetched in this process; never touches the network."""
    with _HUB_LOCK:
        hit = _HUB_MEMO.get((model_id, revision))
    return hit if isinstance(hit, HubModel) else None


def fetch_from_hub(
    model_id: str,
    revision: str | None = None,
    *,
    offline: bool = False,
    timeout: float = 10.0,
    cache_dir: Path | None = None,
) -> HubModel:
    """config.json (into the cache) and safetensors counts of ``model_id`` from the Hub.

    ``offline`` passes ``local_files_only=True`` (the cached file or an ``offline`` error).
    ``timeout`` is a deadline for the whole lookup, every request together: a Hub that
    trickles bytes never trips a per-read timeout, so the lookup runs in a daemon thread and
    this call stops waiting at the deadline (a ``timeout`` error). The thread finishes on its
    own and memoizes what it gets; a call for the same model while it runs waits on it rather
    than starting another. Raises :class:`HubError`; an exception of a kind not listed there (a
    bug) propagates. Online answers are memoized per (id, revision): successes for the
    process, failures for a minute.
    """
    key = (model_id, revision)
    cache = cache_dir or hf_cache_dir()
    if offline:  # local files only: nothing to wait for
        return _fetch(model_id, revision, True, timeout, cache, time.monotonic() + timeout)
    with _HUB_LOCK:
        hit = _HUB_MEMO.get(key)
        if isinstance(hit, HubModel):
            return hit
        flight = _IN_FLIGHT.get(key)
        fresh = isinstance(hit, _Failure) and time.monotonic() - hit.at < _FAILURE_TTL_S
        if flight is None and isinstance(hit, _Failure) and fresh:
            raise HubError(hit.kind, hit.message)
        if flight is None:
            flight = _Flight()
            _IN_FLIGHT[key] = flight
            deadline = time.monotonic() + timeout
            threading.Thread(
                target=flight.run,
                args=(key, lambda: _fetch(model_id, revision, False, timeout, cache, deadline)),
                name=f"hub-lookup {model_id}",
                daemon=True,  # never keeps the CLI or the server from exiting
            ).start()
    if not flight.done.wait(timeout):
        err = HubError("timeout", f"the Hub did not answer within {timeout:g} s")
        with _HUB_LOCK:
            if key not in _HUB_MEMO:
                _HUB_MEMO[key] = _Failure(err.kind, err.message, time.monotonic())
        raise err
    if flight.error is not None:
        raise flight.error
    assert flight.result is not None
    return flight.result


class _Flight:
    """One lookup running in its own thread; what it found, for whoever waits on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: HubModel | None = None
        self.error: BaseException | None = None

    def run(self, key: tuple[str, str | None], work: Callable[[], HubModel]) -> None:
        memo: HubModel | _Failure | None = None
        try:
            self.result = memo = work()
        except HubError as err:
            self.error = err
            if err.kind != "offline":
                memo = _Failure(err.kind, err.message, time.monotonic())
        except BaseException as err:  # a bug: re-raised in the caller, not lost in a thread
            self.error = err
        with _HUB_LOCK:
            if memo is not None:
                _HUB_MEMO[key] = memo
            _IN_FLIGHT.pop(key, None)
        self.done.set()


_IN_FLIGHT: dict[tuple[str, str | None], _Flight] = {}


def _huggingface_hub_quietly() -> None:
    """No telemetry from the lookups we make: huggingface_hub otherwise adds the torch
    version and asks the Hub for its agent registry (one more request) on the first call.
    ``HF_HUB_DISABLE_TELEMETRY`` is read at import, so the constant is set directly."""
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True


def _fetch(
    model_id: str,
    revision: str | None,
    offline: bool,
    timeout: float,
    cache: Path,
    deadline: float,
) -> HubModel:
    """The model API first, then config.json, each request given what is left of the deadline.

    The API request is one GET without retries, so an unreachable or slow Hub fails within
    ``timeout``; ``hf_hub_download`` alone would, with nothing cached, retry a failed HEAD with
    back-off and a 60 s timeout for minutes. Its answer also says whether the repo and revision
    exist and carries the safetensors counts.
    """

    def left() -> float:
        return max(0.1, deadline - time.monotonic())

    if not is_valid_repo_id(model_id):
        raise HubError("bad-id", f"`{model_id}` is not a Hugging Face repo id (`org/name`)")
    try:
        _huggingface_hub_quietly()
        from huggingface_hub import HfApi, hf_hub_download

        info = None
        if not offline:
            info = HfApi().model_info(
                model_id, revision=revision, expand=["safetensors", "sha"], timeout=left()
            )
        downloaded = hf_hub_download(
            model_id,
            CONFIG_FILE,
            revision=revision,
            cache_dir=str(cache),
            etag_timeout=left(),
            local_files_only=offline,
        )
    except Exception as err:
        hub_error = _classify(err, model_id, revision, timeout)
        if hub_error is None:
            raise
        raise hub_error from err
    config_path = Path(downloaded)
    try:
        config = read_config_file(config_path)
    except ModelConfigError as err:
        raise HubError("invalid-config", err.message) from err
    commit = config_path.parent.name if _COMMIT_RE.fullmatch(config_path.parent.name) else None
    params: SafetensorsCounts | None
    if info is None:
        params = local_safetensors_counts(config_path.parent)
        problem = None if params is not None else "the Hub is not asked offline"
    elif info.safetensors is not None and info.safetensors.parameters:
        by_dtype = {str(k): int(v) for k, v in info.safetensors.parameters.items()}
        params, problem = SafetensorsCounts(MappingProxyType(by_dtype), lm_head=None), None
    else:
        params, problem = _header_counts_from_hub(model_id, commit or revision, left(), timeout)
    return HubModel(
        model_id=model_id,
        revision=revision,
        commit=commit,
        config=config,
        config_path=config_path,
        url=hub_url(model_id, revision),
        params=params,
        params_problem=problem,
    )


def _header_counts_from_hub(
    model_id: str, revision: str | None, left: float, timeout: float
) -> tuple[SafetensorsCounts | None, str | None]:
    """Counts from the safetensors headers on the Hub, when the API did not give them.

    Mirrors behind ``HF_ENDPOINT`` may leave the API's ``safetensors`` field out;
    ``get_safetensors_metadata`` reads the index and one ranged header per shard instead.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import NotASafetensorsRepoError, SafetensorsParsingError

    try:
        metadata = HfApi().get_safetensors_metadata(model_id, revision=revision, timeout=left)
    except NotASafetensorsRepoError:
        return None, "the repo has no safetensors weights"
    except SafetensorsParsingError:
        return None, "its safetensors headers could not be parsed"
    except Exception as err:
        hub_error = _classify(err, model_id, revision, timeout)
        if hub_error is None:
            raise
        return None, hub_error.message
    return _counts_from_metadata(metadata), None


def _counts_from_metadata(metadata: SafetensorsRepoMetadata) -> SafetensorsCounts:
    by_dtype = {str(k): int(v) for k, v in metadata.parameter_count.items()}
    lm_head = 0
    for file in metadata.files_metadata.values():
        for name, tensor in file.tensors.items():
            if name == "lm_head.weight" or name.endswith(".lm_head.weight"):
                lm_head += int(tensor.parameter_count)
    return SafetensorsCounts(by_dtype=MappingProxyType(by_dtype), lm_head=lm_head)


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err`` and its causes (``hf_hub_download`` wraps a failed HEAD in LocalEntryNotFound)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _http_types(*names: tuple[str, str]) -> tuple[type[BaseException], ...]:
    """Exception classes of whichever HTTP client huggingface_hub already imported.

    huggingface_hub 0.x used ``requests``, 1.x ``httpx``, 2.x ``httpx2``; looking them up in
    ``sys.modules`` keeps this working across those without importing any.
    """
    found: list[type[BaseException]] = []
    for module_name, attr in names:
        module = sys.modules.get(module_name)
        cls = getattr(module, attr, None) if module is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def _classify(
    err: BaseException, model_id: str, revision: str | None, timeout: float
) -> HubError | None:
    """One :class:`HubError` for a huggingface_hub / HTTP failure; None for anything else."""
    from huggingface_hub.errors import (
        DisabledRepoError,
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    url = hub_url(model_id)
    at = f" at revision `{revision}`" if revision else ""
    if isinstance(err, HFValidationError):
        return HubError("bad-id", f"`{model_id}` is not a valid Hugging Face repo id: {err}")
    if isinstance(err, GatedRepoError):
        return HubError(
            "gated",
            f"`{model_id}` is a gated model: accept its licence on {url} and set HF_TOKEN to a "
            "token of that account",
        )
    if isinstance(err, RevisionNotFoundError):
        return HubError("not-found", f"`{model_id}` has no revision `{revision}` on the Hub")
    if isinstance(err, RepositoryNotFoundError):
        return HubError(
            "not-found",
            f"the Hub has no model `{model_id}` (or it is private and HF_TOKEN is unset or has "
            "no access to it)",
        )
    if isinstance(err, RemoteEntryNotFoundError):
        return HubError("not-found", f"`{model_id}` has no {CONFIG_FILE}{at} on the Hub")
    if isinstance(err, DisabledRepoError):
        return HubError("not-found", f"`{model_id}` is disabled on the Hub")

    timeouts = (
        *_http_types(
            ("httpx2", "TimeoutException"), ("httpx", "TimeoutException"), ("requests", "Timeout")
        ),
        TimeoutError,
    )
    network = _http_types(
        ("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("requests", "RequestException")
    )
    chain = list(_chain(err))
    if any(isinstance(e, timeouts) for e in chain):
        return HubError("timeout", f"the Hub did not answer within {timeout:g} s")
    if any(isinstance(e, OfflineModeIsEnabled) for e in chain):
        # huggingface_hub read HF_HUB_OFFLINE when it was imported
        return HubError("offline", "the Hub is not asked: HF_HUB_OFFLINE is set")
    if all(isinstance(e, LocalEntryNotFoundError) for e in chain):
        return HubError("offline", "the Hub is not asked offline")  # local_files_only
    for e in chain:
        if isinstance(e, HfHubHTTPError):
            status = e.response.status_code if e.response is not None else None
            if status == 401:
                return HubError(
                    "network", "the Hub refused the token in HF_TOKEN (HTTP 401): fix or unset it"
                )
            return HubError("network", f"the Hub answered HTTP {status}")
    for e in chain:
        if isinstance(e, network) or (
            isinstance(e, OSError) and not isinstance(e, LocalEntryNotFoundError)
        ):
            return HubError("network", f"the Hub could not be reached ({type(e).__name__}: {e})")
    if isinstance(err, LocalEntryNotFoundError):
        return HubError("network", f"the Hub could not be reached ({err})")
    return None
