"""Local GPU detection through NVML (the I/O edge behind ``hardware.gpu_name: auto``).

``pynvml`` (the nvidia-ml-py package) is imported inside :func:`detect_gpus`, never at module
import, so planning, checking and the language server start without touching the driver.
:func:`detect_gpus` never raises: a machine without the package, the driver or any GPU is a
normal case (CI, laptops, planning for another machine), reported in ``Detection.error``.

NVML and CUDA disagree about memory: NVML's ``memory.total`` (what nvidia-smi prints) is larger
than the total CUDA reports, and vLLM budgets against CUDA's figure. The catalog records CUDA's
figure per board; :attr:`DetectedGpu.memory_gib` uses it whenever the board is in the catalog.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from vllm_wizard.catalog.gpus import GpuSpec, gpu_by_nvml_name

__all__ = ["DetectedGpu", "Detection", "detect_gpus", "free_memory_warning"]

GIB = 2**30
MIB = 2**20

UNCATALOGUED_RESERVE = 0.02
"""Share of NVML's total that CUDA does not report, rounded up from the largest gap seen."""

_PLAN_WITHOUT = 'set `hardware.gpu_name` to your GPU (e.g. "H100 SXM") to plan without detection'


@dataclass(frozen=True, slots=True)
class DetectedGpu:
    """One GPU as NVML reports it, matched against the catalog by its NVML name and memory."""

    index: int
    name: str
    uuid: str | None
    memory_total_bytes: int
    memory_free_bytes: int
    compute_capability: tuple[int, int] | None
    nvlink_active_links: int | None
    catalog: GpuSpec | None

    @property
    def memory_gib(self) -> float:
        """Total GiB as vLLM will see it (CUDA's figure, which vLLM multiplies by utilization).

        The catalog's CUDA figure when the board is matched. Otherwise NVML's total less
        `UNCATALOGUED_RESERVE` (CUDA reports 0.6 % less than NVML on an H100 80GB, 79.18 vs
        79.65 GiB, and 1.8 % less on an RTX 3090, 23.56 vs 24.00 GiB): the larger gap, so a
        plan for an uncatalogued GPU is never the optimistic one.
        """
        if self.catalog is not None:
            return self.catalog.memory_gib
        return self.memory_total_bytes * (1 - UNCATALOGUED_RESERVE) / GIB

    @property
    def memory_source(self) -> Literal["catalog", "nvml"]:
        """Where :attr:`memory_gib` comes from."""
        return "nvml" if self.catalog is None else "catalog"

    @property
    def memory_total_gib(self) -> float:
        """NVML's total (nvidia-smi's ``memory.total``) in GiB."""
        return self.memory_total_bytes / GIB

    @property
    def memory_free_gib(self) -> float:
        return self.memory_free_bytes / GIB


@dataclass(frozen=True, slots=True)
class Detection:
    """The result of :func:`detect_gpus`.

    ``error`` is set (and ``gpus`` empty) when NVML is unusable or reports no GPU. ``warnings``
    holds one sentence per GPU that NVML listed but could not describe (it is left out of
    ``gpus``), so a partial answer is never silent.
    """

    gpus: tuple[DetectedGpu, ...]
    driver_version: str | None
    cuda_version: str | None
    error: str | None
    warnings: tuple[str, ...] = ()


def detect_gpus() -> Detection:
    """Ask NVML for the local GPUs; never raises (see :class:`Detection`)."""
    try:
        import pynvml
    except ImportError:
        return _failed(
            "The nvidia-ml-py package (module pynvml) is not installed, so GPUs cannot be"
            f" detected: install it, or {_PLAN_WITHOUT}."
        )
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return _failed(_init_error(pynvml, exc))
    except Exception as exc:  # a broken or foreign binding must not crash the caller
        return _failed(f"NVML could not be initialised ({_describe(exc)}): {_PLAN_WITHOUT}.")
    try:
        return _query(pynvml)
    except pynvml.NVMLError as exc:
        return _failed(f"NVML failed while listing GPUs ({_describe(exc)}): {_PLAN_WITHOUT}.")
    except Exception as exc:
        return _failed(f"GPU detection failed ({_describe(exc)}): {_PLAN_WITHOUT}.")
    finally:
        # A failing shutdown changes nothing: the answer is already computed.
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def free_memory_warning(gpu: DetectedGpu, gpu_memory_utilization: float) -> str | None:
    """A message when vLLM would refuse to start because other processes hold memory.

    vLLM (0.33, ``gpu_worker.py``) requests ``total × gpu_memory_utilization`` with torch's total
    (CUDA's figure, :attr:`DetectedGpu.memory_gib`) and fails with "Free memory on device ... on
    startup is less than desired GPU memory utilization" when free memory is below that. NVML's
    free figure stands in for CUDA's here. None when the request fits.
    """
    total = gpu.memory_gib * GIB
    requested = total * gpu_memory_utilization
    free = gpu.memory_free_bytes
    if free >= requested:
        return None
    highest = math.floor(free / total * 100) / 100 if total > 0 else 0.0
    advice = (
        f"lower `policy.gpu_memory_utilization` to {highest:.2f} or less, or free memory"
        if highest > 0
        else "free memory"
    )
    return (
        f"GPU {gpu.index} ({gpu.name}) has {free / GIB:.2f} GiB free of {total / GIB:.2f} GiB,"
        f" less than the {requested / GIB:.2f} GiB that gpu_memory_utilization"
        f' {gpu_memory_utilization:g} asks for, so vLLM will refuse to start ("Free memory on'
        f' device ... on startup is less than desired GPU memory utilization"): {advice}'
        " held by other processes (see `nvidia-smi`)."
    )


