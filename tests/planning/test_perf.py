"""Roofline performance ranges (planning/perf.py, DESIGN §4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner_testing import LLAMA_8B_WEIGHTS, make_plan
from vllm_wizard.planning.perf import PerfInputs, estimate_performance, unknown_performance
from vllm_wizard.planning.result import Performance, Span

# Llama-3.1-8B on one H100 SXM (3,350 GB/s, 989 dense bf16 TFLOP/s), one request of 512 + 256
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
)

# one decode step reads the weights and the KV of 512 + 256 / 2 = 640 tokens:
# 16,094,076,928 + 640 × 131,072 = 16,177,963,008 bytes
STEP_BYTES = 16_177_963_008
# prefill: 2 × 8,030,261,248 × 512 + causal attention 2 × 32 × 512² × 4,096 FLOPs
PREFILL_FLOPS = 2 * 8_030_261_248 * 512 + 2 * 32 * 512 * 512 * 4096  # 8,291,706,994,688


def spans(performance: Performance) -> list[Span]:
    found = [
        performance.decode_tokens_per_s,
        performance.inter_token_latency_ms,
        performance.prefill_tokens_per_s,
        performance.ttft_ms,
    ]
    assert all(s is not None for s in found)
    return [s for s in found if s is not None]


def test_dense_model_on_one_gpu() -> None:
    result = estimate_performance(LLAMA_ON_H100)
    slow = STEP_BYTES / (3350e9 * 0.55)  # 8.7804 ms at 55 % of the HBM bandwidth
    fast = STEP_BYTES / (3350e9 * 0.80)  # 6.0366 ms at 80 %
    assert result.inter_token_latency_ms == Span(low=fast * 1e3, high=slow * 1e3)
    assert result.decode_tokens_per_s == Span(low=1 / slow, high=1 / fast)
    assert result.decode_tokens_per_s is not None
    assert round(result.decode_tokens_per_s.low, 2) == 113.89
    assert round(result.decode_tokens_per_s.high, 2) == 165.66
    slow_prefill = PREFILL_FLOPS / (989e12 * 0.35)  # 23.954 ms
    fast_prefill = PREFILL_FLOPS / (989e12 * 0.60)  # 13.973 ms
    assert result.prefill_tokens_per_s == Span(low=512 / slow_prefill, high=512 / fast_prefill)
    assert result.ttft_ms == Span(
        low=fast_prefill * 1e3 + fast * 1e3, high=slow_prefill * 1e3 + slow * 1e3
    )
    assert result.assumptions == [
        "decode is memory-bound at 55%–80% of 3,350 GB/s HBM bandwidth per GPU",
        "prefill is compute-bound at 35%–60% of 989 dense TFLOP/s per GPU",
        "batch = concurrency = 1; average context 640 tokens",
        "no queueing, speculative decoding or prefix-cache hits",
    ]


def test_every_range_is_ordered() -> None:
    for inputs in (
        LLAMA_ON_H100,
        replace(LLAMA_ON_H100, tp=4, weights_bytes=LLAMA_8B_WEIGHTS / 4, concurrency=64),
        replace(LLAMA_ON_H100, pp=2, nodes=2, interconnect="pcie"),
    ):
        for span in spans(estimate_performance(inputs)):
            assert 0 < span.low <= span.high


def test_the_plan_uses_the_catalog_gpu() -> None:
    plan = make_plan()
    assert plan.performance == estimate_performance(LLAMA_ON_H100)


def test_batching_raises_throughput_and_reads_more_kv() -> None:
    # 8 requests: one step reads the weights once and 8 × 640 tokens of KV
    batch = estimate_performance(replace(LLAMA_ON_H100, concurrency=8))
    slow = (LLAMA_8B_WEIGHTS + 8 * 640 * 131_072) / (3350e9 * 0.55)
    assert batch.decode_tokens_per_s is not None
    assert batch.decode_tokens_per_s.low == pytest.approx(8 / slow)
    assert "batch = concurrency = 8; average context 640 tokens" in batch.assumptions


def test_moe_reads_only_the_experts_a_step_picks() -> None:
    # 8 experts, 2 per token, 40 % of the weights active: each expert is (1 − 0.4) / 6 = 10 %
    # of the weights, the experts together 80 %, the shared layers 20 %. One token reads
    # 20 % + 80 % × 2/8 = 40 %; two tokens touch 1 − (6/8)² = 43.75 % of the experts: 55 %.
    moe = replace(LLAMA_ON_H100, active_fraction=0.4, experts_per_token=2, num_experts=8)
    one = estimate_performance(moe)
    weights = LLAMA_8B_WEIGHTS * 0.4
    assert one.inter_token_latency_ms is not None
    assert one.inter_token_latency_ms.high == pytest.approx(
        (weights + 640 * 131_072) / (3350e9 * 0.55) * 1e3
    )
    two = estimate_performance(replace(moe, concurrency=2))
    assert two.inter_token_latency_ms is not None
    assert two.inter_token_latency_ms.high == pytest.approx(
        (LLAMA_8B_WEIGHTS * 0.55 + 2 * 640 * 131_072) / (3350e9 * 0.55) * 1e3
    )
    # a large batch touches every expert: no more than the whole weights
    many = estimate_performance(replace(moe, concurrency=256))
    assert many.inter_token_latency_ms is not None
    assert many.inter_token_latency_ms.high == pytest.approx(
        (LLAMA_8B_WEIGHTS + 256 * 640 * 131_072) / (3350e9 * 0.55) * 1e3
    )
    assert "MoE: 2 of 8 experts per token;" in one.assumptions[3]
    dense = estimate_performance(LLAMA_ON_H100)
    assert one.decode_tokens_per_s is not None and dense.decode_tokens_per_s is not None
    assert one.decode_tokens_per_s.low > dense.decode_tokens_per_s.low


def test_moe_plan_reads_fewer_bytes_than_a_dense_plan_of_the_same_weights() -> None:
    # Qwen3-30B-A3B (3.3B of 30.5B active) vs its weights read whole
    plan = make_plan("Qwen/Qwen3-30B-A3B")
    assert plan.performance.inter_token_latency_ms is not None
    read_all = plan.memory.stage.weights + 640 * plan.memory.stage.layout.bytes_per_token
    assert plan.performance.inter_token_latency_ms.high < read_all / (3350e9 * 0.55) * 1e3
    assert any(
        a.startswith("MoE: 8 of 128 experts per token") for a in plan.performance.assumptions
    )


def test_tensor_parallelism_adds_two_all_reduces_per_layer() -> None:
    # tp 2 over NVLink, half the weights per GPU. Each of 2 × 32 all-reduces costs 12 µs (slow)
    # + a ring of 2 × (1/2) × 8,192 B (one token × 4,096 × 2 B) / 150 GB/s.
    tp2 = replace(
        LLAMA_ON_H100, tp=2, weights_bytes=LLAMA_8B_WEIGHTS / 2, kv_bytes_per_token=65_536
    )
    result = estimate_performance(tp2)
    memory = (LLAMA_8B_WEIGHTS / 2 + 640 * 65_536) / (3350e9 * 0.55)
    comm = 2 * 32 * (12e-6 + 2 * (1 / 2) * 8192 / 150e9)
    assert result.inter_token_latency_ms is not None
    assert result.inter_token_latency_ms.high == pytest.approx((memory + comm) * 1e3)
    # PCIe: 40 µs and 12 GB/s
    pcie = estimate_performance(replace(tp2, interconnect="pcie"))
    assert pcie.inter_token_latency_ms is not None
    assert pcie.inter_token_latency_ms.high == pytest.approx(
        (memory + 2 * 32 * (40e-6 + 8192 / 12e9)) * 1e3
    )
    assert "tensor parallel 2: two all-reduces per layer over nvlink" in result.assumptions
    # the all-reduces cost time the same bytes on one GPU would not
    alone = estimate_performance(replace(tp2, tp=1))
    assert alone.inter_token_latency_ms is not None
    assert result.inter_token_latency_ms.high > alone.inter_token_latency_ms.high
    # prefill runs on both GPUs: twice the peak
    assert result.prefill_tokens_per_s is not None
    assert result.prefill_tokens_per_s.low == pytest.approx(
        512 / (PREFILL_FLOPS / (2 * 989e12 * 0.35))
    )


def test_pipeline_stages_run_one_after_another() -> None:
    # pp 2 over 2 nodes: two stages of half the weights, + one 100 µs hand-off (slow)
    pp2 = replace(
        LLAMA_ON_H100, pp=2, nodes=2, weights_bytes=LLAMA_8B_WEIGHTS / 2, kv_bytes_per_token=65_536
    )
    result = estimate_performance(pp2)
    stage = (LLAMA_8B_WEIGHTS / 2 + 640 * 65_536) / (3350e9 * 0.55)
    assert result.inter_token_latency_ms is not None
    assert result.inter_token_latency_ms.high == pytest.approx((2 * stage + 100e-6) * 1e3)
    assert "pipeline parallel 2: stages run one after another" in result.assumptions


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
    assert plan.performance.ttft_ms is None
    assert len(plan.performance.assumptions) == 1
    # the memory plan is still made
    assert plan.memory.total == 40.0 * 2**30 and plan.starts
