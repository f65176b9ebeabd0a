"""The recommendation search (DESIGN §4): the cheapest setups that start, and that fit.

A setup is a layout (GPUs per node, nodes, tp and pp with tp × pp = the GPUs used) and at
most two other knobs: an fp8 KV cache, smaller weights (a quantized checkpoint of the same
model, or fp8 quantized by vLLM at load time), the longest max_model_len that starts,
fewer scheduled sequences, more of each GPU. For each knob set the memory model finds the
cheapest layout by bisecting the layouts in order of cost (more GPUs never leave less memory
per GPU); a combination is kept only when it is cheaper than each of its parts. The
finalists are re-planned from the edited profile (`replan`, i.e. `plan_core`), so the
figures a quick fix states are the ones the fixed profile gets, and a setup that does not
start on re-planning is never offered.

Layouts follow vLLM's rules: tp must divide the attention heads and split the KV heads
evenly (`valid_tp`); tp × pp is the world size and must fit the GPUs; pp ≤ layers. tp stays
within a node and pipeline stages span nodes (pp across nodes uses Ray, which the serve
config turns on for `nodes > 1`); beyond one node, nodes are full (the form factor's GPU
count). Cost: the GPUs used (tp × pp), then nodes, then the KV tokens (more first).

Pure: the quantized checkpoints and catalog GPUs to try arrive in `PlanOptions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import FieldPath, counted
from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.models.arch import ModelArch
from vllm_wizard.models.resolve import ResolvedModel
from vllm_wizard.planning.memory import (
    GIB,
    MemoryResult,
    Setup,
    compute_memory,
)
from vllm_wizard.planning.semantic import (
    BASE_MODEL_FIELD,
    GPU_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    MIN_CAPABILITY,
    MODEL_FIELD,
    NODES_FIELD,
    PP_FIELD,
    QUANT_FIELD,
    TP_FIELD,
    valid_tp,
)
from vllm_wizard.profile.diagnostics import Code

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore
    from vllm_wizard.profile.schema import Profile

Edits = tuple[tuple[FieldPath, Any], ...]
"""Profile fields to set, in order; None removes the field (back to its default)."""

Replan = Callable[["Profile", ResolvedModel, ResolvedGpu], "PlanCore"]

KV_FIELD = ("model", "kv_cache_dtype")
UTIL_FIELD = ("policy", "gpu_memory_utilization")
SEQS_FIELD = ("outputs", "vllm_args", "max_num_seqs")
VRAM_FIELD = ("hardware", "vram_gb")

DEFAULT_GPUS_PER_NODE = 8
"""GPUs per node when the catalog says nothing else: HGX/DGX boards carry 8 SXM GPUs, and
8 double-width PCIe cards is the usual maximum of a 4U server; a consumer card's count is
then an upper bound, not a promise that such a box exists."""
MAX_NODES = 16
"""The search stops at this many nodes (128 GPUs at 8 per node)."""
RAISED_UTILIZATION = 0.95
LEAN_MAX_NUM_SEQS = 256
FEW = 3
"""How many setups that start (or fit) the planner offers."""

KV_FP8_CAPABILITY = (8, 9)
"""An fp8 KV cache is suggested from Ada/Hopper on (FP8 tensor cores; older GPUs convert)."""


# ----------------------------------------------------------------------------- inputs


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


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Found:
    """A setup the search offers, re-planned from the edited profile."""

    goal: str
    """`start` or `fit`: what it was searched for (`workload`: a smaller workload)."""
    edits: Edits
    core: PlanCore
    reasons: tuple[str, ...]

    @property
    def cost(self) -> tuple[int, int]:
        """(GPUs used, nodes) of the re-planned setup."""
        setup = self.core.setup
        return setup.tp * setup.pp, self.core.profile.hardware.nodes


@dataclass(frozen=True, slots=True)
class SearchResult:
    starting: tuple[Found, ...] = ()
    """The cheapest few setups that start (empty when the profile starts)."""
    fitting: tuple[Found, ...] = ()
    """The cheapest setups that fit the workload (one when the profile does not start)."""
    longest_max_model_len: int = 0


# ----------------------------------------------------------------------------- profile edits


def edited_profile(profile: Profile, edits: Edits) -> Profile:
    """`profile` with `edits` applied, as a quick fix applies them to the YAML."""
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path, value in edits:
        if len(path) == 1:
            top[path[0]] = value
            continue
        section = sections.setdefault(path[0], {})
        if len(path) == 3 and path[:2] == ("outputs", "vllm_args"):
            args = section.setdefault("vllm_args", dict(profile.outputs.vllm_args))
            if value is None:
                args.pop(path[2], None)
            else:
                args[path[2]] = value
            continue
        section[path[1]] = value
    update: dict[str, Any] = dict(top)
    for name, fields in sections.items():
        update[name] = getattr(profile, name).model_copy(update=fields)
    return profile.model_copy(update=update)


LAYOUT_FIELDS = (GPUS_FIELD, NODES_FIELD, TP_FIELD, PP_FIELD)


# ----------------------------------------------------------------------------- knobs


@dataclass(frozen=True, slots=True)
class Knob:
    """One change besides the layout: a profile edit and what it does to the setup."""

    kind: str
    """`kv_fp8`, `weights`, `max_model_len`, `max_num_seqs`, `kv_memory` or `utilization`;
    a knob set holds at most one of each kind."""
    edits: Edits
    reason: str
    changes: tuple[tuple[str, Any], ...] = ()
    """Setup fields it sets (the fast path; the re-plan is the truth)."""
    checkpoint: ResolvedModel | None = None

    def apply(self, setup: Setup) -> Setup:
        return replace(setup, **dict(self.changes)) if self.changes else setup


LENGTH = Knob("max_model_len", (), "")
"""Stands for "the longest max_model_len that starts", found per setup."""


def longest_max_model_len(memory: MemoryResult, rerun: Callable[[int], MemoryResult]) -> int:
    """The longest max_model_len that starts: vLLM's estimate from its refusal ("the estimated
    maximum model length is …"), re-checked with the batch sizes that length gives (vLLM V0
    batches as many tokens as max_model_len). 0 when no length starts.

    The one rule: the finding, the quick fix, `plan` and the hover all show this number.
    """
    refusal = memory.refusal
    if refusal is None or refusal.kind != "max-model-len":
        return 0
    length = refusal.longest
    for _ in range(4):
        if length <= 0:
            return 0
        result = rerun(length)
        if result.starts:
            return length
        again = result.refusal
        if again is None or again.kind != "max-model-len" or again.longest >= length:
            return 0
        length = again.longest
    return 0


def fitting_utilization(memory: MemoryResult) -> float:
    """The highest gpu_memory_utilization the free memory at start-up allows (≤ 0.9)."""
    refusal = memory.refusal
    if refusal is None or refusal.kind != "startup-free-memory":
        return memory.setup.gpu_memory_utilization
    return min(0.9, int(refusal.available_gib / (memory.total / GIB) * 100) / 100)


def _knobs(core: PlanCore, options: PlanOptions) -> list[Knob]:
    """The changes worth trying on `core`, cheapest-looking first."""
    profile, setup, memory = core.profile, core.setup, core.memory
    capability = core.context.gpu.capability
    knobs: list[Knob] = []
    if (
        profile.model.kv_cache_dtype in ("auto", "float16", "bfloat16")
        and capability is not None
        and capability >= KV_FP8_CAPABILITY
    ):
        knobs.append(
            Knob(
                "kv_fp8",
                ((KV_FIELD, "fp8"),),
                "an fp8 KV cache stores one byte per value",
                (("kv_cache_dtype", "fp8"),),
            )
        )
    if setup.quantization is None and profile.model.quantization == "none":
        for variant in _variants_of(core, options):
            declared = variant.arch.quantization
            method = declared.method if declared is not None else "quantized"
            knobs.append(
                Knob(
                    "weights",
                    ((MODEL_FIELD, variant.model_id),),
                    f"a {method.upper()} checkpoint of the same model",
                    checkpoint=variant,
                )
            )
        minimum = MIN_CAPABILITY["fp8"]
        if capability is not None and capability >= minimum:
            from vllm_wizard.planning.plan import online_fp8

            method = online_fp8(core.rules)
            knobs.append(
                Knob(
                    "weights",
                    ((QUANT_FIELD, method),),
                    "fp8 weights, quantized by vLLM at load time",
                    (("quantization", method),),
                )
            )
    if profile.model.max_model_len != "auto":
        knobs.append(LENGTH)
    lean = max(LEAN_MAX_NUM_SEQS, profile.workload.concurrency)
    if setup.max_num_seqs > lean and "max_num_seqs" not in core.args.values:
        knobs.append(
            Knob(
                "max_num_seqs",
                ((SEQS_FIELD, lean),),
                f"the workload runs {counted(profile.workload.concurrency, 'request')} at"
                f" once; vLLM schedules up to {setup.max_num_seqs} and profiles for them",
                (("max_num_seqs", lean),),
            )
        )
    pinned = core.args.keys.get("kv_cache_memory_bytes")
    if pinned is not None:
        knobs.append(
            Knob(
                "kv_memory",
                ((("outputs", "vllm_args", pinned), None),),
                "vLLM then sizes the KV cache from gpu_memory_utilization",
                (("kv_cache_memory_bytes", None),),
            )
        )
    refusal = memory.refusal
    if refusal is not None and refusal.kind == "startup-free-memory":
        fitting = fitting_utilization(memory)
        if fitting > 0:
            knobs.append(
                Knob(
                    "utilization",
                    ((UTIL_FIELD, fitting),),
                    f"only about {refusal.available_gib:,.2f} GiB is free at start-up",
                    (("gpu_memory_utilization", fitting),),
                )
            )
    elif setup.gpu_memory_utilization < RAISED_UTILIZATION:
        knobs.append(
            Knob(
                "utilization",
                ((UTIL_FIELD, RAISED_UTILIZATION),),
                "vLLM may use more of each GPU",
                (("gpu_memory_utilization", RAISED_UTILIZATION),),
            )
        )
    return knobs


def same_model(arch: ModelArch, other: ModelArch) -> bool:
    """The same network (type, width, depth, vocabulary): a quantized copy, not another
    model; the name check (a fine-tune is another model) is the caller's."""
    return (
        other.text_model_type == arch.text_model_type
        and other.hidden_size == arch.hidden_size
        and other.num_layers == arch.num_layers
        and other.vocab_size == arch.vocab_size
    )


