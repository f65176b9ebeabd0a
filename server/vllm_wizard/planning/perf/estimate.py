"""The Performance section: ranges at the workload's concurrency, a curve, the SLO check."""

from __future__ import annotations

from collections.abc import Callable

from vllm_wizard.planning.perf.calibration import FAST, POINT, SLOW, Calibration
from vllm_wizard.planning.perf.inputs import PerfInputs
from vllm_wizard.planning.perf.load import Load, load_at
from vllm_wizard.planning.perf.step import LinkCost
from vllm_wizard.planning.result import LoadPoint, Performance, SloCheck, Span

Calibrations = tuple[Calibration, Calibration, Calibration]
"""(fast, point, slow)."""

CURVE_LIMIT = 1024
"""The curve stops here (or at twice what the GPU can run, when that is smaller)."""


def link_costs(inputs: PerfInputs) -> tuple[LinkCost, LinkCost, LinkCost]:
    """(fast, point, slow) link pricing; an unknown link spans the catalog's link to PCIe."""
    if inputs.interconnect != "unknown":
        link: LinkCost = inputs.interconnect
        return link, link, link
    if inputs.catalog_link == "nvlink":
        return "nvlink", "mixed", "pcie"
    return "pcie", "pcie", "pcie"


def _ms(seconds: float) -> float:
    return seconds * 1e3


def _span(fast: float, point: float, slow: float) -> Span:
    return Span(low=min(fast, point, slow), high=max(fast, point, slow), point=point)


def _loads(inputs: PerfInputs, cals: Calibrations, concurrency: int) -> tuple[Load, Load, Load]:
    links = link_costs(inputs)
    fast, point, slow = (
        load_at(inputs, c, link, concurrency) for c, link in zip(cals, links, strict=True)
    )
    return fast, point, slow


def curve_concurrencies(inputs: PerfInputs) -> list[int]:
    """1, 2, 4, … past both the workload's concurrency and what the GPU can run at once."""
    limit = min(CURVE_LIMIT, max(inputs.concurrency, 2 * inputs.capacity, 8))
    levels = {1 << k for k in range(11) if (1 << k) <= limit}
    levels.add(inputs.concurrency)
    return sorted(levels)


def _load_point(load: Load) -> LoadPoint:
    return LoadPoint(
        concurrency=load.concurrency,
        running=load.running,
        output_tokens_per_s=load.output_tokens_per_s,
        tpot_ms=_ms(load.tpot_s),
        ttft_ms=_ms(load.ttft_s),
        ttft_p90_ms=_ms(load.ttft_p90_s),
    )


def _meets(load: Load, ttft_ms: float | None, tpot_ms: float | None) -> bool:
    ttft_ok = ttft_ms is None or _ms(load.ttft_p90_s) <= ttft_ms
    return ttft_ok and (tpot_ms is None or _ms(load.tpot_s) <= tpot_ms)


def _largest(ok: Callable[[int], bool], high: int) -> int | None:
    """The largest n in [1, high] with ok(n), assuming ok holds up to some n and not after."""
    if not ok(1):
        return None
    low = 1
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low


def check_slo(inputs: PerfInputs, point_cal: Calibration, at_workload: Load) -> SloCheck | None:
    """Whether the targets hold at the workload's concurrency, and up to which concurrency."""
    ttft, tpot = inputs.slo_ttft_ms, inputs.slo_tpot_ms
    if ttft is None and tpot is None:
        return None
    point_link = link_costs(inputs)[1]

    def ok(concurrency: int) -> bool:
        return _meets(load_at(inputs, point_cal, point_link, concurrency), ttft, tpot)

    high = max(inputs.concurrency, 4 * inputs.capacity)
    return SloCheck(
        ttft_ms=ttft,
        tpot_ms=tpot,
        met=_meets(at_workload, ttft, tpot),
        max_concurrency=_largest(ok, high),
    )


def _pct(value: float) -> str:
    return f"{value:.0%}"


