"""Other GPUs: when no setup starts on the profile's GPU, the smallest catalog GPU on
which one does, on one node if any board allows it, else on the fewest nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from vllm_wizard.planning.search.edits import VRAM_FIELD, Edits, edited_profile
from vllm_wizard.planning.search.finalists import _pick
from vllm_wizard.planning.search.gpu_search import _GpuSearch
from vllm_wizard.planning.search.layouts import MAX_NODES
from vllm_wizard.planning.search.options import GpuOption, PlanOptions, Replan
from vllm_wizard.planning.search.results import Found
from vllm_wizard.planning.semantic import GPU_FIELD

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore


def _other_gpus(core: PlanCore, options: PlanOptions) -> Iterator[GpuOption]:
    """Catalog GPUs with at least this one's memory, smallest first."""
    ordered = sorted(options.gpus, key=lambda o: (o.gpu.memory_gib, o.gpu.name))
    for option in ordered:
        if option.gpu.name != core.gpu.name and option.gpu.memory_gib >= core.gpu.memory_gib:
            yield option


def _on_board(
    core: PlanCore, option: GpuOption, replan: Replan, fixed: Edits, max_nodes: int
) -> tuple[_GpuSearch, Edits]:
    """The search on another board, and the edits that move the profile there."""
    edits: Edits = ((GPU_FIELD, option.gpu.name),)
    if core.profile.hardware.vram_gb is not None:
        edits += ((VRAM_FIELD, None),)
    base = replan(edited_profile(core.profile, (*edits, *fixed)), core.model, option.gpu)
    return _GpuSearch(base, replan, option.max_per_node, fixed, max_nodes), edits


def _refused_on_every_board(
    core: PlanCore, options: PlanOptions, replan: Replan, fixed: Edits
) -> bool:
    """vLLM refuses the repaired profile whatever the GPU (a checkpoint whose method this
    release lacks): no board is worth searching. Probed on the most capable NVIDIA board,
    where an error about compute capability would clear; a quantized copy of the model
    (another `model.id`) could still lift it, so with one the boards are searched."""
    if options.quantized:
        return False
    boards = [o for o in _other_gpus(core, options) if not o.gpu.is_amd]
    if not boards:
        return False
    best = max(boards, key=lambda o: (o.gpu.compute_capability or (0, 0), o.gpu.memory_gib))
    probe, _ = _on_board(core, best, replan, fixed, MAX_NODES)
    return any(f.is_error for f in probe.core.findings)


def _other_gpu(core: PlanCore, options: PlanOptions, replan: Replan, fixed: Edits) -> list[Found]:
    """The smallest catalog GPU on which some setup starts, with that setup: on one node if
    any board allows it, else on the fewest nodes.

    Boards are bisected by memory with a quick probe (every knob at once on the widest
    layout), as a board with more memory rarely does worse; the board found is then
    searched and its setup re-planned like any other.
    """
    boards = list(_other_gpus(core, options))
    for max_nodes in (1, MAX_NODES):
        made: dict[int, tuple[_GpuSearch, Edits]] = {}

        def board(index: int, made: dict[int, tuple[_GpuSearch, Edits]], nodes: int) -> _GpuSearch:
            if index not in made:
                made[index] = _on_board(core, boards[index], replan, fixed, nodes)
            return made[index][0]

        low, high = 0, len(boards)
        while low < high:
            middle = (low + high) // 2
            if board(middle, made, max_nodes).hopeless(options):
                low = middle + 1
            else:
                high = middle
        for index in range(low, len(boards)):
            other = board(index, made, max_nodes)
            if other.hopeless(options):
                continue
            hits = other.hits(options, "start", 1)
            picked = _pick(other, hits, "start", 1, made[index][1])
            if picked:
                found = picked[0]
                reasons = ("the smallest catalog GPU on which it starts", *found.reasons)
                return [replace(found, reasons=reasons)]
    return []