def _variants_of(core: PlanCore, options: PlanOptions) -> list[ResolvedModel]:
    """The handed-in quantized checkpoints of this model."""
    return [
        variant
        for variant in options.quantized
        if variant.model_id != core.model.model_id
        and variant.arch.quantization is not None
        and same_model(core.model.arch, variant.arch)
    ]


def reaches(memory: MemoryResult, goal: str, need: int) -> bool:
    """The setup starts (or fits) and, where vLLM fits max_model_len to memory (`auto`),
    leaves room for one of the workload's requests (`need` tokens)."""
    if not (memory.fits if goal == "fit" else memory.starts):
        return False
    return memory.setup.max_model_len != "auto" or memory.max_model_len >= need


def knob_sets(knobs: list[Knob]) -> list[tuple[Knob, ...]]:
    """No knob, each knob, and each pair of knobs of different kinds."""
    sets: list[tuple[Knob, ...]] = [(), *((k,) for k in knobs)]
    sets += [pair for pair in combinations(knobs, 2) if pair[0].kind != pair[1].kind]
    return sets


# ----------------------------------------------------------------------------- repairs


REPAIRABLE = frozenset(
    {Code.DTYPE_UNSUPPORTED, Code.QUANTIZATION, Code.KV_CACHE_DTYPE, Code.MAX_MODEL_LEN}
)
ARG_ERRORS = frozenset({Code.VLLM_ARG_UNKNOWN, Code.VLLM_ARG_DUPLICATE, Code.VLLM_ARG_INVALID})


