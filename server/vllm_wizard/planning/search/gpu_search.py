"""The search on one GPU: for each knob set the cheapest layout that reaches the goal,
found by bisecting the layouts in order of cost (more GPUs never leave less memory per
GPU), a combination kept only when it is cheaper than each of its parts; and the profile
edits and reasons that give each hit. Memory only: `finalists` re-plans what it finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import FieldPath
from vllm_wizard.planning.memory import GIB, MemoryResult, compute_memory
from vllm_wizard.planning.search.edits import LAYOUT_FIELDS, Edits, edited_profile
from vllm_wizard.planning.search.knobs import (
    LENGTH,
    Knob,
    _knobs,
    knob_sets,
    longest_max_model_len,
    reaches,
)
from vllm_wizard.planning.search.layouts import MAX_NODES, Layout, _layouts
from vllm_wizard.planning.search.options import PlanOptions, Replan
from vllm_wizard.planning.semantic import (
    BASE_MODEL_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    MODEL_FIELD,
    NODES_FIELD,
    PP_FIELD,
    TP_FIELD,
)

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore


Rank = tuple[int, int, int, int]


@dataclass(slots=True)
class _Hit:
    """A setup that starts, with what it changed: the search ranks these."""

    knobs: tuple[Knob, ...]
    layout: Layout
    memory: MemoryResult
    length: int | None

    def rank(self) -> Rank:
        gpus, nodes = self.layout.cost
        return gpus, nodes, -self.memory.kv_tokens, len(self.knobs)


@dataclass(slots=True)
class _GpuSearch:
    """The search on one GPU for one (possibly repaired) profile."""

    core: PlanCore
    replan: Replan
    per_node: int
    repaired: Edits = ()
    max_nodes: int = MAX_NODES
    memo: dict[tuple[object, ...], MemoryResult] = field(default_factory=dict)
    bases: dict[str, PlanCore | None] = field(default_factory=dict)

    @property
    def need(self) -> int:
        """Tokens of one of the workload's requests (capped at the model's limit)."""
        workload = self.core.context.workload
        limit = self.core.model.arch.max_model_len
        return min(workload.prompt_tokens + workload.gen_tokens, limit)

    def base_for(self, knobs: tuple[Knob, ...]) -> PlanCore | None:
        checkpoint = next((k.checkpoint for k in knobs if k.checkpoint is not None), None)
        if checkpoint is None:
            return self.core
        if checkpoint.model_id not in self.bases:
            edits = ((MODEL_FIELD, checkpoint.model_id),)
            profile = edited_profile(self.core.profile, edits)
            self.bases[checkpoint.model_id] = self.replan(profile, checkpoint, self.core.gpu)
        return self.bases[checkpoint.model_id]

    def run(self, knobs: tuple[Knob, ...], layout: Layout, length: int | None) -> MemoryResult:
        key = (tuple(id(k) for k in knobs), layout, length)
        found = self.memo.get(key)
        if found is not None:
            return found
        base = self.base_for(knobs)
        assert base is not None
        setup = base.setup
        if length is not None:
            from vllm_wizard.planning.plan import batch_for

            seqs, tokens, _ = batch_for(
                base.profile, base.context.gpu, base.rules, base.args, length
            )
            setup = replace(
                setup, max_model_len=length, max_num_seqs=seqs, max_num_batched_tokens=tokens
            )
        for knob in knobs:
            setup = knob.apply(setup)
        setup = replace(
            setup,
            tp=layout.tp,
            pp=layout.pp,
            nodes=layout.nodes,
            gpus_per_node=layout.gpus_per_node,
        )
        context = base.context
        result = compute_memory(context.model, context.gpu, setup, context.workload, base.rules)
        self.memo[key] = result
        return result

    def evaluate(self, knobs: tuple[Knob, ...], layout: Layout) -> _Hit:
        """The knobs on a layout; the length knob takes the longest length that starts."""
        others = tuple(k for k in knobs if k is not LENGTH)
        memory = self.run(others, layout, None)
        if len(others) == len(knobs) or memory.starts:
            return _Hit(knobs, layout, memory, None)
        length = longest_max_model_len(memory, lambda n: self.run(others, layout, n))
        if length < self.need:
            return _Hit(knobs, layout, memory, None)  # too short for the workload's requests
        return _Hit(knobs, layout, self.run(others, layout, length), length)

    def cheapest(
        self,
        knobs: tuple[Knob, ...],
        groups: list[list[Layout]],
        goal: str,
        bound: tuple[int, int],
    ) -> _Hit | None:
        """The cheapest layout (within `bound`) on which `knobs` reach `goal`: a bisection
        over the cost groups (more GPUs never leave less memory per GPU), then the layout of
        that group with the most KV tokens."""

        need = self.need

        def reached(index: int) -> list[_Hit]:
            hits = [self.evaluate(knobs, layout) for layout in groups[index]]
            return [h for h in hits if reaches(h.memory, goal, need)]

        high = max((i for i, g in enumerate(groups) if g[0].cost <= bound), default=-1)
        if high < 0:
            return None
        found = reached(high)
        if not found:
            return None
        low = 0
        while low < high:
            middle = (low + high) // 2
            hits = reached(middle)
            if hits:
                high, found = middle, hits
            else:
                low = middle + 1
        return min(found, key=_Hit.rank)

    def hits(self, options: PlanOptions, goal: str, want: int) -> list[_Hit]:
        """The cheapest setup of each knob set that reaches `goal`, minimal sets only."""
        knobs = _knobs(self.core, options)
        groups = _layouts(self.core, self.per_node, self.max_nodes)
        found: dict[tuple[int, ...], _Hit] = {}
        unbounded = (MAX_NODES * 10**6, MAX_NODES)
        for knob_set in knob_sets(knobs):
            ids = tuple(id(k) for k in knob_set)
            bound = unbounded
            for size in range(len(knob_set)):
                for part in combinations(knob_set, size):
                    hit = found.get(tuple(id(k) for k in part))
                    if hit is not None and hit.layout.cost <= bound:
                        gpus, nodes = hit.layout.cost
                        bound = (gpus, nodes - 1) if nodes > 1 else (gpus - 1, MAX_NODES)
            costs = sorted(h.layout.cost for h in found.values())
            if len(costs) >= want:
                bound = min(bound, costs[want - 1])
            if bound[0] < 1 or self.base_for(knob_set) is None:
                continue
            hit = self.cheapest(knob_set, groups, goal, bound)
            if hit is not None:
                found[ids] = hit
        return sorted(found.values(), key=_Hit.rank)

    def hopeless(self, options: PlanOptions) -> bool:
        """True when even every knob at once on the widest layout does not start: a quick
        way to pass over a GPU before searching it."""
        knobs = _knobs(self.core, options)
        weights: list[Knob | None] = [k for k in knobs if k.kind == "weights"] or [None]
        others = tuple(k for k in knobs if k.kind != "weights")
        groups = _layouts(self.core, self.per_node, self.max_nodes)
        if not groups:
            return True
        for weight in weights:
            knob_set = others if weight is None else (weight, *others)
            if self.base_for(knob_set) is None:
                continue
            if any(
                reaches(self.evaluate(knob_set, lay).memory, "start", self.need)
                for lay in groups[-1]
            ):
                return False
        return True

    def edits_for(self, hit: _Hit) -> Edits:
        """The profile edits that give `hit`'s setup."""
        profile = self.core.profile
        hw = profile.hardware
        layout = hit.layout
        edits: list[tuple[FieldPath, Any]] = []
        for knob in hit.knobs:
            if knob.checkpoint is not None:
                edits += knob.edits
        moved = (layout.tp, layout.pp) != (self.core.setup.tp, self.core.setup.pp)
        if layout.gpus_per_node != hw.gpus:
            edits.append((GPUS_FIELD, layout.gpus_per_node))
        if layout.nodes != hw.nodes:
            edits.append((NODES_FIELD, layout.nodes))
        if moved and hw.tp_size != layout.tp:
            edits.append((TP_FIELD, layout.tp))
        from vllm_wizard.planning.plan import default_pp

        tp_after = layout.tp if (moved or hw.tp_size is not None) else None
        derived = default_pp(layout.gpus_per_node, layout.nodes, tp_after)
        if (hw.pp_size is not None and hw.pp_size != layout.pp) or (
            hw.pp_size is None and derived != layout.pp
        ):
            edits.append((PP_FIELD, layout.pp))
        for knob in hit.knobs:
            if knob is LENGTH and hit.length is not None:
                edits.append((LEN_FIELD, hit.length))
            elif knob.checkpoint is None:
                edits += knob.edits
        return (*edits, *self.repaired)

    def reasons_for(self, hit: _Hit, edits: Edits) -> tuple[str, ...]:
        reasons: list[str] = []
        if any(path in LAYOUT_FIELDS for path, _ in edits):
            layout = hit.layout
            if layout.pp > 1:
                reasons.append(
                    f"tp {layout.tp} × pp {layout.pp} splits the weights over"
                    f" {layout.tp * layout.pp} GPUs"
                )
            elif layout.tp > 1:
                reasons.append(f"tensor parallelism over {layout.tp} GPUs splits the weights")
            else:
                reasons.append("the whole model on one GPU")
        for knob in hit.knobs:
            if knob is LENGTH:
                kv = hit.memory.stage.kv_cache
                reasons.append(f"the longest request that fits in {kv / GIB:,.2f} GiB of KV cache")
            else:
                reasons.append(knob.reason)
        model = next((value for path, value in self.repaired if path == MODEL_FIELD), None)
        if model is not None:
            reasons.append(
                f"{model} is the unquantized model; vLLM {self.core.rules.requested} cannot load"
                " the checkpoint's method"
            )
        others = [p for p, _ in self.repaired if p not in (MODEL_FIELD, BASE_MODEL_FIELD)]
        if others:
            fields = ", ".join(".".join(path) for path in others)
            reasons.append(f"vLLM refuses {fields} as written (see the error there)")
        return tuple(reasons)
