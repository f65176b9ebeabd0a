"""Recommendations and the feasibility verdict as findings (DESIGN §4).

`planning/search/` finds the setups; this module turns them into what users read: the
`recommendations` of plan.json (each with what it buys), the quick fixes the findings carry,
and the findings themselves. Every setup shown was re-planned from the edited profile, so a
fix's title states the figures the fixed profile gets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from vllm_wizard.findings import (
    FieldPath,
    Finding,
    Findings,
    Fix,
    counted,
    fixes_data,
)
from vllm_wizard.planning.memory import GIB, MemoryResult
from vllm_wizard.planning.result import FieldEdit, Recommendation
from vllm_wizard.planning.search import (
    UTIL_FIELD,
    VRAM_FIELD,
    Edits,
    Found,
    PlanOptions,
    Replan,
    edited_profile,
    same_model,
    search,
)
from vllm_wizard.planning.semantic import (
    GPU_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    MODEL_FIELD,
    NODES_FIELD,
    PP_FIELD,
    QUANT_FIELD,
    TP_FIELD,
)
from vllm_wizard.profile.diagnostics import Code

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore
    from vllm_wizard.profile.schema import HardwareSection

CONCURRENCY_FIELD = ("workload", "concurrency")
VERSION_FIELD = ("vllm_version",)
GOALS: dict[str, Literal["start", "fit", "workload"]] = {
    "start": "start",
    "fit": "fit",
    "workload": "workload",
}


def gib(value: float) -> str:
    """`12.34 GiB`: the one way sizes read in messages."""
    return f"{value / GIB:,.2f} GiB"


def verdict_phrase(memory: MemoryResult) -> str:
    """`fits: 51.4 GiB KV, 420,864 tokens`-style summary of a variant."""
    if not memory.starts:
        return "still does not start"
    kv = f"{memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens"
    return f"fits: {kv}" if memory.fits else f"starts: {kv}"


@dataclass(frozen=True, slots=True)
class Fixes:
    """The quick fixes found; findings pick the ones that apply."""

    start: tuple[Fix, ...] = ()
    """Setups that start, cheapest first (then the cheapest that fits)."""
    fit: tuple[Fix, ...] = ()
    """Setups that fit the workload, cheapest first."""
    concurrency: Fix | None = None
    quantization: tuple[Fix, ...] = ()
    """For a method vLLM cannot load from this checkpoint: checkpoints, fp8, none."""
    last_release: Fix | None = None
    """For a checkpoint whose method the targeted vLLM no longer has: the last release with it."""

    def for_start(self) -> list[Fix]:
        return list(self.start)

    def for_fit(self) -> list[Fix]:
        return [*self.fit, *([self.concurrency] if self.concurrency is not None else [])]


@dataclass(frozen=True, slots=True)
class Advice:
    """What `recommend` found: the recommendations, their fixes, and the setup the
    performance estimate is for when the profile does not start."""

    recommendations: tuple[Recommendation, ...] = ()
    fixes: Fixes = Fixes()
    best: Found | None = None
    longest_max_model_len: int = 0

    @property
    def best_action(self) -> str | None:
        """The cheapest setup that starts, in words (`Use 4 GPUs, tp 4; …`)."""
        return describe(self.best.edits, self.best.core) if self.best is not None else None


def _field_name(path: FieldPath) -> str:
    return path[-1] if path[:2] != ("outputs", "vllm_args") else f"vllm_args.{path[-1]}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _and(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def hardware_phrase(hw: HardwareSection, gpu_name: str | None = None) -> str:
    """The profile's GPUs, not the layout: `2 nodes × 8 GPUs`; with `gpu_name`: `1 × L4`."""
    label = f" × {gpu_name}" if gpu_name is not None else " GPUs" if hw.gpus > 1 else " GPU"
    return f"{hw.nodes} nodes × {hw.gpus}{label}" if hw.nodes > 1 else f"{hw.gpus}{label}"