def repairs(core: PlanCore, unquantized: ResolvedModel | None = None) -> Edits:
    """Edits that clear the errors vLLM would refuse before sizing memory, where one edit
    does: the finding's own first quick fix, `quantization: none` for a method that cannot
    run, the model's own length for an `auto` this vLLM lacks, no unknown vllm_args, and
    the `unquantized` model for a checkpoint whose method this vLLM no longer has."""
    edits: list[tuple[FieldPath, Any]] = []
    for finding in core.findings:
        if not finding.is_error:
            continue
        data = finding.data or {}
        fixes = data.get("fixes") or []
        if "removed_method" in data:
            if unquantized is not None:
                edits.append((MODEL_FIELD, unquantized.model_id))
                if core.profile.model.base_model is not None:
                    edits.append((BASE_MODEL_FIELD, None))  # it named the checkpoint's base
                if core.profile.model.quantization != "none":
                    edits.append((QUANT_FIELD, "none"))
        elif "needs_checkpoint_config" in data:
            edits.append((QUANT_FIELD, "none"))  # the search tries fp8 and checkpoints itself
        elif finding.code in ARG_ERRORS and finding.fields:
            edits.append((finding.fields[0], None))
        elif finding.code in REPAIRABLE and fixes:
            preferred = [f for f in fixes if f.get("preferred")] or fixes
            edits += [(tuple(e["path"]), e["value"]) for e in preferred[0]["edits"]]
        elif finding.code is Code.QUANTIZATION and core.profile.model.quantization != "none":
            edits.append((QUANT_FIELD, "none"))
        elif finding.code is Code.MAX_MODEL_LEN:
            edits.append((LEN_FIELD, None))
    unique: dict[FieldPath, Any] = {}
    for path, value in edits:
        unique.setdefault(path, value)
    return tuple(unique.items())


