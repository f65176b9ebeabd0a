"""Planner speed: `plan_profile` on a resolved architecture, and the whole
`vllm-wizard plan --json` process on a catalog model.

The bars: ≤ 1 ms median for profiles that start (no search), ≤ 20 ms p95 for profiles that
search (they do not start, or do not fit), ≤ 300 ms for the whole process on a 2-core machine.
Plans get the search options the pipeline hands in (`pipeline.plan_options`).

    .venv/bin/python benchmarks/bench_planner.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vllm_wizard.profile.check import parse_profile

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))

SEARCHING: dict[str, dict[str, Any]] = {
    "70B on one RTX 4090": {
        "model": {"id": "meta-llama/Llama-3.1-70B-Instruct"},
        "hardware": {"gpu_name": "RTX 4090"},
    },
    "405B on 8 RTX 4090s": {
        "model": {"id": "meta-llama/Llama-3.1-405B"},
        "hardware": {"gpu_name": "RTX 4090", "gpus": 8},
    },
    "DeepSeek-V3 on 8 H100s": {
        "model": {"id": "deepseek-ai/DeepSeek-V3"},
        "hardware": {"gpu_name": "H100 SXM", "gpus": 8},
    },
    "Llama-3 70B on one H100 (GPTQ copy)": {
        "model": {"id": "meta-llama/Meta-Llama-3-70B-Instruct"},
        "hardware": {"gpu_name": "H100 SXM"},
    },
    "8B on an L4 at 128k": {
        "model": {"id": "meta-llama/Llama-3.1-8B-Instruct"},
        "hardware": {"gpu_name": "L4"},
    },
    "8B, 600 requests (does not fit)": {
        "model": {"id": "meta-llama/Llama-3.1-8B-Instruct"},
        "hardware": {"gpu_name": "H100 SXM"},
        "workload": {"concurrency": 600},
    },
    "405B on a 2 GiB board (other GPUs)": {
        "model": {"id": "meta-llama/Llama-3.1-405B"},
        "hardware": {"gpu_name": "Tiny", "vram_gb": 2.0},
    },
}


def _time(profile: Any, runs: int) -> tuple[float, float, bool, bool]:
    from vllm_wizard.hardware.resolve import ResolvedGpu, resolve_gpu
    from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally
    from vllm_wizard.pipeline import plan_options
    from vllm_wizard.planning.plan import plan_profile

    model = resolve_model_locally(profile.model.id)
    gpu = resolve_gpu(profile.hardware.gpu_name, profile.hardware.vram_gb)
    assert isinstance(model, ResolvedModel) and isinstance(gpu, ResolvedGpu)
    options = plan_options(model, gpu)
    plan = plan_profile(profile, model, gpu, options)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        plan_profile(profile, model, gpu, options)
        times.append((time.perf_counter() - start) * 1e3)
    p95 = sorted(times)[int(0.95 * len(times)) - 1]
    return statistics.median(times), p95, plan.starts, plan.fits


def bench_plan(runs: int = 200) -> None:
    from vllm_wizard.profile.text_stages import analyze_text

    print("plan_profile() on a resolved architecture (ms), with the engine's search options")
    rows: list[tuple[str, float, float, bool, bool]] = []
    for path in EXAMPLES:
        profile = analyze_text(path.read_text()).profile
        assert profile is not None
        rows.append((path.name, *_time(profile, runs)))
    for name, data in SEARCHING.items():
        rows.append((name, *_time(parse_profile(data), max(20, runs // 5))))
    for name, median, p95, starts, fits in rows:
        verdict = "fits" if fits else "starts" if starts else "does not start"
        search = "" if fits else "  (searches)"
        print(f"  {name:<42} median {median:7.3f}  p95 {p95:7.3f}  {verdict}{search}")
    plain = [median for _, median, _, _, fits in rows if fits]
    searching = [p95 for _, _, p95, _, fits in rows if not fits]
    print(f"  fit, no search: median of medians {statistics.median(plain):.3f} ms (bar ≤ 1 ms)")
    print(f"  searching: worst p95 {max(searching):.3f} ms (bar ≤ 20 ms)")


def bench_process(runs: int = 10) -> None:
    sample = ROOT / "examples" / "profiles" / "sample.yaml"
    command = [sys.executable, "-m", "vllm_wizard", "plan", "--json", str(sample)]
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env={"HF_HUB_OFFLINE": "1"})
        times.append((time.perf_counter() - start) * 1e3)
    print(
        f"`vllm-wizard plan --json sample.yaml`, whole process: median"
        f" {statistics.median(times):.0f} ms, best {min(times):.0f} ms"
    )


if __name__ == "__main__":
    bench_plan()
    bench_process()