def layout_phrase(core: PlanCore, gpu_name: str | None = None) -> str:
    """`2 nodes × 8 GPUs, tp 8 × pp 2` for a re-planned setup; with `gpu_name`:
    `2 × H100 SXM, tp 2`."""
    setup = core.setup
    split = f"tp {setup.tp}" + (f" × pp {setup.pp}" if setup.pp > 1 else "")
    return f"{hardware_phrase(core.profile.hardware, gpu_name)}, {split}"


def describe(edits: Edits, core: PlanCore) -> str:
    """What applying `edits` does, in words (`core` is the re-planned result):
    `Use 2 nodes × 8 GPUs, tp 8 × pp 2; set kv_cache_dtype: fp8`."""
    paths = {path for path, _ in edits}
    heads: list[str] = []
    if MODEL_FIELD in paths:
        heads.append(str(core.profile.model.id))
    hardware = GPU_FIELD in paths or GPUS_FIELD in paths or NODES_FIELD in paths
    if hardware:
        heads.append(layout_phrase(core, core.gpu.name if GPU_FIELD in paths else None))
    rest = [
        (path, value)
        for path, value in edits
        if path not in (GPU_FIELD, MODEL_FIELD, VRAM_FIELD, GPUS_FIELD, NODES_FIELD)
        and not (hardware and path in (TP_FIELD, PP_FIELD))
    ]
    sets = [f"{_field_name(p)}: {_value_text(v)}" for p, v in rest if v is not None]
    removes = [_field_name(p) for p, v in rest if v is None]
    parts: list[str] = []
    if heads:
        parts.append("Use " + ", ".join(heads))
    if sets:
        parts.append(("set " if heads else "Set ") + _and(sets))
    if removes:
        parts.append(("remove " if parts else "Remove ") + _and(removes))
    return "; ".join(parts)


def _effect(found: Found, base: PlanCore) -> str:
    memory = found.core.memory
    phrase = verdict_phrase(memory)
    if base.memory.starts and base.memory.kv_tokens and found.goal == "fit":
        ratio = memory.kv_tokens / base.memory.kv_tokens
        if abs(ratio - 1) >= 0.05:
            return f"{ratio:.1f}× KV tokens; {phrase}"
    return phrase


def _recommendation(found: Found, effect: str) -> Recommendation:
    core = found.core
    path, value = found.edits[0]
    hw = core.profile.hardware
    return Recommendation(
        field=".".join(path),
        value=value,
        reason="; ".join(found.reasons),
        effect=effect,
        title=f"{describe(found.edits, found.core)} ({effect})",
        goal=GOALS[found.goal],
        edits=[FieldEdit(field=".".join(p), value=v) for p, v in found.edits],
        starts=core.starts,
        fits=core.fits,
        gpu_name=core.gpu.name,
        gpus=hw.gpus * hw.nodes,
        nodes=hw.nodes,
        tensor_parallel_size=core.setup.tp,
        pipeline_parallel_size=core.setup.pp,
        kv_cache_gib=core.memory.kv_gib,
        kv_cache_tokens=core.memory.kv_tokens,
    )


def _fix(edits: Edits, title: str, preferred: bool = False) -> Fix:
    return Fix(title, edits, preferred, remove=any(value is None for _, value in edits))


def recommend(core: PlanCore, options: PlanOptions, replan: Replan) -> Advice:
    """What to change, each with what it buys, and the matching quick fixes."""
    result = search(core, options, replan)
    recs: list[Recommendation] = []
    start: list[Fix] = []
    fit: list[Fix] = []
    for index, found in enumerate(result.starting):
        rec = _recommendation(found, _effect(found, core))
        recs.append(rec)
        start.append(_fix(found.edits, rec.title, preferred=index == 0))
    for found in result.fitting:
        if any(found.edits == other.edits for other in result.starting):
            continue
        rec = _recommendation(found, _effect(found, core))
        recs.append(rec)
        fit.append(_fix(found.edits, rec.title, preferred=not fit and core.starts))
        if not core.starts:
            start.append(_fix(found.edits, rec.title))
    concurrency = _concurrency(core, replan, recs)
    return Advice(
        recommendations=tuple(recs),
        fixes=Fixes(
            start=tuple(start),
            fit=tuple(fit),
            concurrency=concurrency,
            quantization=_quantization_fixes(core, options, replan),
            last_release=_last_release_fix(core, replan),
        ),
        best=result.starting[0] if result.starting else None,
        longest_max_model_len=result.longest_max_model_len,
    )


