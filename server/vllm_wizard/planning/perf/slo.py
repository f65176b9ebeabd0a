"""`workload.slo` as a finding on the target that is missed, with a concurrency quick fix."""

from __future__ import annotations

from vllm_wizard.findings import FieldPath, Findings, Fix, fixes_data
from vllm_wizard.planning.result import Performance, Span
from vllm_wizard.profile.diagnostics import Code
from vllm_wizard.profile.schema import Profile

CONCURRENCY: FieldPath = ("workload", "concurrency")


def _point(span: Span | None) -> float | None:
    return span.point if span is not None else None


def _ms(target: float, places: int) -> str:
    """A target with the estimate's decimals, or as written when those would round it."""
    shown = f"{target:,.{places}f}"
    return shown if float(shown.replace(",", "")) == target else f"{target:,g}"


def slo_findings(profile: Profile, performance: Performance, findings: Findings) -> None:
    """A warning when the point estimate misses a target at the workload's concurrency."""
    check = performance.slo
    if check is None or check.met:
        return
    concurrency = profile.workload.concurrency
    misses: list[tuple[FieldPath, str]] = []
    ttft = _point(performance.ttft_p90_ms)
    if check.ttft_ms is not None and ttft is not None and ttft > check.ttft_ms:
        misses.append(
            (
                ("workload", "slo", "ttft_ms"),
                f"p90 time to first token ≈ {ttft:,.0f} ms (target {_ms(check.ttft_ms, 0)} ms)",
            )
        )
    tpot = _point(performance.tpot_ms)
    if check.tpot_ms is not None and tpot is not None and tpot > check.tpot_ms:
        misses.append(
            (
                ("workload", "slo", "tpot_ms"),
                f"time per output token ≈ {tpot:,.1f} ms (target {_ms(check.tpot_ms, 1)} ms)",
            )
        )
    if not misses:
        return
    best = check.max_concurrency
    fixes: list[Fix] = []
    if best is None:
        advice = "even one request at a time misses it: use faster or more GPUs (tp_size)."
    elif best < concurrency:
        advice = f"concurrency {best} meets the targets."
        fixes.append(
            Fix.set(f"Set concurrency: {best} (meets the latency targets)", CONCURRENCY, best, True)
        )
    else:
        advice = "the targets are met only with fewer requests than this estimate allows."
    findings.warning(
        Code.SLO_MISSED,
        f"At concurrency {concurrency} the estimated {' and '.join(m for _, m in misses)}:"
        f" {advice}",
        *(path for path, _ in misses),
        ("workload", "slo"),
        related=((CONCURRENCY, f"concurrency {concurrency}"),),
        data=fixes_data(fixes) if fixes else None,
    )
