"""`hardware.gpu_name` (+ `vram_gb`) → the GPU the plan runs on.

Pure: NVML detection is passed in (the CLI and the language server decide when to run it
and cache it), so this module never touches the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from vllm_wizard.catalog.gpus import GpuSpec, match_gpu, suggest_gpus

if TYPE_CHECKING:
    from vllm_wizard.hardware.nvml import DetectedGpu, Detection

AUTO = "auto"

GpuSource = Literal["catalog", "nvml", "override"]

MARKETING_TOLERANCE = 0.01
"""`vram_gb` within 1 % of the board's marketing figure reads as the marketing figure."""

VRAM_MATCH_TOLERANCE = 0.03
"""`vram_gb` within 3 % of a candidate's CUDA total or marketing figure narrows an ambiguous
name to the boards of that size (`A100` + `vram_gb: 79` is one of the two 80 GB boards)."""


@dataclass(frozen=True, slots=True)
class ResolvedGpu:
    """The GPU a plan is computed for, and how sure we are of it."""

    name: str
    """The catalog name when known, else what NVML or the user said."""
    spec: GpuSpec | None
    """Catalog facts (bandwidth, TFLOP/s, compute capability); None for an unknown board."""
    memory_gib: float
    """Memory per GPU as CUDA reports it (what vLLM multiplies by the utilization)."""
    source: GpuSource
    """`catalog`, `nvml` (detected, memory from the catalog entry of that NVML name when
    known) or `override` (`hardware.vram_gb`)."""
    candidates: tuple[str, ...] = ()
    """Every catalog entry an ambiguous name fits, smallest memory first."""
    detected: DetectedGpu | None = None
    detected_count: int = 0

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def compute_capability(self) -> tuple[int, int] | None:
        if self.detected is not None and self.detected.compute_capability is not None:
            return self.detected.compute_capability
        return self.spec.compute_capability if self.spec is not None else None

    @property
    def is_amd(self) -> bool:
        return self.spec is not None and self.spec.vendor == "amd"


GpuFailureReason = Literal["unknown-gpu", "undetected"]


@dataclass(frozen=True, slots=True)
class GpuUnresolved:
    """Why no GPU could be planned for, in one sentence, with close names."""

    reason: GpuFailureReason
    message: str
    suggestions: tuple[str, ...] = ()


def marketing_vram_warning(vram_gb: float, spec: GpuSpec | None) -> str | None:
    """A warning when `vram_gb` is the box's round figure rather than what CUDA reports."""
    if spec is None:
        return None
    marketing = float(spec.marketing_memory_gb)
    if abs(vram_gb - marketing) <= marketing * MARKETING_TOLERANCE and (
        abs(vram_gb - spec.memory_gib) > 0.05
    ):
        return (
            f"`hardware.vram_gb: {vram_gb:g}` looks like the {spec.name}'s marketing figure;"
            f" CUDA reports {spec.memory_gib:.2f} GiB, which is what vLLM budgets from."
            f" Use {spec.memory_gib:.2f} (or leave vram_gb out)."
        )
    return None


def resolve_gpu(
    gpu_name: str,
    vram_gb: float | None,
    detect: Callable[[], Detection] | None = None,
) -> ResolvedGpu | GpuUnresolved:
    """Resolve a profile's GPU; `detect` runs NVML and is only called for `auto`."""
    if gpu_name.strip().casefold() == AUTO:
        return _resolve_detected(vram_gb, detect)
    match = match_gpu(gpu_name)
    if match is None:
        if vram_gb is not None:
            return ResolvedGpu(
                name=gpu_name.strip(), spec=None, memory_gib=vram_gb, source="override"
            )
        suggestions = tuple(suggest_gpus(gpu_name))
        hint = f" Did you mean {_or_list(suggestions)}?" if suggestions else ""
        return GpuUnresolved(
            "unknown-gpu",
            f"Unknown GPU `{gpu_name}`.{hint} Set `hardware.vram_gb` to plan for a GPU the"
            " catalog does not list.",
            suggestions,
        )
    candidates = match.candidates
    if len(candidates) > 1 and vram_gb is not None:
        candidates = tuple(c for c in candidates if _sized_like(vram_gb, c)) or candidates
    spec = candidates[0]  # smallest memory, then the slowest: never an optimistic plan
    return ResolvedGpu(
        name=spec.name,
        spec=spec,
        memory_gib=vram_gb if vram_gb is not None else spec.memory_gib,
        source="override" if vram_gb is not None else "catalog",
        candidates=tuple(c.name for c in candidates) if len(candidates) > 1 else (),
    )


def ambiguity_message(written: str, gpu: ResolvedGpu) -> str:
    """Why an ambiguous `gpu_name` needs naming, what each candidate is, what the plan uses."""
    specs = [m.spec for m in map(match_gpu, gpu.candidates) if m is not None]
    listed = ", ".join(f"{s.name} ({s.memory_gib:.2f} GiB)" for s in specs)
    sizes = sorted({s.marketing_memory_gb for s in specs})
    size_hint = f" ({_or_words([f'{n}' for n in sizes])} GB)" if len(sizes) > 1 else ""
    if gpu.source == "override":
        used = f"`hardware.vram_gb`'s {gpu.memory_gib:.2f} GiB and the slowest, {gpu.name}"
    elif len({s.memory_gib for s in specs}) > 1:
        used = f"the smallest, {gpu.name}"
    else:
        used = f"the slowest, {gpu.name}"
    return (
        f"`{written.strip()}` could be {len(specs)} GPUs{size_hint}: {listed}; planning for"
        f" {used}, until you name one."
    )


def _sized_like(vram_gb: float, spec: GpuSpec) -> bool:
    return any(
        abs(vram_gb - figure) <= VRAM_MATCH_TOLERANCE * figure
        for figure in (spec.memory_gib, float(spec.marketing_memory_gb))
    )


def _resolve_detected(
    vram_gb: float | None, detect: Callable[[], Detection] | None
) -> ResolvedGpu | GpuUnresolved:
    detection = detect() if detect is not None else None
    if detection is None or not detection.gpus:
        if vram_gb is not None:
            return ResolvedGpu(name="unknown GPU", spec=None, memory_gib=vram_gb, source="override")
        if detection is not None and detection.error:
            message = f"`gpu_name: auto` could not detect a GPU. {detection.error}"
        else:
            message = (
                "`gpu_name: auto` found no NVIDIA GPU. Set `hardware.gpu_name` to the GPU you"
                ' will serve on (e.g. "H100 SXM").'
            )
        return GpuUnresolved("undetected", message)
    first = detection.gpus[0]
    spec = first.catalog
    return ResolvedGpu(
        name=spec.name if spec is not None else first.name,
        spec=spec,
        memory_gib=vram_gb if vram_gb is not None else first.memory_gib,
        source="override" if vram_gb is not None else "nvml",
        detected=first,
        detected_count=len(detection.gpus),
    )


def _or_list(names: Sequence[str]) -> str:
    return _or_words([f"`{n}`" for n in names])


def _or_words(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" or {words[-1]}"
