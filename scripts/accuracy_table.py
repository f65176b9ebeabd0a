"""Print the README's accuracy table: the planner against what vLLM logged at start-up.

    .venv/bin/python scripts/accuracy_table.py

Each row replays one case of tests/accuracy/cases.yaml (see tests/accuracy/replay.py) and
shows the planner's weights and KV cache (tokens where vLLM logged them, else GiB) next to the
logged figures, with the signed error; refusals show whether the planner also says vLLM will
not start.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from accuracy.replay import (  # noqa: E402
    KNOWN_PESSIMISTIC,
    NOT_AUTOMATIC,
    load_cases,
    replay,
    replayable,
)
from vllm_wizard.planning.memory import GIB  # noqa: E402


def _error(predicted: float, logged: float) -> str:
    return f"{(predicted / logged - 1) * 100:+.1f} %"


def main() -> int:
    print("| case | vLLM | weights GiB (logged) | KV (logged) | error | verdict | note |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for case in load_cases():
        if not replayable(case) or case["confidence"] == "low":
            continue
        plan = replay(case).plan
        logged = case["logged"]
        memory = plan.memory
        weights = memory.stage.weights / GIB
        weights_cell = f"{weights:.2f}" + (
            f" ({logged['weights_gib']:.2f})" if logged.get("weights_gib") else ""
        )
        refused = case["outcome"].startswith("refused")
        if refused:
            kv_cell, error = "—", "—"
            verdict = "✔ refuses too" if not plan.starts else "✘ says it starts"
        elif logged.get("kv_cache_tokens"):
            kv_cell = f"{memory.kv_tokens:,} tokens ({logged['kv_cache_tokens']:,})"
            error = _error(memory.kv_tokens, logged["kv_cache_tokens"])
            verdict = "starts" if plan.starts else "✘ says it refuses"
        elif logged.get("kv_cache_gib"):
            kv_cell = f"{memory.kv_gib:.2f} GiB ({logged['kv_cache_gib']:.2f})"
            error = _error(memory.kv_gib, logged["kv_cache_gib"])
            verdict = "starts" if plan.starts else "✘ says it refuses"
        else:
            kv_cell, error = "—", "—"
            verdict = "starts" if plan.starts else "✘ says it refuses"
        version = plan.rules.requested
        note = NOT_AUTOMATIC.get(case["id"]) or KNOWN_PESSIMISTIC.get(case["id"], "")
        if case["engine"] == "V0":
            note = note or "V0 engine (before 0.8): outside the V1 error budget"
        note = note.split(";")[0].split(" (")[0]
        row = [case["id"], version, weights_cell, kv_cell, error, verdict, note]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