# ----------------------------------------------------------------------------- layouts


@dataclass(frozen=True, slots=True)
class Layout:
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


# ----------------------------------------------------------------------------- the search


Rank = tuple[int, int, int, int]


@dataclass(slots=True)
class _Hit:
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


def _verify(search: _GpuSearch, hit: _Hit, goal: str, gpu_edits: Edits = ()) -> Found | None:
    """Re-plan the edited profile; keep the setup only if it reaches `goal` there too.

    Where the profile leaves tp to the planner and the re-plan picks the hit's tp anyway,
    the fix does not pin it.
    """
    edits = (*gpu_edits, *search.edits_for(hit))
    base = search.base_for(hit.knobs)
    assert base is not None
    attempts = [edits]
    if search.core.tp_chosen and any(path == TP_FIELD for path, _ in edits):
        attempts.insert(0, tuple((p, v) for p, v in edits if p != TP_FIELD))
    for attempt in attempts:
        profile = edited_profile(search.core.profile, attempt)
        core = search.replan(profile, base.model, search.core.gpu)
        layout = (core.setup.tp, core.setup.pp) == (hit.layout.tp, hit.layout.pp)
        if attempt is not edits and not layout:
            continue
        if core.starts and reaches(core.memory, goal, search.need):
            return Found(goal, attempt, core, search.reasons_for(hit, attempt))
    return None


def _pick(
    search: _GpuSearch, hits: list[_Hit], goal: str, want: int, gpu_edits: Edits = ()
) -> list[Found]:
    """The first `want` hits that hold up on re-planning, skipping any that costs more than
    one already picked and buys no more (fewer or as many KV tokens, no better verdict)."""
    picked: list[Found] = []
    for hit in hits:
        if len(picked) >= want:
            break
        found = _verify(search, hit, goal, gpu_edits)
        if found is None or any(_dominates(other, found) for other in picked):
            continue
        picked.append(found)
    return picked


def _dominates(first: Found, second: Found) -> bool:
    """A costlier setup must buy more: more KV tokens, or fit where the cheaper one only
    starts. (At equal cost the setups are different trade-offs and all stay.)"""
    a, b = first.core, second.core
    return (
        first.cost < second.cost
        and a.memory.kv_tokens >= b.memory.kv_tokens
        and (a.fits or not b.fits)
    )


