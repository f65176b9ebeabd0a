"""Replay the vLLM serving benchmarks of cases.yaml through the planner.

Each case becomes a profile (model, GPU, tp, the flags the source shows, the workload of the
benchmark), is planned, and the plan's performance inputs are evaluated at the benchmark's
concurrency; a run that sent all its prompts at once (`arrival: burst`) is evaluated as a burst.
The model and GPU mappings below say why each case resolves as it does. Used by
test_perf_accuracy.py, scripts/perf_table.py and scripts/fit_perf.py.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from accuracy.replay import BASE_MODEL, resolved_model
from vllm_wizard.catalog.gpus import match_gpu
from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.planning.memory import GIB
from vllm_wizard.planning.perf import PerfInputs, estimate_performance
from vllm_wizard.planning.plan import Plan, performance_inputs, plan_profile
from vllm_wizard.planning.result import Performance, Span
from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.schema import Profile

CASES_FILE = Path(__file__).with_name("cases.yaml")

Metric = Literal["output_tok_s", "tpot_ms", "ttft_ms"]
METRICS: tuple[Metric, ...] = ("output_tok_s", "tpot_ms", "ttft_ms")

GPU_OF: dict[str, str] = {
    # dennislee22: the A100 80GB boards are SXM (tests/accuracy/replay.py: the KV of two
    # utilizations 0.25 apart puts the total at 79.28 GiB, the SXM part).
    "dl-": "A100 SXM 80GB",
    # Form factor not named: the slowest A100 that holds the model, never the optimistic one
    # (Qwen3-30B-A3B needs an 80 GB board; Qwen3-14B fits the PCIe 40 GB, 1,555 GB/s).
    "tt-qwen3-30b": "A100 PCIe 80GB",
    "tt-qwen3-14b": "A100 PCIe 40GB",
    "vllm20469-": "A100 PCIe 80GB",
    # "2xH100": a PCIe H100 (2.0 TB/s) cannot read 67.7 GiB per GPU in the printed 30.9 ms.
    "tt-qwen25-72b": "H100 SXM",
    "gpustack-": "H100 SXM",
    "mushfiq-": "RTX 4090",
}

AWQ_4BIT = {
    "quant_method": "awq",
    "bits": 4,
    "group_size": 128,
    "zero_point": True,
    "version": "gemm",
}

BASES: dict[str, tuple[str, dict[str, Any]]] = {
    **BASE_MODEL,
    # The base model has the Instruct model's geometry (64 layers, 5120 hidden, 40/8 heads).
    "Qwen/Qwen2.5-32B": ("Qwen/Qwen2.5-32B-Instruct", {}),
    # Qwen's AWQ release: Qwen3-14B with 4-bit AWQ linears, group size 128.
    "Qwen/Qwen3-14B-AWQ": ("Qwen/Qwen3-14B", {"quantization_config": AWQ_4BIT}),
}

VERSION_HINT: dict[str, str] = {
    # The rules vLLM applied are picked by release; where the source names none, the release
    # current when it was posted (issue dates in cases.yaml), only for memory and batch rules.
    "tt-qwen25-72b": "0.8.2",
    "tt-qwen3-": "0.9.2",
}


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text())
    return cases


def _by_prefix(table: dict[str, str], case_id: str) -> str | None:
    return next((value for prefix, value in table.items() if case_id.startswith(prefix)), None)


def catalog_gpu(case: dict[str, Any]) -> ResolvedGpu:
    name = _by_prefix(GPU_OF, case["id"])
    assert name is not None, case["id"]
    match = match_gpu(name)
    assert match is not None, name
    spec = match.spec
    return ResolvedGpu(name=spec.name, spec=spec, memory_gib=spec.memory_gib, source="catalog")


def _profile(case: dict[str, Any], utilization: float) -> Profile:
    tp = case["tensor_parallel_size"]
    model: dict[str, Any] = {"id": case["model"]}
    if case.get("max_model_len"):
        model["max_model_len"] = case["max_model_len"]
    hardware: dict[str, Any] = {
        "gpu_name": _by_prefix(GPU_OF, case["id"]),
        "gpus": tp * case["pipeline_parallel_size"],
        "tp_size": tp,
        "pp_size": case["pipeline_parallel_size"],
    }
    if case["interconnect"] in ("nvlink", "pcie", "unknown"):
        hardware["interconnect"] = case["interconnect"]
    args = {
        name: case[name]
        for name in ("max_num_seqs", "max_num_batched_tokens", "enforce_eager")
        if case.get(name) not in (None, False)
    }
    version = case.get("vllm_version") or _by_prefix(VERSION_HINT, case["id"])
    data: dict[str, Any] = {
        "model": model,
        "hardware": hardware,
        "workload": {
            "prompt_tokens": case["input_len"],
            "gen_tokens": case["output_len"],
            "concurrency": case["concurrency"],
        },
        "policy": {"gpu_memory_utilization": utilization},
        "outputs": {"vllm_args": args},
    }
    if version is not None:
        data["vllm_version"] = str(version)
    return parse_profile(data)


def _plan(case: dict[str, Any], utilization: float) -> Plan:
    return plan_profile(
        _profile(case, utilization), resolved_model(case["model"], BASES), catalog_gpu(case)
    )


def plan_for(case: dict[str, Any]) -> Plan:
    """The case's plan; where the source prints the KV cache, the utilization that gives it."""
    utilization = case.get("gpu_memory_utilization") or 0.9
    target = case.get("kv_cache_gib")
    if not target:
        return _plan(case, utilization)
    low, high = 0.05, 0.99
    for _ in range(30):
        middle = (low + high) / 2
        if _plan(case, middle).memory.stage.kv_cache / GIB < target:
            low = middle
        else:
            high = middle
    return _plan(case, (low + high) / 2)


