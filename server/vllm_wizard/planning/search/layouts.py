"""The layouts worth trying (GPUs per node, nodes, tp and pp), grouped by cost (GPUs used,
then nodes), and where a tp × pp split goes on the GPUs. vLLM's rules decide which splits
exist (see the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vllm_wizard.planning.semantic import valid_tp

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore

MAX_NODES = 16
"""The search stops at this many nodes (128 GPUs at 8 per node)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """One way to spread a copy of the model: tp × pp over nodes of GPUs."""

    tp: int
    pp: int
    gpus_per_node: int
    nodes: int

    @property
    def cost(self) -> tuple[int, int]:
        """(GPUs used, nodes): what the search minimizes."""
        return self.tp * self.pp, self.nodes


def _layouts(core: PlanCore, per_node: int, max_nodes: int = MAX_NODES) -> list[list[Layout]]:
    """The layouts worth trying, grouped by cost, cheapest group first.

    Each valid tp alone (on the profile's GPUs while they suffice, else on one node of that
    many GPUs), the profile's own split (tp across nodes only where the profile asks for it),
    the widest split of the profile's GPUs (tp as large as divides a node, pipeline stages
    over the rest), then full nodes with tp inside each node and one or more pipeline stages
    per node.
    """
    arch = core.model.arch
    hw = core.profile.hardware
    layers = arch.num_layers
    tps = [t for t in range(1, max(per_node, hw.gpus) + 1) if valid_tp(arch, t)]
    candidates: list[tuple[int, int]] = [(core.setup.tp, core.setup.pp)]
    own_tp = max((t for t in tps if hw.gpus % t == 0), default=1)
    candidates.append((own_tp, hw.gpus // own_tp * hw.nodes))
    candidates += [(tp, 1) for tp in tps if tp <= max(per_node, hw.gpus)]
    node_tp = max((t for t in tps if per_node % t == 0), default=1)
    candidates += [(node_tp, nodes * per_node // node_tp) for nodes in range(1, max_nodes + 1)]
    groups: dict[tuple[int, int], dict[tuple[int, int], Layout]] = {}
    for tp, pp in candidates:
        if pp > layers or not valid_tp(arch, tp):
            continue
        layout = _place(tp, pp, hw.gpus, hw.nodes, per_node)
        if layout is not None and layout.nodes <= max_nodes:
            groups.setdefault(layout.cost, {})[(tp, pp)] = layout
    own = core.setup
    if own.tp > hw.gpus and own.tp * own.pp <= hw.gpus * hw.nodes and valid_tp(arch, own.tp):
        # the profile asks for tp across nodes: its own layout stays a candidate
        layout = Layout(own.tp, own.pp, hw.gpus, hw.nodes)
        if own.pp <= layers and layout.nodes <= max_nodes:
            groups.setdefault(layout.cost, {})[(own.tp, own.pp)] = layout
    return [list(groups[cost].values()) for cost in sorted(groups)]


def _place(tp: int, pp: int, have_per_node: int, have_nodes: int, per_node: int) -> Layout | None:
    """Where tp × pp GPUs go: on the profile's GPUs (as few of its nodes as hold it), on one
    node of up to `per_node` GPUs, or on full nodes with tp inside each."""
    world = tp * pp
    if tp <= have_per_node:
        stages_per_node = have_per_node // tp
        nodes = -(-pp // stages_per_node)
        if nodes <= have_nodes:
            return Layout(tp, pp, have_per_node, nodes)
    if world <= per_node:
        return Layout(tp, pp, world, 1)
    if per_node % tp == 0 and world % per_node == 0:
        return Layout(tp, pp, per_node, world // per_node)
    return None
