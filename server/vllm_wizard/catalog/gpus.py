"""The GPU catalog: typed, read-only access to the packaged ``gpus.json``.

Every entry records what vLLM needs to know about one board, each figure with its source:

* ``memory_gib``: total device memory **as CUDA reports it**
  (``torch.cuda.get_device_properties(i).total_memory / 2**30``), which is what vLLM multiplies by
  ``gpu_memory_utilization``. It is below nvidia-smi's ``memory.total`` (an H100 80GB is 79.18 GiB,
  an RTX 3090 23.56 GiB). ``memory_measured`` is False where no observation was found and the
  figure was derived; ``memory_source`` / ``memory_note`` say how.
* ``bandwidth_gb_s`` (GB/s, 10**9 B/s), ``bf16_tflops`` and ``fp8_tflops`` (dense, no sparsity;
  ``fp8_tflops`` is None without FP8 tensor cores). On GPUs without BF16 (compute capability < 8.0:
  V100, T4) ``bf16_tflops`` holds the dense FP16 tensor rate, the rate a float16 model runs at.
* ``compute_capability`` ``(major, minor)`` for NVIDIA, None for AMD (``arch`` holds ``"gfx942"``;
  for NVIDIA ``arch`` is ``"sm_90"`` etc.).
* ``interconnect``: the typical GPU-to-GPU link class, ``"nvlink"`` (NVLink, NVLink bridges sold
  with the product, or AMD Infinity Fabric) or ``"pcie"``; ``interconnect_detail`` says which.
* ``family``: the product line without form factor or memory size (``"A100"``, ``"H100"``). vLLM's
  batch defaults treat A100s specially (``"a100" in device_name.lower()``); in this catalog that is
  exactly ``family == "A100"``.
* ``nvml_names``: the device names the driver reports (NVML for NVIDIA, ``torch``/amd-smi for AMD);
  ``nvml_memory_total_mib``: nvidia-smi ``memory.total`` values seen for the board (both ECC states
  and old-driver values where they differ).

Public API::

    all_gpus() -> tuple[GpuSpec, ...]            # catalog order; loaded once, cached
    gpu_names() -> list[str]                     # canonical names, for completion
    match_gpu(name) -> GpuMatch | None           # what a user typed in ``hardware.gpu_name``
    gpu_by_nvml_name(nvml_name, memory_total_mib=None) -> GpuSpec | None   # NVML detection
    suggest_gpus(name, limit=3) -> list[str]     # "did you mean" for an unknown name
    normalize_gpu_name(text) -> str              # the key aliases are compared by

Matching (``match_gpu``): first an exact, case-insensitive match on a canonical name or an
NVML name; then an alias match on the normalized text (lowercase; the words "nvidia", "geforce",
"tesla", "rtx", "amd", "instinct" and "gpu" dropped, also when glued on as in "RTX4090"; spaces,
dashes, underscores and slashes removed; "80GB", "80 GB", "80G" all read as "80g"). A name that
fits several entries ("H100", "A100", "4060 Ti") is ambiguous: ``GpuMatch.candidates`` lists them
all, smallest memory first, and ``GpuMatch.spec`` is the smallest-memory candidate, so a plan
built on it is never optimistic; callers should warn.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from vllm_wizard.package_data import read_data

__all__ = [
    "GpuMatch",
    "GpuSpec",
    "all_gpus",
    "gpu_by_nvml_name",
    "gpu_names",
    "match_gpu",
    "normalize_gpu_name",
    "suggest_gpus",
]

Vendor = Literal["nvidia", "amd"]
Interconnect = Literal["nvlink", "pcie"]

#: Relative tolerance when comparing an NVML memory.total with the catalog's values: covers old
#: drivers that print an already-reduced total (T4 15109 vs 15360 MiB), not an ECC switch (6.25 %).
NVML_MEMORY_TOLERANCE = 0.025


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """One catalog entry; see the module docstring for the meaning and units of each field."""

    name: str
    vendor: Vendor
    family: str
    arch: str
    compute_capability: tuple[int, int] | None
    memory_gib: float
    memory_measured: bool
    memory_source: str
    memory_note: str | None
    marketing_memory_gb: int
    nvml_memory_total_mib: tuple[int, ...]
    bandwidth_gb_s: float
    bf16_tflops: float
    fp8_tflops: float | None
    fp8: bool
    perf_note: str | None
    interconnect: Interconnect
    interconnect_detail: str
    nvml_names: tuple[str, ...]
    aliases: tuple[str, ...]
    sources: tuple[str, ...]
    memory_sources: tuple[str, ...]

    @property
    def bf16(self) -> bool:
        """Whether the GPU has bfloat16 (vLLM refuses bfloat16 below compute capability 8.0)."""
        cc = self.compute_capability
        return cc is None or cc >= (8, 0)


@dataclass(frozen=True, slots=True)
class GpuMatch:
    """The result of :func:`match_gpu`."""

    spec: GpuSpec
    how: Literal["exact", "alias"]
    candidates: tuple[GpuSpec, ...]

    @property
    def ambiguous(self) -> bool:
        """True when the name fits several entries; ``spec`` is then the smallest-memory one."""
        return len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class _Catalog:
    """The GPU catalog with its lookup tables, built once from the data file."""

    gpus: tuple[GpuSpec, ...]
    exact: dict[str, tuple[GpuSpec, ...]]
    by_nvml: dict[str, tuple[GpuSpec, ...]]
    by_key: dict[str, tuple[GpuSpec, ...]]


_DROP_WORDS = frozenset({"nvidia", "geforce", "tesla", "rtx", "amd", "instinct", "gpu"})
_SPLIT = re.compile(r"[\s\-_/,()]+")
_SIZE = re.compile(r"^(\d+)(?:gib|gb|g)$")
_GLUED = re.compile(r"^(?:nvidia|geforce|tesla|rtx)+(?=.)")  # "rtx4090", "geforcertx3090"


def normalize_gpu_name(text: str) -> str:
    """The alias key of ``text``: ``"NVIDIA GeForce RTX 4090"`` and ``"rtx-4090"`` -> ``"4090"``."""
    words: list[str] = []
    for word in _SPLIT.split(text.casefold().replace("™", "").replace("®", "")):
        if not word or word in _DROP_WORDS:
            continue
        if word in ("gb", "gib") and words and words[-1].isdigit():
            words[-1] += "g"
            continue
        words.append(_SIZE.sub(r"\1g", _GLUED.sub("", word)))
    return "".join(words)


def all_gpus() -> tuple[GpuSpec, ...]:
    """Every catalog entry, in catalog order."""
    return _catalog().gpus


def gpu_names() -> list[str]:
    """Canonical names of all entries, in catalog order."""
    return [spec.name for spec in _catalog().gpus]


def match_gpu(name: str) -> GpuMatch | None:
    """Resolve what a user typed (canonical name, NVML name or alias); None when nothing fits."""
    catalog = _catalog()
    text = name.strip()
    if not text:
        return None
    found = catalog.exact.get(text.casefold())
    if found:
        return GpuMatch(spec=found[0], how="exact", candidates=found)
    key = normalize_gpu_name(text)
    found = catalog.by_key.get(key) if key else None
    if found:
        return GpuMatch(spec=found[0], how="alias", candidates=found)
    return None


def gpu_by_nvml_name(nvml_name: str, memory_total_mib: float | None = None) -> GpuSpec | None:
    """The entry for a name NVML reported, optionally checked against NVML's memory.total (MiB).

    Some boards share a name (the RTX 4060 Ti 8/16 GB, RTX 3080 10/12 GB, RTX 3060 8/12 GB); the
    memory total picks the right one. Without it the smallest-memory entry is returned. When the
    total fits none of the entries with that name (a variant the catalog lacks, or ECC switched
    on where only ECC-off boards were seen), the result is None: use NVML's own figure then.
    """
    found = _catalog().by_nvml.get(nvml_name.strip().casefold())
    if not found:
        return None
    if memory_total_mib is None:
        return found[0]
    best: tuple[float, GpuSpec] | None = None
    for spec in found:
        if not spec.nvml_memory_total_mib:  # nothing to compare with (AMD)
            distance = 0.0
        else:
            distance = min(
                abs(memory_total_mib - seen) / seen for seen in spec.nvml_memory_total_mib
            )
            if distance > NVML_MEMORY_TOLERANCE:
                continue
        if best is None or distance < best[0]:
            best = (distance, spec)
    return best[1] if best else None


def suggest_gpus(name: str, limit: int = 3) -> list[str]:
    """Canonical names close to ``name``, best first, for a "did you mean" message."""
    catalog = _catalog()
    key = normalize_gpu_name(name)
    if not key or limit <= 0:
        return []
    # Names the typed text begins ("RTX 6000" → RTX PRO 6000 …, RTX 6000 Ada), shortest first
    # and one board per name before the next, then the closest spellings.
    longer = sorted((k for k in catalog.by_key if k.startswith(key)), key=len)
    close = difflib.get_close_matches(key, list(catalog.by_key), n=limit * 4, cutoff=0.6)
    names: list[str] = []
    for first_pass in (True, False):
        for match in [*longer, *close]:
            for spec in catalog.by_key[match]:
                if spec.name not in names:
                    names.append(spec.name)
                    if first_pass:
                        break
    return names[:limit]


# --------------------------------------------------------------------------- loading


@cache
def _catalog() -> _Catalog:
    raw: object = json.loads(read_data(__package__ or "vllm_wizard.catalog", "gpus.json"))
    doc = _mapping(raw, "gpus.json")
    source_table = _mapping(doc["sources"], "sources")
    refs = {tag: _str(source_table, tag) for tag in source_table}
    gpus = tuple(
        _parse_entry(_mapping(entry, "gpus[]"), refs) for entry in _list(doc["gpus"], "gpus")
    )
    order = {spec.name: i for i, spec in enumerate(gpus)}

    def ranked(specs: list[GpuSpec]) -> tuple[GpuSpec, ...]:
        # Smallest memory first (the safe choice), then the slower board, then catalog order.
        return tuple(sorted(specs, key=lambda s: (s.memory_gib, s.bf16_tflops, order[s.name])))

    exact: dict[str, list[GpuSpec]] = {}
    by_nvml: dict[str, list[GpuSpec]] = {}
    by_key: dict[str, list[GpuSpec]] = {}
    for spec in gpus:
        for text_name in (spec.name, *spec.nvml_names):
            _add(exact, text_name.casefold(), spec)
        for nvml in spec.nvml_names:
            _add(by_nvml, nvml.casefold(), spec)
        for alias in (spec.name, *spec.nvml_names, *spec.aliases):
            _add(by_key, normalize_gpu_name(alias), spec)
    return _Catalog(
        gpus=gpus,
        exact={k: ranked(v) for k, v in exact.items()},
        by_nvml={k: ranked(v) for k, v in by_nvml.items()},
        by_key={k: ranked(v) for k, v in by_key.items() if k},
    )


def _add(index: dict[str, list[GpuSpec]], key: str, spec: GpuSpec) -> None:
    bucket = index.setdefault(key, [])
    if spec not in bucket:
        bucket.append(spec)


def _parse_entry(entry: dict[str, object], refs: dict[str, str]) -> GpuSpec:
    name = _str(entry, "name")
    where = f"gpus.json entry {name!r}"
    vendor = _str(entry, "vendor")
    if vendor not in ("nvidia", "amd"):
        raise ValueError(f"{where}: vendor {vendor!r}")
    interconnect = _str(entry, "interconnect")
    if interconnect not in ("nvlink", "pcie"):
        raise ValueError(f"{where}: interconnect {interconnect!r}")
    cc_text = _opt_str(entry, "compute_capability")
    cc: tuple[int, int] | None = None
    if cc_text is not None:
        major, _, minor = cc_text.partition(".")
        cc = (int(major), int(minor))
    by_figure = _mapping(entry["sources"], f"{where}: sources")
    sources: list[str] = []
    memory_sources: list[str] = []
    for figure, tags in by_figure.items():
        for tag in _str_list(tags, f"{where}: sources.{figure}"):
            if tag not in refs:
                raise ValueError(f"{where}: unknown source tag {tag!r}")
            if refs[tag] not in sources:
                sources.append(refs[tag])
            if figure == "memory" and refs[tag] not in memory_sources:
                memory_sources.append(refs[tag])
    fp8_tflops = entry.get("fp8_tflops")
    return GpuSpec(
        name=name,
        vendor="nvidia" if vendor == "nvidia" else "amd",
        family=_str(entry, "family"),
        arch=_str(entry, "arch"),
        compute_capability=cc,
        memory_gib=_num(entry, "memory_gib"),
        memory_measured=_bool(entry, "memory_measured"),
        memory_source=_str(entry, "memory_source"),
        memory_note=_opt_str(entry, "memory_note"),
        marketing_memory_gb=int(_num(entry, "marketing_memory_gb")),
        nvml_memory_total_mib=tuple(
            int(v) for v in _num_list(entry["nvml_memory_total_mib"], f"{where}: nvml_memory")
        ),
        bandwidth_gb_s=_num(entry, "bandwidth_gb_s"),
        bf16_tflops=_num(entry, "bf16_tflops"),
        fp8_tflops=None if fp8_tflops is None else _num(entry, "fp8_tflops"),
        fp8=_bool(entry, "fp8"),
        perf_note=_opt_str(entry, "perf_note"),
        interconnect="nvlink" if interconnect == "nvlink" else "pcie",
        interconnect_detail=_str(entry, "interconnect_detail"),
        nvml_names=tuple(_str_list(entry["nvml_names"], f"{where}: nvml_names")),
        aliases=tuple(_str_list(entry["aliases"], f"{where}: aliases")),
        sources=tuple(sources),
        memory_sources=tuple(memory_sources),
    )


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return {str(k): v for k, v in value.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    return list(value)


def _str(container: dict[str, object], key: str) -> str:
    value = container.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {value!r}")
    return value


def _opt_str(container: dict[str, object], key: str) -> str | None:
    return None if container.get(key) is None else _str(container, key)


def _num(container: dict[str, object], key: str) -> float:
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _bool(container: dict[str, object], key: str) -> bool:
    value = container.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"{key}: expected true/false, got {value!r}")
    return value


def _str_list(value: object, where: str) -> list[str]:
    items = _list(value, where)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{where}: expected a list of strings")
    return [str(item) for item in items]


def _num_list(value: object, where: str) -> list[float]:
    items = _list(value, where)
    out: list[float] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise ValueError(f"{where}: expected a list of numbers")
        out.append(float(item))
    return out