def _concurrency(core: PlanCore, replan: Replan, recs: list[Recommendation]) -> Fix | None:
    """The most concurrent requests the KV cache holds with the headroom kept (a workload
    change, not a setup: offered only when the profile starts but the workload does not fit)."""
    memory, profile = core.memory, core.profile
    if not core.starts or core.fits:
        return None
    workload = profile.workload
    per_request = memory.stage.layout.request_bytes(
        min(workload.prompt_tokens + workload.gen_tokens, memory.max_model_len)
    )
    room = memory.stage.kv_cache - profile.policy.headroom_gb * GIB
    need = per_request * profile.policy.fragmentation_factor
    if need <= 0 or room <= 0:
        return None
    most = int(room // need)
    if not 1 <= most < workload.concurrency:
        return None
    edits: Edits = ((CONCURRENCY_FIELD, most),)
    fixed = replan(edited_profile(profile, edits), core.model, core.gpu)
    if not fixed.fits:
        return None
    reason = "the most concurrent requests the KV cache holds with the headroom kept"
    rec = _recommendation(Found("workload", edits, fixed, (reason,)), verdict_phrase(fixed.memory))
    recs.append(rec)
    return Fix.set(rec.title, CONCURRENCY_FIELD, most)


def _quantization_fixes(core: PlanCore, options: PlanOptions, replan: Replan) -> tuple[Fix, ...]:
    """For a method this checkpoint cannot load: a checkpoint quantized with it, fp8 on the
    fly, or none, each re-planned so its title states what it gives."""
    finding = _finding_with(core.findings, "needs_checkpoint_config")
    if finding is None or finding.data is None:
        return ()
    method = str(finding.data["needs_checkpoint_config"])
    family = method.removeprefix("auto_").removesuffix("_marlin")
    choices: list[Edits] = []
    for variant in options.quantized:
        declared = variant.arch.quantization
        if (
            declared is not None
            and declared.method.removeprefix("auto_").removesuffix("_marlin") == family
            and same_model(core.model.arch, variant.arch)
        ):
            choices.append(((MODEL_FIELD, variant.model_id), (QUANT_FIELD, "none")))
    for fix in finding.data.get("fixes") or []:
        choices.append(tuple((tuple(e["path"]), e["value"]) for e in fix["edits"]))
    fixes: list[Fix] = []
    for edits in choices:
        model = core.model
        if edits[0][0] == MODEL_FIELD:
            model = next(v for v in options.quantized if v.model_id == edits[0][1])
        fixed = replan(edited_profile(core.profile, edits), model, core.gpu)
        if not fixed.starts:
            continue
        title = f"{describe(edits, fixed)} ({verdict_phrase(fixed.memory)})"
        fixes.append(_fix(edits, title, preferred=not fixes))
    return tuple(fixes)


def _last_release_fix(core: PlanCore, replan: Replan) -> Fix | None:
    """For a checkpoint whose method the targeted vLLM no longer has: the last release that
    loads it, re-planned (an older vLLM, but the checkpoint's small weights stay)."""
    finding = _finding_with(core.findings, "removed_method")
    if finding is None or finding.data is None:
        return None
    release = str(finding.data["last_release"])
    edits: Edits = ((VERSION_FIELD, release),)
    fixed = replan(edited_profile(core.profile, edits), core.model, core.gpu)
    if not fixed.starts:
        return None
    method = finding.data["removed_method"]
    why = f"the last vLLM release with {method}; {verdict_phrase(fixed.memory)}"
    return _fix(edits, f"{describe(edits, fixed)} ({why})")


def _finding_with(findings: tuple[Finding, ...], key: str) -> Finding | None:
    """The finding whose data holds `key` (what a finding says it needs fixed)."""
    return next((f for f in findings if f.data is not None and key in f.data), None)


def _breakdown(memory: MemoryResult) -> str:
    """`budget 71.26 GiB = weights 61.03 + activation 2.11 + … + KV 5.65; 0.9 × 79.18 GiB`."""
    stage = memory.stage
    parts = [f"weights {stage.weights / GIB:,.2f}"]
    if memory.setup.overhead_gb is not None:
        parts.append(f"overhead {stage.activation / GIB:,.2f}")
    else:
        parts.append(f"activation {stage.activation / GIB:,.2f}")
        parts.append(f"non-torch {stage.non_torch / GIB:,.2f}")
        if memory.cuda_graph_in_budget and stage.cuda_graph > 0:
            parts.append(f"CUDA graphs {stage.cuda_graph / GIB:,.2f}")
    parts.append(f"KV {stage.kv_cache / GIB:,.2f}")
    return (
        f"budget {memory.budget / GIB:,.2f} GiB = "
        + " + ".join(parts)
        + f"; {memory.setup.gpu_memory_utilization:g} × {memory.total / GIB:,.2f} GiB"
    )


def feasibility_findings(core: PlanCore, advice: Advice, findings: Findings) -> None:
    """The memory verdict as findings on the fields most to blame (and, for a quantization
    method the checkpoint cannot load, the re-planned fixes on that finding)."""
    profile, gpu, setup, memory, rules = core.profile, core.gpu, core.setup, core.memory, core.rules
    fixes = advice.fixes
    _attach_fixes(findings, "needs_checkpoint_config", fixes.quantization)
    last = (fixes.last_release,) if fixes.last_release is not None else ()
    _attach_fixes(findings, "removed_method", (*fixes.for_start(), *last))
    refusal = memory.refusal
    related: tuple[tuple[FieldPath, str], ...] = (
        (MODEL_FIELD, f"weights {gib(memory.stage.weights)} per GPU"),
        (GPU_FIELD, f"{gpu.name}: {gpu.memory_gib:,.2f} GiB as CUDA reports it"),
        (TP_FIELD, f"tensor_parallel_size {setup.tp}"),
        (UTIL_FIELD, f"gpu_memory_utilization {setup.gpu_memory_utilization:g}"),
    )
    wording = f"the {rules.refusal_wording}"
    if refusal is not None:
        start_fixes = fixes.for_start()
        if refusal.kind == "startup-free-memory":
            findings.error(
                Code.DOES_NOT_START,
                f"Does not start: vLLM wants {refusal.needed_gib:,.2f} GiB"
                f" (gpu_memory_utilization {setup.gpu_memory_utilization:g} ×"
                f" {memory.total / GIB:,.2f} GiB) but only about {refusal.available_gib:,.2f} GiB"
                ' is free at start-up (vLLM: "Free memory on device … on startup is less than'
                ' desired GPU memory utilization").',
                UTIL_FIELD,
                GPU_FIELD,
                related=related,
                data=fixes_data(start_fixes),
            )
        elif refusal.kind == "no-kv-memory":
            findings.error(
                Code.NO_KV_MEMORY,
                'Does not start: no memory is left for the KV cache (vLLM: "No available memory'
                f' for the cache blocks"): {_breakdown(memory)}.',
                TP_FIELD,
                GPU_FIELD,
                MODEL_FIELD,
                related=related,
                data=fixes_data(start_fixes),
            )
        elif refusal.kind == "auto-fit":
            findings.error(
                Code.NO_KV_MEMORY,
                'Does not start: max_model_len auto cannot fit even one token (vLLM: "Cannot'
                f' auto-fit max_model_len"): {_breakdown(memory)}.',
                LEN_FIELD,
                TP_FIELD,
                GPU_FIELD,
                related=related,
                data=fixes_data(start_fixes),
            )
        else:
            longest = advice.longest_max_model_len
            hint = f" The longest max_model_len that starts is {longest:,}." if longest else ""
            findings.error(
                Code.DOES_NOT_START,
                f"Does not start: needs {refusal.needed_gib:,.2f} GiB of KV for one"
                f" {memory.max_model_len:,}-token request, {refusal.available_gib:,.2f} GiB"
                f' available ({_breakdown(memory)}).{hint} (vLLM: "To serve at least one'
                f' request with {wording} max seq len ({memory.max_model_len}) …")',
                LEN_FIELD,
                TP_FIELD,
                GPU_FIELD,
                MODEL_FIELD,
                related=related,
                data=fixes_data(start_fixes, needed_gib=refusal.needed_gib),
            )
        return
    workload = profile.workload
    tokens = min(workload.prompt_tokens + workload.gen_tokens, memory.max_model_len)
    if not memory.fits:
        longest = memory.max_context_at_concurrency
        tail = (
            f" At {counted(workload.concurrency, 'concurrent request')} the longest that fits is"
            f" {longest:,} tokens."
            if longest > 0
            else ""
        )
        findings.warning(
            Code.DOES_NOT_FIT,
            f"Starts, but the workload does not fit: {counted(workload.concurrency, 'request')} of"
            f" {tokens:,} tokens need{'s' if workload.concurrency == 1 else ''}"
            f" {gib(memory.kv_needed)} of KV cache (×"
            f" {profile.policy.fragmentation_factor:g} fragmentation); {memory.kv_gib:,.2f} GiB"
            f" is available, leaving {gib(memory.headroom)} against the"
            f" {profile.policy.headroom_gb:g} GiB headroom wanted.{tail}",
            CONCURRENCY_FIELD,
            ("workload", "prompt_tokens"),
            TP_FIELD,
            GPU_FIELD,
            related=(
                (("workload", "prompt_tokens"), f"{workload.prompt_tokens:,} prompt tokens"),
                (("workload", "gen_tokens"), f"{workload.gen_tokens:,} generated tokens"),
                *related,
            ),
            data=fixes_data(fixes.for_fit()),
        )
        return
    if memory.headroom < 2 * profile.policy.headroom_gb * GIB:
        findings.warning(
            Code.LOW_HEADROOM,
            f"Fits with little room: {gib(memory.headroom)} of KV cache to spare beyond the"
            f" workload's {gib(memory.kv_needed)}; a longer prompt or a few more requests will"
            " queue.",
            CONCURRENCY_FIELD,
            GPU_FIELD,
            related=related,
        )
    spare = memory.graph_spare  # the threshold of the medium OOM risk
    if not memory.cuda_graph_in_budget and memory.stage.cuda_graph > spare:
        findings.warning(
            Code.CUDA_GRAPH_RISK,
            f"CUDA graphs take about {gib(memory.stage.cuda_graph)} outside the budget, more than"
            f" the {gib(max(0.0, spare))} gpu_memory_utilization leaves free once the CUDA"
            " context is loaded: capture may run out of memory. Lower gpu_memory_utilization or"
            " add `enforce_eager: true` to vllm_args.",
            UTIL_FIELD,
            related=related,
        )


def _attach_fixes(findings: Findings, key: str, fixes: tuple[Fix, ...]) -> None:
    """Replace the quick fixes of the finding whose data holds `key` (a method vLLM cannot
    load from this checkpoint, or no longer has) by re-planned ones."""
    finding = _finding_with(tuple(findings.items), key)
    if finding is None or finding.data is None:
        return
    index = findings.items.index(finding)
    data: dict[str, Any] = dict(finding.data)
    data.update(fixes_data(list(fixes)))
    findings.items[index] = replace(finding, data=data)
