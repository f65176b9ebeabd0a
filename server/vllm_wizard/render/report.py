"""The human-readable `vllm-wizard plan` report: verdict, per-GPU breakdown, advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vllm_wizard.planning.explain import derivations
from vllm_wizard.planning.memory import GIB
from vllm_wizard.render.performance import (
    CURVE_HEADER,
    curve_cells,
    has_estimate,
    heading,
    no_estimate,
    sparklines,
    summary,
)
from vllm_wizard.render.serve import serve_command

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan
    from vllm_wizard.planning.result import Performance, Recommendation


def verdict_line(plan: Plan) -> str:
    """The one-line verdict (the code lens and status bars use the same words)."""
    memory = plan.memory
    if not plan.starts:
        blocking = next((f for f in plan.findings if f.is_error), None)
        needs = needs_phrase(plan)
        why = f" · needs {needs}" if needs else ""
        if blocking is not None and not needs:
            memory_short = blocking.code.value in ("does-not-start", "no-kv-memory")
            why = " · no setup tried starts" if memory_short else f" · {blocking.code.value}"
        return f"✘ does not start{why}"
    head = "✔ fits" if plan.fits else "⚠ starts, workload does not fit"
    return (
        f"{head} · {memory.kv_gib:,.1f} GiB KV · {memory.kv_tokens:,} tokens ·"
        f" {memory.max_concurrency:,.1f}× at {memory.max_model_len:,}"
    )


def needs_phrase(plan: Plan) -> str:
    """What the cheapest setup that starts changes, in a few words: `2 nodes × 8, pp 2`."""
    best = next((r for r in plan.recommendations if r.goal == "start" and r.starts), None)
    if best is None:
        return ""
    fields = {edit.field for edit in best.edits}
    parts: list[str] = []
    if "hardware.gpu_name" in fields:
        parts.append(f"{best.gpus} × {best.gpu_name}")
    elif fields & {"hardware.gpus", "hardware.nodes"}:
        per_node = best.gpus // best.nodes
        if best.nodes > 1:
            parts.append(f"{best.nodes} nodes × {per_node}")
        else:
            parts.append(f"{best.gpus} GPUs" if best.gpus > 1 else "1 GPU")
    if fields & {"hardware.gpus", "hardware.nodes", "hardware.tp_size", "hardware.pp_size"}:
        tp, pp = best.tensor_parallel_size, best.pipeline_parallel_size
        if parts and best.nodes > 1 and pp > 1 and tp == best.gpus // best.nodes:
            parts.append(f"pp {pp}")  # `2 nodes × 8, pp 2`: tp fills each node
        else:
            parts.append(f"tp {tp}" + (f" × pp {pp}" if pp > 1 else ""))
    layout = {
        "hardware.gpu_name",
        "hardware.vram_gb",
        "hardware.gpus",
        "hardware.nodes",
        "hardware.tp_size",
        "hardware.pp_size",
    }
    for edit in best.edits:
        if edit.field in layout:
            continue
        name = edit.field.rsplit(".", 1)[-1]
        if edit.field == "model.id":
            parts.append(str(edit.value))
        elif edit.value is None:
            parts.append(f"no {name}")
        else:
            value = f"{edit.value:,}" if isinstance(edit.value, int) else str(edit.value)
            parts.append(f"{name} {value}")
    return ", ".join(parts)


def performance_lines(performance: Performance, for_setup: str | None = None) -> list[str]:
    """Estimates at the workload's concurrency, then throughput and latency as users grow;
    `for_setup` names the recommended setup they are for when the profile does not start."""
    if not has_estimate(performance):
        return [no_estimate(performance)]
    title = f"Performance {heading(performance)} (estimates; ranges as the assumptions state)"
    if for_setup:
        title += f", for the recommended setup: {for_setup}"
    lines = [title]
    lines += [f"  {label:<22} {value}" for label, value in summary(performance)]
    if performance.curve:
        widths = (7, 8, 9, 8, 8, 8)
        row = "  ".join(f"{h:>{w}}" for h, w in zip(CURVE_HEADER, widths, strict=True))
        lines += ["", f"  {row}"]
        for point in performance.curve:
            cells = curve_cells(point)
            mark = " ◂" if point.concurrency == performance.concurrency else ""
            text = "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
            lines.append(f"  {text}{mark}")
        lines.append(f"  {sparklines(performance)}")
    return lines


def breakdown_rows(plan: Plan) -> list[tuple[str, float, str]]:
    """(label, GiB, note) rows of the tightest GPU, shared by the report and the hover."""
    memory = plan.memory
    stage = memory.stage
    rows = [
        ("total (as CUDA reports it)", memory.total / GIB, plan.gpu.source),
        (f"budget (× {plan.setup.gpu_memory_utilization:g})", memory.budget / GIB, ""),
        ("weights", stage.weights / GIB, plan.model.params_source),
    ]
    if plan.setup.overhead_gb is not None:
        rows.append(("overhead (policy.overhead_gb)", stage.activation / GIB, "given"))
    else:
        rows.append(("activation", stage.activation / GIB, "estimate"))
        rows.append(("non-torch", stage.non_torch / GIB, "estimate"))
        where = "in the budget" if memory.cuda_graph_in_budget else "outside the budget"
        rows.append(("CUDA graphs", stage.cuda_graph / GIB, f"estimate, {where}"))
    rows.append(("KV cache", stage.kv_cache / GIB, "available"))
    rows.append(("workload KV need", memory.kv_needed / GIB, "× fragmentation"))
    rows.append(("headroom", memory.headroom / GIB, ""))
    return rows


def _goal_mark(rec: Recommendation) -> str:
    return "✔" if rec.fits else "▸" if rec.starts else "·"


def render_report(plan: Plan, *, explain: bool = False) -> str:
    memory = plan.memory
    setup = plan.setup
    gpus = setup.tp * setup.pp
    lines = [
        f"{plan.profile.model.id} on {gpus} × {plan.gpu.name} · vLLM {plan.rules.requested}"
        + ("" if plan.rules.exact else f" (rules of {plan.rules.release})"),
        "",
        f"  {verdict_line(plan)} · OOM risk {plan.oom_risk}",
        "",
        f"Memory per GPU (tp {setup.tp}, pp {setup.pp})",
    ]
    for label, value, note in breakdown_rows(plan):
        lines.append(f"  {label:<28} {value:>9,.2f} GiB  {note}".rstrip())
    lines += ["", f"  KV bytes per token   {memory.stage.layout.bytes_per_token:,}"]
    if memory.starts:
        lines += [
            f"  block size           {memory.block_size} ({memory.num_blocks:,} blocks)",
            f"  KV cache tokens      {memory.kv_tokens:,}",
            f"  max concurrency      {memory.max_concurrency:,.2f}× at {memory.max_model_len:,}"
            " tokens",
            f"  longest request at concurrency {plan.profile.workload.concurrency}:"
            f" {memory.max_context_at_concurrency:,} tokens",
        ]
    else:
        lines.append(
            f"  KV cache tokens      none: vLLM refuses to start at {memory.max_model_len:,}"
        )
        if plan.longest_max_model_len:
            lines.append(
                f"  longest max_model_len that starts: {plan.longest_max_model_len:,} tokens"
            )
    lines += ["", *performance_lines(plan.performance, plan.performance_for)]
    if plan.recommendations:
        lines += ["", "Recommendations (each re-planned: the figures are what it gives)"]
        for rec in plan.recommendations:
            lines.append(f"  {_goal_mark(rec)} {rec.title}")
            lines.append(f"      {rec.reason}")
    notes = [f for f in plan.findings if f.severity.label in ("error", "warning", "info")]
    if notes:
        lines += ["", "Findings"]
        lines += [f"  {f.severity.label}[{f.code.value}] {f.message}" for f in notes]
    if explain:
        lines += ["", "How the figures were derived"]
        lines += [f"  {d.figure:<20} {d.value:>16}  {d.how}" for d in derivations(plan)]
        lines += ["", "Assumptions"]
        lines += [f"  - {a}" for a in plan.performance.assumptions]
    lines += ["", "Serve with", f"  {serve_command(plan)}", ""]
    return "\n".join(lines)
