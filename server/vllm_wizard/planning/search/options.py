"""What the caller hands the search: the options built at the edge (`pipeline.plan_options`,
`hardware.candidates`: quantized checkpoints, catalog GPUs, the form factor) and the
re-planner the finalists go through. Plan caches tell option sets apart by `PlanOptions.key`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.models.resolve import ResolvedModel

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore
    from vllm_wizard.profile.schema import Profile

Replan = Callable[["Profile", ResolvedModel, ResolvedGpu], "PlanCore"]

DEFAULT_GPUS_PER_NODE = 8
"""GPUs per node when the catalog says nothing else: HGX/DGX boards carry 8 SXM GPUs, and
8 double-width PCIe cards is the usual maximum of a 4U server; a consumer card's count is
then an upper bound, not a promise that such a box exists."""


@dataclass(frozen=True, slots=True)
class GpuOption:
    """A catalog GPU the search may suggest instead, with its form factor's GPUs per node."""

    gpu: ResolvedGpu
    max_per_node: int = DEFAULT_GPUS_PER_NODE


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What the search may try besides the profile's own model and GPU, built at the edge."""

    quantized: tuple[ResolvedModel, ...] = ()
    """Quantized checkpoints of this very model (bundled catalog, local Hugging Face cache)."""
    gpus: tuple[GpuOption, ...] = ()
    """Catalog GPUs to try when no setup starts on the profile's GPU."""
    max_gpus_per_node: int = DEFAULT_GPUS_PER_NODE
    """The profile's GPU's form factor: how many fit one node."""
    unquantized: ResolvedModel | None = None
    """The unquantized model a quantized checkpoint was made from (its catalog base), served
    instead when the targeted vLLM no longer has the checkpoint's method."""

    @property
    def key(self) -> tuple[object, ...]:
        """What distinguishes two option sets, for plan caches."""
        return (
            tuple(
                (m.model_id, m.revision, m.source_detail, m.params_total) for m in self.quantized
            ),
            tuple((o.gpu.name, o.gpu.memory_gib, o.max_per_node) for o in self.gpus),
            self.max_gpus_per_node,
            self.unquantized.model_id if self.unquantized is not None else None,
        )
