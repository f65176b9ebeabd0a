"""The performance section as text: figures at the workload's concurrency, then the curve.

Shared by the `plan` report (plain text) and the hover (Markdown), so both show the same rows:
where throughput stops growing and TPOT/TTFT climb is where latency breaks down.
"""

from __future__ import annotations

from collections.abc import Sequence

from vllm_wizard.planning.result import LoadPoint, Performance, Span

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """One block character per value, scaled from the smallest to the largest."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high <= low:
        return BARS[0] * len(values)
    steps = len(BARS) - 1
    return "".join(BARS[round((v - low) / (high - low) * steps)] for v in values)


def figure(span: Span | None, unit: str, digits: int = 0) -> str:
    """`2,189 tokens/s (1,800–2,600)`: the point estimate, then the range."""
    if span is None:
        return "unknown"
    low, high = f"{span.low:,.{digits}f}", f"{span.high:,.{digits}f}"
    if span.point is None:
        return f"{low}–{high} {unit}"
    return f"{span.point:,.{digits}f} {unit} ({low}–{high})"


def has_estimate(performance: Performance) -> bool:
    """False when the planner had nothing to estimate for (an unknown GPU; a profile that does
    not start with no setup that does): then only the reason is shown, not rows of "unknown"."""
    return performance.decode_tokens_per_s is not None


def no_estimate(performance: Performance) -> str:
    """Why there are no figures, in the planner's words, as a sentence."""
    reason = "; ".join(performance.assumptions) or "no performance estimate"
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def summary(performance: Performance) -> list[tuple[str, str]]:
    """(label, figure) rows at the workload's concurrency."""
    rows = [
        ("output", figure(performance.decode_tokens_per_s, "tokens/s")),
        ("time per output token", figure(performance.tpot_ms, "ms", 1)),
        ("inter-token latency", figure(performance.inter_token_latency_ms, "ms", 1)),
        ("time to first token", figure(performance.ttft_ms, "ms")),
        ("  p90", figure(performance.ttft_p90_ms, "ms")),
        ("prefill", figure(performance.prefill_tokens_per_s, "tokens/s")),
    ]
    slo = performance.slo
    if slo is not None:
        targets = []
        if slo.ttft_ms is not None:
            targets.append(f"p90 TTFT ≤ {slo.ttft_ms:,.0f} ms")
        if slo.tpot_ms is not None:
            targets.append(f"TPOT ≤ {slo.tpot_ms:,.1f} ms")
        verdict = "✔ met" if slo.met else "✘ missed"
        reach = (
            f"; up to concurrency {slo.max_concurrency}"
            if slo.max_concurrency is not None
            else "; not even at concurrency 1"
        )
        rows.append(("targets", f"{' and '.join(targets)}: {verdict}{reach}"))
    return rows


def heading(performance: Performance) -> str:
    users = performance.concurrency
    running = performance.running
    queue = (
        f", {running} run at once, the rest queue" if running and users and running < users else ""
    )
    return f"at concurrency {users}{queue}"


CURVE_HEADER = ("users", "running", "tokens/s", "TPOT ms", "TTFT ms", "p90 ms")


def curve_cells(point: LoadPoint) -> tuple[str, ...]:
    return (
        f"{point.concurrency:,}",
        f"{point.running:,}",
        f"{point.output_tokens_per_s:,.0f}",
        f"{point.tpot_ms:,.1f}",
        f"{point.ttft_ms:,.0f}",
        f"{point.ttft_p90_ms:,.0f}",
    )


def sparklines(performance: Performance) -> str:
    """Throughput, TPOT and TTFT over the curve's concurrencies, one line."""
    curve = performance.curve
    return (
        f"tokens/s {sparkline([p.output_tokens_per_s for p in curve])}"
        f" · TPOT {sparkline([p.tpot_ms for p in curve])}"
        f" · TTFT {sparkline([p.ttft_ms for p in curve])}"
    )