def assumptions(inputs: PerfInputs, load: Load) -> list[str]:
    """What the ranges assume, in the order a reader checks them."""
    moe = f" + {POINT.moe_layer_s * 1e6:.0f} µs per MoE layer" if inputs.moe_layers else ""
    graphs = (
        "no CUDA graphs (enforce_eager): every layer's kernels are launched from Python"
        if inputs.enforce_eager
        else f"CUDA graphs up to a batch of {inputs.cudagraph_max_batch}"
    )
    notes = [
        f"decode reads weights at {_pct(POINT.weights_efficiency)} and the KV cache at"
        f" {_pct(POINT.kv_efficiency)} of {inputs.bandwidth_gb_s:,.0f} GB/s per GPU (ranges:"
        f" {_pct(SLOW.weights_efficiency)}–{_pct(FAST.weights_efficiency)} and"
        f" {_pct(SLOW.kv_efficiency)}–{_pct(FAST.kv_efficiency)})",
        f"every step also costs {POINT.step_s * 1e3:.1f} ms + {POINT.layer_s * 1e6:.0f} µs per"
        f" layer{moe} + {POINT.sequence_s * 1e6:.0f} µs per running request (fitted on"
        " tests/perf/cases.yaml); " + graphs,
        f"prefill runs at {_pct(POINT.compute_efficiency)} of {inputs.peak_tflops:,.0f} dense"
        f" TFLOP/s per GPU, {inputs.max_num_batched_tokens:,} tokens per step (chunked prefill)",
        f"{inputs.concurrency} users with {inputs.prompt_tokens:,} + {inputs.gen_tokens:,}"
        f" tokens each: {load.running} run at once (max_num_seqs {inputs.max_num_seqs}"
        + (
            f", the KV cache holds {inputs.kv_tokens // max(1, inputs.request_tokens):,} such"
            " requests"
            if inputs.kv_tokens
            else ""
        )
        + ")"
        + ("; the others queue for a free slot" if load.queued else ""),
    ]
    if inputs.kv_bound:
        notes.append(
            "more users than the KV cache holds: vLLM preempts and recomputes requests, so"
            f" decode is taken {POINT.kv_full_slowdown:.1f}× slower (range 1.0–"
            f"{SLOW.kv_full_slowdown:.1f}×)"
        )
    if inputs.arrival == "burst":
        notes.append("all requests arrive at once: each waits for the prefills queued before it")
    else:
        notes.append(
            "prompts arriving together are prefilled one after another: TTFT ranges from a"
            " steady stream (low) to every user arriving at once (high)"
        )
    if inputs.num_experts > 0:
        notes.append(
            f"MoE: {inputs.experts_per_token} of {inputs.num_experts} experts per token;"
            " a step reads every expert some token in it picked"
        )
    if inputs.tp > 1:
        fast, _, slow = link_costs(inputs)
        where = fast if fast == slow else f"an unknown link ({fast} to {slow})"
        notes.append(f"tensor parallel {inputs.tp}: two all-reduces per layer over {where}")
    if inputs.pp > 1:
        notes.append(f"pipeline parallel {inputs.pp}: stages run one after another")
    notes.append("no speculative decoding, no prefix-cache hits")
    return notes


def estimate_performance(
    inputs: PerfInputs, cals: Calibrations = (FAST, POINT, SLOW)
) -> Performance:
    """Ranges and point estimates for `inputs.concurrency` users on one replica."""
    fast, point, slow = _loads(inputs, cals, inputs.concurrency)
    point_link = link_costs(inputs)[1]
    curve = [
        _load_point(load_at(inputs, cals[1], point_link, level, point.prefill_one_s))
        for level in curve_concurrencies(inputs)
    ]
    return Performance(
        decode_tokens_per_s=_span(
            fast.output_tokens_per_s, point.output_tokens_per_s, slow.output_tokens_per_s
        ),
        inter_token_latency_ms=_span(_ms(fast.step_s), _ms(point.step_s), _ms(slow.step_s)),
        prefill_tokens_per_s=_span(
            inputs.prompt_tokens / fast.prefill_one_s,
            inputs.prompt_tokens / point.prefill_one_s,
            inputs.prompt_tokens / slow.prefill_one_s,
        ),
        ttft_ms=_span(_ms(fast.ttft_s), _ms(point.ttft_s), _ms(slow.ttft_s)),
        tpot_ms=_span(_ms(fast.tpot_s), _ms(point.tpot_s), _ms(slow.tpot_s)),
        ttft_p90_ms=_span(_ms(fast.ttft_p90_s), _ms(point.ttft_p90_s), _ms(slow.ttft_p90_s)),
        concurrency=inputs.concurrency,
        running=point.running,
        curve=curve,
        slo=check_slo(inputs, cals[1], point),
        assumptions=assumptions(inputs, point),
    )


def unknown_performance(reason: str) -> Performance:
    """No estimate: the GPU's bandwidth and FLOP/s are not known."""
    return Performance(
        decode_tokens_per_s=None,
        inter_token_latency_ms=None,
        prefill_tokens_per_s=None,
        ttft_ms=None,
        assumptions=[reason],
    )