# --------------------------------------------------------------------------- internals


def _failed(message: str) -> Detection:
    return Detection(gpus=(), driver_version=None, cuda_version=None, error=message)


def _describe(exc: BaseException) -> str:
    """``NVMLError_NoPermission: Insufficient Permissions``: the class names the NVML error."""
    try:
        text = str(exc)
    except Exception:  # pynvml's __str__ may itself call into a half-loaded library
        text = ""
    name = type(exc).__name__
    return f"{name}: {text}" if text and text != name else name


def _init_error(pynvml: Any, exc: BaseException) -> str:
    if isinstance(exc, pynvml.NVMLError_LibraryNotFound):
        return f"No NVIDIA driver found (NVML could not be loaded): {_PLAN_WITHOUT}."
    if isinstance(exc, pynvml.NVMLError_DriverNotLoaded):
        return (
            "The NVIDIA driver is not loaded (NVMLError_DriverNotLoaded): load it (check"
            f" `nvidia-smi`), or {_PLAN_WITHOUT}."
        )
    return f"NVML could not be initialised ({_describe(exc)}): {_PLAN_WITHOUT}."


def _text(value: object) -> str:
    """Older bindings return bytes for names and versions; newer ones return str."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip("\x00").strip()
    return str(value).strip()


def _optional(pynvml: Any, query: Callable[[], object]) -> object | None:
    """A query whose failure leaves one field unknown instead of losing the GPU."""
    try:
        return query()
    except pynvml.NVMLError:
        return None


def _cuda_version(pynvml: Any) -> str | None:
    """``12040`` -> ``"12.4"`` (NVML encodes CUDA versions as 1000 × major + 10 × minor)."""
    query = getattr(pynvml, "nvmlSystemGetCudaDriverVersion_v2", None) or getattr(
        pynvml, "nvmlSystemGetCudaDriverVersion", None
    )
    if query is None:
        return None
    raw = _optional(pynvml, query)
    if not isinstance(raw, int) or raw <= 0:
        return None
    return f"{raw // 1000}.{raw % 1000 // 10}"


def _nvlink_active_links(pynvml: Any, handle: object) -> int | None:
    """Links in state ``NVML_FEATURE_ENABLED``; None when no link answers (no NVLink support).

    A board with fewer links than ``NVML_NVLINK_MAX_LINKS`` answers InvalidArgument or
    NotSupported for the rest; those links are skipped, not counted.
    """
    query = getattr(pynvml, "nvmlDeviceGetNvLinkState", None)
    if query is None:
        return None
    enabled = int(pynvml.NVML_FEATURE_ENABLED)
    answered = 0
    active = 0
    for link in range(int(pynvml.NVML_NVLINK_MAX_LINKS)):
        try:
            state = query(handle, link)
        except pynvml.NVMLError:
            continue
        answered += 1
        if state == enabled:
            active += 1
    return active if answered else None


def _compute_capability(pynvml: Any, handle: object) -> tuple[int, int] | None:
    raw = _optional(pynvml, lambda: pynvml.nvmlDeviceGetCudaComputeCapability(handle))
    if not isinstance(raw, tuple | list) or len(raw) != 2:
        return None
    major, minor = raw
    return (int(major), int(minor))


def _device(pynvml: Any, index: int) -> DetectedGpu:
    """One GPU; raises NVMLError when its handle, name or memory cannot be read."""
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    name = _text(pynvml.nvmlDeviceGetName(handle))
    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
    total = int(memory.total)
    uuid = _optional(pynvml, lambda: pynvml.nvmlDeviceGetUUID(handle))
    return DetectedGpu(
        index=index,
        name=name,
        uuid=None if uuid is None else _text(uuid),
        memory_total_bytes=total,
        memory_free_bytes=int(memory.free),
        compute_capability=_compute_capability(pynvml, handle),
        nvlink_active_links=_nvlink_active_links(pynvml, handle),
        catalog=gpu_by_nvml_name(name, total / MIB),
    )


def _query(pynvml: Any) -> Detection:
    raw_driver = _optional(pynvml, pynvml.nvmlSystemGetDriverVersion)
    driver = None if raw_driver is None else _text(raw_driver)
    cuda = _cuda_version(pynvml)
    count = int(pynvml.nvmlDeviceGetCount())
    gpus: list[DetectedGpu] = []
    failures: list[tuple[int, str]] = []
    for index in range(count):
        try:
            gpus.append(_device(pynvml, index))
        except pynvml.NVMLError as exc:
            failures.append((index, _describe(exc)))
    error: str | None = None
    warnings: tuple[str, ...] = ()
    if count == 0:
        error = f"NVML reports no NVIDIA GPU on this machine: {_PLAN_WITHOUT}."
    elif not gpus:
        error = (
            f"NVML lists {count} GPU{'s' if count > 1 else ''} but could not read"
            f" {'it' if count == 1 else 'any'} ({failures[0][1]}): {_PLAN_WITHOUT}."
        )
    else:
        warnings = tuple(
            f"GPU {index} was left out: NVML could not read it ({why})." for index, why in failures
        )
    return Detection(
        gpus=tuple(gpus),
        driver_version=driver,
        cuda_version=cuda,
        error=error,
        warnings=warnings,
    )
