"""The performance model (planning/perf/, DESIGN §4): steps, loads, ranges, curve, SLO.

Figures are derived here from the formulas and the calibration constants, so a refit of the
constants does not break the tests while any change to the formulas does.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner_testing import LLAMA_8B_WEIGHTS, make_plan
from vllm_wizard.planning.perf import PerfInputs, estimate_performance, unknown_performance
from vllm_wizard.planning.perf.calibration import FAST, POINT, SLOW
from vllm_wizard.planning.perf.load import load_at
from vllm_wizard.planning.perf.step import decode_step_s, moe_read_fraction, prefill_s
from vllm_wizard.planning.result import Performance, Span

# Llama-3.1-8B on one H100 SXM (3,350 GB/s, 989 dense bf16 TFLOP/s), one request of 512 + 256
EMBEDDING = 128_256 * 4096  # vocab × hidden = 525,336,576 (untied: the LM head is another)
LLAMA_ON_H100 = PerfInputs(
    bandwidth_gb_s=3350.0,
    peak_tflops=989.0,
    weights_bytes=LLAMA_8B_WEIGHTS,
    active_fraction=1.0,
    experts_per_token=0,
    num_experts=0,
    kv_bytes_per_token=131_072,
    active_params=8_030_261_248.0,
    num_layers=32,
    hidden_size=4096,
    attention_width=32 * 128,
    tp=1,
    pp=1,
    nodes=1,
    interconnect="nvlink",
    concurrency=1,
    prompt_tokens=512,
    gen_tokens=256,
    embedding_params=float(EMBEDDING),
    max_num_seqs=1024,
    max_num_batched_tokens=8192,
    kv_tokens=434_064,
)
BW = 3350e9
PEAK = 989e12
CONTEXT = 512 + 256 / 2  # a decode step reads 640 tokens of KV per request on average
DECODE_PARAMS = 8_030_261_248 - EMBEDDING  # the input embedding is a lookup
PREFILL_PARAMS = DECODE_PARAMS - EMBEDDING  # … and prefill computes logits once per prompt


def point(span: Span | None) -> float:
    assert span is not None and span.point is not None
    return span.point


def spans(performance: Performance) -> list[Span]:
    found = [
        performance.decode_tokens_per_s,
        performance.inter_token_latency_ms,
        performance.prefill_tokens_per_s,
        performance.ttft_ms,
        performance.tpot_ms,
        performance.ttft_p90_ms,
    ]
    assert all(s is not None for s in found)
    return [s for s in found if s is not None]


def test_a_decode_step_reads_the_weights_and_pays_fixed_costs() -> None:
    expected = (
        POINT.step_s
        + POINT.sequence_s
        + LLAMA_8B_WEIGHTS / (BW * POINT.weights_efficiency)  # 6.005 ms: weights beat the GEMV
        + CONTEXT * 131_072 / (BW * POINT.kv_efficiency)
        + 32 * POINT.layer_s
    )
    assert decode_step_s(LLAMA_ON_H100, POINT, "nvlink", 1) == pytest.approx(expected)
    performance = estimate_performance(LLAMA_ON_H100)
    assert point(performance.inter_token_latency_ms) == pytest.approx(expected * 1e3)


def test_a_large_batch_is_compute_bound() -> None:
    # 1,024 tokens × 2 × 7.48e9 parameters at 55 % of 989 TFLOP/s take 28.2 ms, more than
    # streaming the 16.1 GB of weights (6.0 ms)
    step = decode_step_s(replace(LLAMA_ON_H100, kv_tokens=0), POINT, "nvlink", 1024)
    matmul = 2 * DECODE_PARAMS * 1024 / (PEAK * POINT.compute_efficiency)
    kv = 1024 * CONTEXT * 131_072 / (BW * POINT.kv_efficiency)
    fixed = POINT.step_s + 1024 * POINT.sequence_s + 32 * POINT.layer_s
    assert matmul > LLAMA_8B_WEIGHTS / (BW * POINT.weights_efficiency)
    # 1,024 exceeds the largest CUDA graph (512): the step also pays the launches, which the
    # GPU work hides here
    assert step == pytest.approx(matmul + kv + fixed)


def test_prefill_of_one_prompt_is_compute_bound_and_ttft_adds_the_api() -> None:
    matmul = 2 * PREFILL_PARAMS * 512 / (PEAK * POINT.compute_efficiency)
    attention = 2 * 32 * 512 * 512 * 4096 / (PEAK * POINT.compute_efficiency)
    expected = POINT.step_s + matmul + 32 * POINT.layer_s + attention
    assert prefill_s(LLAMA_ON_H100, POINT, "nvlink", 1) == pytest.approx(expected)
    performance = estimate_performance(LLAMA_ON_H100)
    assert point(performance.ttft_ms) == pytest.approx((POINT.api_s + expected) * 1e3)
    assert point(performance.prefill_tokens_per_s) == pytest.approx(512 / expected)


def test_a_short_prompt_is_capped_by_reading_the_weights() -> None:
    # 16 tokens of compute take 0.4 ms; the step still streams all 16.1 GB of weights
    short = replace(LLAMA_ON_H100, prompt_tokens=16)
    read = LLAMA_8B_WEIGHTS / (BW * POINT.weights_efficiency)
    attention = 2 * 32 * 16 * 16 * 4096 / (PEAK * POINT.compute_efficiency)
    assert prefill_s(short, POINT, "nvlink", 1) == pytest.approx(
        POINT.step_s + read + 32 * POINT.layer_s + attention
    )


def test_chunked_prefill_takes_max_num_batched_tokens_at_a_time() -> None:
    # 8 prompts of 512 = 4,096 tokens: one step at 8,192, four steps at 1,024
    one = prefill_s(LLAMA_ON_H100, POINT, "nvlink", 8)
    four = prefill_s(replace(LLAMA_ON_H100, max_num_batched_tokens=1024), POINT, "nvlink", 8)
    extra = 3 * (POINT.step_s + 32 * POINT.layer_s)
    assert four == pytest.approx(one + extra)


def test_one_user_tpot_is_the_step_and_throughput_counts_the_prefill() -> None:
    load = load_at(LLAMA_ON_H100, POINT, "nvlink", 1)
    step = decode_step_s(LLAMA_ON_H100, POINT, "nvlink", 1)
    prefill = prefill_s(LLAMA_ON_H100, POINT, "nvlink", 1)
    assert load.tpot_s == pytest.approx(256 * step / 255)
    assert load.ttft_s == load.ttft_p90_s == pytest.approx(POINT.api_s + prefill)
    assert load.output_tokens_per_s == pytest.approx(256 / (prefill + 256 * step + POINT.api_s))


def test_users_arriving_together_wait_for_the_prefills_before_theirs() -> None:
    users = replace(LLAMA_ON_H100, concurrency=10)
    one = prefill_s(users, POINT, "nvlink", 1)
    ten = prefill_s(users, POINT, "nvlink", 10)
    step = decode_step_s(users, POINT, "nvlink", 10)
    burst = load_at(replace(users, arrival="burst"), POINT, "nvlink", 10)
    # first come first served: on average (10 + 1) / 20 of the other prompts' prefill
    assert burst.ttft_s == pytest.approx(POINT.api_s + one + (ten - one) * 11 / 20)
    assert burst.ttft_p90_s == pytest.approx(POINT.api_s + one + (ten - one) * 9 / 10)
    # what a request does not wait before its first token, it waits between its tokens
    assert burst.tpot_s == pytest.approx((ten + 256 * step - (one + (ten - one) * 11 / 20)) / 255)
    steady = load_at(users, POINT, "nvlink", 10)
    assert steady.ttft_s == pytest.approx(POINT.api_s + one + (ten - one) * 11 / 20 * POINT.sync)
    assert steady.ttft_s < burst.ttft_s and steady.tpot_s > burst.tpot_s
    assert steady.output_tokens_per_s == burst.output_tokens_per_s


def test_users_beyond_max_num_seqs_queue_for_a_slot() -> None:
    users = replace(LLAMA_ON_H100, concurrency=40, max_num_seqs=16)
    load = load_at(users, POINT, "nvlink", 40)
    running = load_at(replace(users, concurrency=16), POINT, "nvlink", 16)
    assert (load.running, running.running) == (16, 16) and load.queued
    cycle = 16 * 256 / running.output_tokens_per_s  # one round of 16 requests, api included
    assert load.ttft_s == pytest.approx(running.ttft_s + (40 / 16 - 1) * cycle)
    assert load.output_tokens_per_s == pytest.approx(running.output_tokens_per_s)
    assert load.tpot_s == pytest.approx(running.tpot_s)


def test_the_kv_cache_caps_the_batch_and_preemption_slows_it() -> None:
    # 7,680 KV tokens hold 10 requests of 768; 20 users run 10 at a time and the steps slow
    users = replace(LLAMA_ON_H100, concurrency=20, kv_tokens=7680)
    assert users.capacity == 10 and users.kv_bound
    load = load_at(users, POINT, "nvlink", 20)
    assert load.running == 10
    assert load.step_s == pytest.approx(
        decode_step_s(users, POINT, "nvlink", 10) * POINT.kv_full_slowdown
    )
    performance = estimate_performance(users)
    assert any(a.startswith("more users than the KV cache holds") for a in performance.assumptions)


def test_every_range_is_ordered_with_the_point_inside() -> None:
    for inputs in (
        LLAMA_ON_H100,
        replace(LLAMA_ON_H100, concurrency=64),
        replace(LLAMA_ON_H100, tp=4, weights_bytes=LLAMA_8B_WEIGHTS / 4, concurrency=64),
        replace(LLAMA_ON_H100, pp=2, nodes=2, interconnect="pcie"),
        replace(LLAMA_ON_H100, concurrency=300, max_num_seqs=128, arrival="burst"),
    ):
        for span in spans(estimate_performance(inputs)):
            assert span.point is not None and 0 < span.low <= span.point <= span.high


def test_the_ranges_come_from_the_fast_and_slow_calibrations() -> None:
    performance = estimate_performance(replace(LLAMA_ON_H100, concurrency=8))
    fast = load_at(replace(LLAMA_ON_H100, concurrency=8), FAST, "nvlink", 8)
    slow = load_at(replace(LLAMA_ON_H100, concurrency=8), SLOW, "nvlink", 8)
    assert performance.tpot_ms == Span(
        low=fast.tpot_s * 1e3,
        high=slow.tpot_s * 1e3,
        point=load_at(replace(LLAMA_ON_H100, concurrency=8), POINT, "nvlink", 8).tpot_s * 1e3,
    )
    assert performance.decode_tokens_per_s is not None
    assert performance.decode_tokens_per_s.low == pytest.approx(slow.output_tokens_per_s)
    assert performance.decode_tokens_per_s.high == pytest.approx(fast.output_tokens_per_s)


def test_the_curve_shows_where_latency_breaks_down() -> None:
    performance = estimate_performance(replace(LLAMA_ON_H100, concurrency=48, max_num_seqs=64))
    levels = [p.concurrency for p in performance.curve]
    assert levels == [1, 2, 4, 8, 16, 32, 48, 64, 128]
    throughput = [p.output_tokens_per_s for p in performance.curve]
    tpot = [p.tpot_ms for p in performance.curve]
    ttft = [p.ttft_ms for p in performance.curve]
    assert throughput == sorted(throughput) and tpot == sorted(tpot) and ttft == sorted(ttft)
    # beyond max_num_seqs users queue: throughput stops growing and TTFT jumps
    last, before = performance.curve[-1], performance.curve[-2]
    assert (before.running, last.running) == (64, 64)
    assert last.output_tokens_per_s == pytest.approx(before.output_tokens_per_s)
    assert last.ttft_ms > 2 * before.ttft_ms
    assert performance.curve[6].tpot_ms == pytest.approx(point(performance.tpot_ms))


def test_moe_reads_only_the_experts_a_step_picks() -> None:
    # 8 experts, 2 per token, 40 % of the weights active: each expert is (1 − 0.4) / 6 = 10 %
    # of the weights, the experts together 80 %, the shared layers 20 %. One token reads
    # 20 % + 80 % × 2/8 = 40 %; two tokens touch 1 − (6/8)² = 43.75 % of the experts: 55 %.
    moe = replace(LLAMA_ON_H100, active_fraction=0.4, experts_per_token=2, num_experts=8)
    assert moe_read_fraction(moe, 1) == pytest.approx(0.4)
    assert moe_read_fraction(moe, 2) == pytest.approx(0.55)
    assert moe_read_fraction(moe, 256) == pytest.approx(1.0)
    assert moe_read_fraction(LLAMA_ON_H100, 1) == 1.0
    dense = decode_step_s(LLAMA_ON_H100, POINT, "nvlink", 1)
    sparse = decode_step_s(moe, POINT, "nvlink", 1)
    assert dense - sparse == pytest.approx(0.6 * LLAMA_8B_WEIGHTS / (BW * POINT.weights_efficiency))
    # MoE layers pay for routing
    routed = decode_step_s(replace(moe, moe_layers=32), POINT, "nvlink", 1)
    assert routed - sparse == pytest.approx(32 * POINT.moe_layer_s)


def test_moe_plan_reads_fewer_bytes_than_a_dense_plan_of_the_same_weights() -> None:
    plan = make_plan("Qwen/Qwen3-30B-A3B")
    assert point(plan.performance.inter_token_latency_ms) < (
        plan.memory.stage.weights / (BW * POINT.weights_efficiency) * 1e3
    )
    assert any(
        a.startswith("MoE: 8 of 128 experts per token") for a in plan.performance.assumptions
    )


def test_tensor_parallelism_adds_two_all_reduces_per_layer_over_the_link() -> None:
    tp2 = replace(
        LLAMA_ON_H100, tp=2, weights_bytes=LLAMA_8B_WEIGHTS / 2, kv_bytes_per_token=65_536
    )
    alone = decode_step_s(replace(tp2, tp=1), POINT, "nvlink", 1)
    message = 1 * 4096 * 2  # one token's hidden vector, 8,192 bytes; a ring moves 2 × 1/2 of it
    nvlink = 2 * 32 * (POINT.nvlink_latency_s + message / POINT.nvlink_bandwidth)
    pcie = 2 * 32 * (POINT.pcie_latency_s + message / POINT.pcie_bandwidth)
    # the matmul is split too
    split = decode_step_s(replace(tp2, interconnect="nvlink"), POINT, "nvlink", 1)
    assert split == pytest.approx(alone + nvlink)
    assert decode_step_s(tp2, POINT, "pcie", 1) == pytest.approx(alone + pcie)
    performance = estimate_performance(tp2)
    assert "tensor parallel 2: two all-reduces per layer over nvlink" in performance.assumptions


def test_an_unknown_link_ranges_from_the_catalog_link_to_pcie() -> None:
    tp2 = replace(LLAMA_ON_H100, tp=2, weights_bytes=LLAMA_8B_WEIGHTS / 2, concurrency=8)
    nvlink = estimate_performance(replace(tp2, interconnect="nvlink"))
    pcie = estimate_performance(replace(tp2, interconnect="pcie"))
    unknown = estimate_performance(replace(tp2, interconnect="unknown", catalog_link="nvlink"))
    assert unknown.tpot_ms is not None and nvlink.tpot_ms is not None
    assert pcie.tpot_ms is not None
    assert unknown.tpot_ms.low == nvlink.tpot_ms.low
    assert unknown.tpot_ms.high == pcie.tpot_ms.high
    assert nvlink.tpot_ms.point < point(unknown.tpot_ms) < point(pcie.tpot_ms)
    assert any("an unknown link (nvlink to pcie)" in a for a in unknown.assumptions)
    # a PCIe board's unknown link is PCIe
    board = estimate_performance(replace(tp2, interconnect="unknown", catalog_link="pcie"))
    assert board.tpot_ms == pcie.tpot_ms


def test_without_cuda_graphs_a_step_waits_for_its_kernel_launches() -> None:
    eager = replace(LLAMA_ON_H100, enforce_eager=True)
    launches = 32 * POINT.eager_layer_s  # the CPU launches every layer; the GPU runs meanwhile
    work = decode_step_s(LLAMA_ON_H100, POINT, "nvlink", 1) - POINT.step_s - POINT.sequence_s
    assert launches > work
    assert decode_step_s(eager, POINT, "nvlink", 1) == pytest.approx(
        POINT.step_s + POINT.sequence_s + launches
    )
    assert any("no CUDA graphs" in a for a in estimate_performance(eager).assumptions)
    # a batch beyond the largest captured graph runs without one as well
    graphs_off = replace(LLAMA_ON_H100, cudagraph_max_batch=0)
    assert decode_step_s(graphs_off, POINT, "nvlink", 1) == pytest.approx(
        decode_step_s(eager, POINT, "nvlink", 1)
    )


def test_pipeline_stages_run_one_after_another() -> None:
    pp2 = replace(
        LLAMA_ON_H100, pp=2, nodes=2, weights_bytes=LLAMA_8B_WEIGHTS / 2, kv_bytes_per_token=65_536
    )
    stage = (
        LLAMA_8B_WEIGHTS / 2 / (BW * POINT.weights_efficiency)
        + CONTEXT * 65_536 / (BW * POINT.kv_efficiency)
        + 16 * POINT.layer_s
    )
    expected = POINT.step_s + POINT.sequence_s + 2 * stage + POINT.node_handoff_s
    assert decode_step_s(pp2, POINT, "nvlink", 1) == pytest.approx(expected)
    assert "pipeline parallel 2: stages run one after another" in (
        estimate_performance(pp2).assumptions
    )


def test_the_plan_passes_the_setup_and_the_kv_capacity() -> None:
    plan = make_plan(workload={"concurrency": 5000, "prompt_tokens": 1024, "gen_tokens": 256})
    performance = plan.performance
    requests = plan.memory.kv_tokens // 1280
    assert performance.concurrency == 5000
    assert performance.running == min(plan.setup.max_num_seqs, requests)
    assert any(
        f"the KV cache holds {requests:,} such requests" in a for a in performance.assumptions
    )
    assert any("the others queue" in a for a in performance.assumptions)


def test_fp8_weights_use_the_fp8_peak_on_gpus_that_have_it() -> None:
    fp8 = make_plan(model={"quantization": "fp8"})
    assert any("1,979 dense TFLOP/s" in a for a in fp8.performance.assumptions)
    # an A100 has no FP8 tensor cores: its bf16 peak
    a100 = make_plan(gpu_name="A100 SXM 80GB", model={"quantization": "fp8"})
    assert any("312 dense TFLOP/s" in a for a in a100.performance.assumptions)


def test_an_unknown_gpu_gives_no_performance_and_says_why() -> None:
    plan = make_plan(gpu_name="Acme X1", hardware={"vram_gb": 40.0})
    assert plan.gpu.spec is None and plan.gpu.source == "override"
    assert plan.performance == unknown_performance(
        "no performance estimate: Acme X1 is not in the GPU catalog (bandwidth and FLOP/s unknown)"
    )
    assert plan.performance.decode_tokens_per_s is None
    assert plan.performance.ttft_ms is None and plan.performance.curve == []
    assert len(plan.performance.assumptions) == 1
    # the memory plan is still made
    assert plan.memory.total == 40.0 * 2**30 and plan.starts


def test_a_missed_slo_is_a_warning_on_the_target_with_a_concurrency_fix() -> None:
    plan = make_plan(
        workload={
            "concurrency": 64,
            "prompt_tokens": 1024,
            "gen_tokens": 256,
            "slo": {"ttft_ms": 500, "tpot_ms": 50},
        }
    )
    check = plan.performance.slo
    assert check is not None and not check.met
    best = check.max_concurrency
    assert best is not None and 1 < best < 64
    # the largest concurrency whose p90 TTFT (the curve's point estimate) meets 500 ms
    inputs = replace(
        LLAMA_ON_H100,
        concurrency=64,
        prompt_tokens=1024,
        kv_tokens=plan.memory.kv_tokens,
        max_num_seqs=plan.setup.max_num_seqs,
        max_num_batched_tokens=plan.setup.max_num_batched_tokens,
    )
    assert load_at(inputs, POINT, "nvlink", best).ttft_p90_s * 1e3 <= 500
    assert load_at(inputs, POINT, "nvlink", best + 1).ttft_p90_s * 1e3 > 500
    [finding] = [f for f in plan.findings if f.code.value == "slo-missed"]
    assert finding.severity.label == "warning"
    assert finding.fields[0] == ("workload", "slo", "ttft_ms")
    ttft = point(plan.performance.ttft_p90_ms)
    assert finding.message == (
        f"At concurrency 64 the estimated p90 time to first token ≈ {ttft:,.0f} ms (target"
        f" 500 ms): concurrency {best} meets the targets."
    )
    assert finding.data == {
        "fixes": [
            {
                "title": f"Set concurrency: {best} (meets the latency targets)",
                "edits": [{"path": ["workload", "concurrency"], "value": best}],
                "preferred": True,
                "remove": False,
            }
        ]
    }


def test_a_met_slo_says_nothing_and_an_impossible_one_offers_no_concurrency() -> None:
    met = make_plan(workload={"concurrency": 4, "slo": {"ttft_ms": 2000, "tpot_ms": 50}})
    assert met.performance.slo is not None and met.performance.slo.met
    assert not [f for f in met.findings if f.code.value == "slo-missed"]
    # a decode step of Llama-3.1-8B on an H100 takes ~8 ms: 2 ms per token is out of reach
    impossible = make_plan(workload={"concurrency": 4, "slo": {"tpot_ms": 2}})
    check = impossible.performance.slo
    assert check is not None and check.max_concurrency is None and not check.met
    [finding] = [f for f in impossible.findings if f.code.value == "slo-missed"]
    assert finding.fields[0] == ("workload", "slo", "tpot_ms")
    assert finding.message.endswith(
        "even one request at a time misses it: use faster or more GPUs (tp_size)."
    )
    assert finding.data is None
    # no targets, no check
    assert make_plan().performance.slo is None