def search(core: PlanCore, options: PlanOptions, replan: Replan) -> SearchResult:
    """The cheapest few setups that start (when `core` does not) and that fit (when it does
    not fit); when none starts on this GPU, the smallest catalog GPU on which one does."""
    fixed = repairs(core, options.unquantized) if not core.starts else ()
    model = repaired_model(core, options, fixed)
    refused = any(f.is_error for f in core.findings)  # before vLLM sizes memory
    longest = 0  # no length starts while vLLM refuses the profile for another reason
    if core.memory.refusal is not None and not core.memory.starts and not refused:
        longest = longest_max_model_len(core.memory, lambda n: _rerun_length(core, n))
    if core.fits:
        return SearchResult(longest_max_model_len=longest)
    base = core
    if fixed:
        base = replan(edited_profile(core.profile, fixed), model, core.gpu)
    gpu_search = _GpuSearch(base, replan, options.max_gpus_per_node, fixed)
    starting: list[Found] = []
    fitting: list[Found] = []
    if not core.starts:
        hits = gpu_search.hits(options, "start", FEW)
        starting = _pick(gpu_search, hits, "start", FEW)
        starting += _extras(gpu_search, hits, "start", starting, longest)
        if starting and not starting[0].core.fits:
            fitting = _pick(gpu_search, gpu_search.hits(options, "fit", 1), "fit", 1)
        if not starting and not _refused_on_every_board(base, options, replan, fixed):
            starting = _other_gpu(base, options, replan, fixed)
    else:
        hits = gpu_search.hits(options, "fit", FEW)
        fitting = _pick(gpu_search, hits, "fit", FEW)
        fitting += _extras(gpu_search, hits, "fit", fitting)
    return SearchResult(tuple(starting), tuple(fitting), longest)


def _extras(
    search: _GpuSearch, hits: list[_Hit], goal: str, picked: list[Found], longest: int = 0
) -> list[Found]:
    """Beyond the cheapest few: the cheapest layout alone (more GPUs and nothing else), and
    the longest max_model_len that starts on the profile's own GPUs (the change the finding
    and vLLM's refusal name), each when it reaches `goal`, buys more than anything cheaper
    and is not offered already."""
    extras: list[Found] = []
    candidates: list[Found | None] = []
    alone = next((h for h in hits if h.knobs == ()), None)
    if alone is not None:
        candidates.append(_verify(search, alone, goal))
    if longest >= search.need and not search.repaired:
        edits: Edits = ((LEN_FIELD, longest),)
        core = search.replan(
            edited_profile(search.core.profile, edits), search.core.model, search.core.gpu
        )
        if core.starts and reaches(core.memory, goal, search.need):
            kv = core.memory.stage.kv_cache / GIB
            reason = f"the longest request that fits in {kv:,.2f} GiB of KV cache"
            candidates.append(Found(goal, edits, core, (reason,)))
    for found in candidates:
        others = (*picked, *extras)
        if found is None or any(found.edits == o.edits or _dominates(o, found) for o in others):
            continue
        extras.append(found)
    return extras


def repaired_model(core: PlanCore, options: PlanOptions, fixed: Edits) -> ResolvedModel:
    """The model the repaired profile names: the unquantized one when a repair moved there."""
    unquantized = options.unquantized
    if unquantized is not None and (MODEL_FIELD, unquantized.model_id) in fixed:
        return unquantized
    return core.model


def _rerun_length(core: PlanCore, length: int) -> MemoryResult:
    from vllm_wizard.planning.plan import batch_for

    seqs, tokens, _ = batch_for(core.profile, core.context.gpu, core.rules, core.args, length)
    setup = replace(
        core.setup, max_model_len=length, max_num_seqs=seqs, max_num_batched_tokens=tokens
    )
    context = core.context
    return compute_memory(context.model, context.gpu, setup, context.workload, core.rules)


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


__all__ = [
    "DEFAULT_GPUS_PER_NODE",
    "Edits",
    "Found",
    "GpuOption",
    "PlanOptions",
    "SearchResult",
    "edited_profile",
    "fitting_utilization",
    "longest_max_model_len",
    "repairs",
    "same_model",
    "search",
]