def case_inputs(case: dict[str, Any], plan: Plan) -> PerfInputs:
    inputs = performance_inputs(
        plan.profile, plan.model, plan.gpu, plan.setup, plan.memory, plan.rules
    )
    assert inputs is not None, case["id"]
    return replace(inputs, arrival="burst") if case["arrival"] == "burst" else inputs


def measured(case: dict[str, Any], metric: Metric) -> float | None:
    """The printed figure; output throughput of the tenstorrent tables is Req Tput × OSL."""
    if metric in case.get("excluded", {}):
        return None
    printed = case["measured"]
    if metric == "output_tok_s":
        if printed.get("output_tok_s") is not None:
            return float(printed["output_tok_s"])
        if printed.get("request_per_s") is not None:
            return float(printed["request_per_s"]) * case["output_len"]
        return None
    key = "mean_tpot_ms" if metric == "tpot_ms" else "mean_ttft_ms"
    value = printed.get(key)
    return float(value) if value is not None else None


def predicted(performance: Performance, metric: Metric) -> Span | None:
    if metric == "output_tok_s":
        return performance.decode_tokens_per_s
    return performance.tpot_ms if metric == "tpot_ms" else performance.ttft_ms


@dataclass(frozen=True, slots=True)
class Replay:
    case: dict[str, Any]
    plan: Plan
    inputs: PerfInputs
    performance: Performance

    @property
    def id(self) -> str:
        return str(self.case["id"])

    def pair(self) -> tuple[str, str, int]:
        return (self.case["model"], self.plan.gpu.name, self.case["tensor_parallel_size"])

    def compare(self, metric: Metric) -> tuple[float, Span] | None:
        """(measured, predicted span), or None when the case has no usable figure."""
        value = measured(self.case, metric)
        span = predicted(self.performance, metric)
        if value is None or span is None:
            return None
        return value, span


def replay(case: dict[str, Any]) -> Replay:
    plan = plan_for(case)
    inputs = case_inputs(case, plan)
    return Replay(case, plan, inputs, estimate_performance(inputs))


def replays() -> Iterator[Replay]:
    for case in load_cases():
        yield replay(case)


def in_fit_half(case_id: str) -> bool:
    """The deterministic half of the cases scripts/fit_perf.py fits on (crc32 of the id)."""
    return zlib.crc32(case_id.encode()) % 2 == 0
