"""Planner speed: `plan_profile` on a resolved architecture, and the whole
`vllm-wizard plan --json` process on a catalog model (issue #3's bars: ≤ 1 ms median and
≤ 300 ms on this 2-core machine).

    .venv/bin/python benchmarks/bench_planner.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))


def bench_plan(runs: int = 200) -> None:
    from vllm_wizard.hardware.resolve import ResolvedGpu, resolve_gpu
    from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally
    from vllm_wizard.planning.plan import plan_profile
    from vllm_wizard.profile.engine import analyze_text

    print("plan_profile() on a resolved architecture (ms)")
    medians = []
    for path in EXAMPLES:
        profile = analyze_text(path.read_text()).profile
        assert profile is not None
        model = resolve_model_locally(profile.model.id)
        gpu = resolve_gpu(profile.hardware.gpu_name, profile.hardware.vram_gb)
        assert isinstance(model, ResolvedModel) and isinstance(gpu, ResolvedGpu)
        plan_profile(profile, model, gpu)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            plan_profile(profile, model, gpu)
            times.append((time.perf_counter() - start) * 1e3)
        median = statistics.median(times)
        medians.append(median)
        p95 = sorted(times)[int(0.95 * len(times))]
        print(f"  {path.name:<42} median {median:6.3f}  p95 {p95:6.3f}")
    print(f"  all examples: median of medians {statistics.median(medians):.3f} ms")


def bench_process(runs: int = 10) -> None:
    command = [sys.executable, "-m", "vllm_wizard", "plan", "--json", str(EXAMPLES[0])]
    sample = ROOT / "examples" / "profiles" / "sample.yaml"
    command[-1] = str(sample)
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
