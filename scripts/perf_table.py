"""Print the README's performance table: the planner against real vLLM serving benchmarks.

    .venv/bin/python scripts/perf_table.py

Each row replays one case of tests/perf/cases.yaml (see tests/perf/replay.py): the measured
output throughput, TPOT and TTFT, each with the planner's range, ✓ when the measured figure is
inside it; a dash where the source printed no such figure or the case leaves it out (the
reason is in cases.yaml). The last lines give the share inside the range and the median of
measured / range midpoint for each metric.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from perf.replay import METRICS, Metric, Replay, replays  # noqa: E402

DIGITS: dict[Metric, int] = {"output_tok_s": 0, "tpot_ms": 1, "ttft_ms": 0}


def _cell(row: Replay, metric: Metric) -> str:
    compared = row.compare(metric)
    if compared is None:
        return "—"
    measured, span = compared
    digits = DIGITS[metric]
    mark = "✓" if span.low <= measured <= span.high else "✘"
    return f"{measured:,.{digits}f} in {span.low:,.{digits}f}–{span.high:,.{digits}f} {mark}"


def _setup(row: Replay) -> str:
    case = row.case
    gpus = case["tensor_parallel_size"] * case["pipeline_parallel_size"]
    link = f" ({case['interconnect']})" if case["interconnect"] in ("pcie", "unknown") else ""
    return f"{gpus} × {row.plan.gpu.name}{link}"


def main() -> int:
    rows = list(replays())
    print("| case | vLLM | GPUs | in / out | users | output tok/s | TPOT ms | TTFT ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        case = row.case
        version = case.get("vllm_version") or "?"
        users = f"{case['concurrency']}" + (" burst" if case["arrival"] == "burst" else "")
        cells = [
            row.id,
            str(version),
            _setup(row),
            f"{case['input_len']:,} / {case['output_len']:,}",
            users,
            *(_cell(row, metric) for metric in METRICS),
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    for metric in METRICS:
        compared = [c for c in (r.compare(metric) for r in rows) if c is not None]
        inside = sum(span.low <= value <= span.high for value, span in compared)
        middle = statistics.median(value / ((s.low + s.high) / 2) for value, s in compared)
        print(
            f"- {metric}: {inside} of {len(compared)} inside the range"
            f" ({inside / len(compared):.0%}); median measured / midpoint {middle:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
