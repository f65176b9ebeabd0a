"""The GPUs the recommendation search may suggest, and how many of a board fit one node.

Read at the edge (the planner is handed a `PlanOptions`): the catalog's boards of the
profile GPU's vendor, resolved once. GPUs per node is the form factor's count: 8 for HGX and
DGX boards and the usual most for PCIe servers (`DEFAULT_GPUS_PER_NODE`), except where a
source says otherwise (`GPUS_PER_NODE`).
"""

from __future__ import annotations

from functools import cache

from vllm_wizard.catalog.gpus import GpuSpec, all_gpus
from vllm_wizard.hardware.resolve import ResolvedGpu, resolve_gpu
from vllm_wizard.planning.search import DEFAULT_GPUS_PER_NODE, GpuOption

GPUS_PER_NODE: dict[str, int] = {
    # "Each 1U compute tray holds two GB200 superchips: two Grace CPUs and four Blackwell GPUs
    # per tray" — https://setloop.io/blog/gb200-nvl72-architecture
    "GB200": 4,
}


def gpus_per_node(spec: GpuSpec | None) -> int:
    """How many of these GPUs one node holds (8 unless the table above says otherwise)."""
    if spec is None:
        return DEFAULT_GPUS_PER_NODE
    return GPUS_PER_NODE.get(spec.name, DEFAULT_GPUS_PER_NODE)


@cache
def catalog_gpu_options(vendor: str = "nvidia") -> tuple[GpuOption, ...]:
    """Every catalog GPU of `vendor`, resolved as a profile naming it would be."""
    options: list[GpuOption] = []
    for spec in all_gpus():
        if spec.vendor != vendor:
            continue
        found = resolve_gpu(spec.name, None)
        if isinstance(found, ResolvedGpu) and found.spec is not None:
            options.append(GpuOption(found, gpus_per_node(found.spec)))
    return tuple(options)


def gpu_options_for(gpu: ResolvedGpu) -> tuple[GpuOption, ...]:
    """The boards to suggest instead of `gpu`: the catalog's, of the same vendor."""
    vendor = gpu.spec.vendor if gpu.spec is not None else "nvidia"
    return catalog_gpu_options(vendor)


__all__ = ["GPUS_PER_NODE", "catalog_gpu_options", "gpu_options_for", "gpus_per_node"]
