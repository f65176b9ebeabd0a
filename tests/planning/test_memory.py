"""The memory model (planning/memory.py, DESIGN §3): one GPU's budget and KV cache.

The reference case is Llama-3.1-8B-Instruct (bf16) on one H100 SXM (79.18 GiB as CUDA reports
it = 85,018,877,624.32 bytes) with the API server's defaults for an 80 GiB GPU: max_num_seqs
1,024, max_num_batched_tokens 8,192. Every figure below is derived by hand in its comment.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from planner_testing import (
    GIB,
    H100,
    H100_TOTAL,
    LLAMA_8B,
    LLAMA_8B_BLOCK,
    LLAMA_8B_WEIGHTS,
    MIB,
    gpu_inputs,
    model_inputs,
    setup,
    workload,
)
from vllm_wizard.planning.memory import (
    GpuInputs,
    MemoryResult,
    Workload,
    batch_defaults,
    capture_sizes,
    compute_memory,
    kv_dtype_bytes,
)
from vllm_wizard.planning.versions import rules_for

VOCAB = 128_256
ROWS = 1024  # min(max_num_batched_tokens 8,192, max_num_seqs 1,024)

# vLLM ≤ 0.16 (V1 model runner): sampler warm-up ≈ 38.7 B × rows × vocab
ACTIVATION_V1 = 38.7 * ROWS * VOCAB  # 5,082,631,372.8
# vLLM 0.17–0.28 (V1 runner, lean warm-up): (15 + 2) B × rows × vocab + hidden states
ACTIVATION_V1_LEAN = 17 * ROWS * VOCAB + 8192 * 4096 * 2  # 2,232,680,448 + 67,108,864
# vLLM ≥ 0.29 (Model Runner V2, FlashInfer): 14 B × rows × vocab + hidden states 8,192 × 4,096 × 2
ACTIVATION_V2 = 14 * ROWS * VOCAB + 8192 * 4096 * 2  # 1,838,678,016 + 67,108,864
NON_TORCH_TP1 = 0.13 * GIB  # 139,586,437.12
PERSISTENT_SAMPLER = 4.25 * 1024 * VOCAB  # 558,170,112: int32 counts + two bit masks
# 51 capture sizes (1, 2, 4, 8…248 by 8, 256…512 by 16), PIECEWISE + FULL = 102 graphs,
# × 32 layers × 0.27 MiB
GRAPHS = 102 * 32 * 0.27 * MIB  # 924,089,057.28


def run(
    version: str = "0.33.0",
    gpu: str | GpuInputs = H100,
    model: str = LLAMA_8B,
    load: Workload | None = None,
    **changes: Any,
) -> MemoryResult:
    inputs = gpu if isinstance(gpu, GpuInputs) else gpu_inputs(gpu)
    return compute_memory(
        model_inputs(model), inputs, setup(**changes), load or workload(), rules_for(version)
    )


# ----------------------------------------------------------------------------- the breakdown


def test_llama_8b_on_an_h100_at_vllm_0_11() -> None:
    # budget: 0.9 × 85,018,877,624.32 = 76,516,989,861.888 (no ceil before 0.14)
    # KV: budget − weights 16,094,076,928 − activation 5,082,631,372.8 − non-torch
    # 139,586,437.12 = 55,200,695,123.968 (51.41 GiB; vLLM logged 51.38 with block size 128).
    # CUDA graphs (924,089,057.28) are outside the budget before 0.20.
    result = run("0.11.0", max_model_len=16_000)
    stage = result.stage
    assert result.total == H100_TOTAL == 85_018_877_624.32
    assert result.budget == pytest.approx(76_516_989_861.888, abs=1e-3)
    assert stage.weights == LLAMA_8B_WEIGHTS == 16_094_076_928
    assert stage.activation == pytest.approx(5_082_631_372.8, abs=1e-3)
    assert stage.non_torch == pytest.approx(139_586_437.12, abs=1e-3)
    assert stage.cuda_graph == pytest.approx(GRAPHS, abs=1e-3) and not result.cuda_graph_in_budget
    assert stage.kv_cache == pytest.approx(55_200_695_123.968, abs=1e-2)
    # 55,200,695,123.968 // 2,097,152 = 26,321 blocks; × 16 = 421,136 tokens (blocks × block
    # size before 0.22); 26,321 / cdiv(16,000, 16) = 26.321× concurrency
    assert result.num_blocks == 26_321
    assert result.kv_tokens == 421_136
    assert result.max_concurrency == 26.321
    assert result.graphs == 102 and result.block_size == 16
    assert result.starts and result.fits and result.oom_risk == "low" and result.refusal is None


def test_llama_8b_on_an_h100_at_vllm_0_33() -> None:
    # budget: ceil(0.9 × 85,018,877,624.32) = 76,516,989,862
    # activation: 14 × 1,024 × 128,256 + 8,192 × 4,096 × 2 = 1,905,786,880
    # non-torch: 0.13 GiB + 4.25 × 1,024 × 128,256 = 697,756,549.12
    # CUDA graphs in the budget: 924,089,057.28
    # KV: 76,516,989,862 − 16,094,076,928 − 1,905,786,880 − 697,756,549.12 − 924,089,057.28
    #   = 56,895,280,447.6
    result = run()
    stage = result.stage
    assert result.budget == 76_516_989_862
    assert stage.activation == ACTIVATION_V2 == 1_905_786_880
    assert stage.non_torch == pytest.approx(NON_TORCH_TP1 + PERSISTENT_SAMPLER, abs=1e-3)
    assert stage.non_torch == pytest.approx(697_756_549.12, abs=1e-3)
    assert result.cuda_graph_in_budget
    assert stage.kv_cache == pytest.approx(56_895_280_447.6, abs=1e-2)
    # 27,129 blocks (27,129 × 2 MiB = 56,893,636,608 ≤ KV < 27,130 × 2 MiB); max_model_len
    # 131,072 needs 8,192 blocks: 27,129 / 8,192 = 3.3116455078125×; int(× 131,072) = 434,064
    assert result.num_blocks == 27_129
    assert result.max_concurrency == 27_129 / 8192
    assert result.kv_tokens == 434_064
    # workload: 1 × (512 + 256) tokens × 131,072 B × 1.15
    assert result.kv_needed == pytest.approx(768 * 131_072 * 1.15)
    assert result.headroom == pytest.approx(56_895_280_447.6 - 115_762_790.4, abs=1e-2)
    assert result.max_context_at_concurrency == 131_072
    assert result.needed_one_request == 8192 * LLAMA_8B_BLOCK


def test_budget_is_ceiled_from_0_14_only() -> None:
    # ceil(76,516,989,861.888) = 76,516,989,862 from 0.14; the product itself before
    assert run("0.14.0").budget == 76_516_989_862 == math.ceil(0.9 * H100_TOTAL)
    assert run("0.11.0").budget == 0.9 * H100_TOTAL
    assert run("0.11.0").budget != math.ceil(0.9 * H100_TOTAL)


def test_cuda_graphs_count_against_the_budget_from_0_20() -> None:
    # 0.19 and 0.20 differ only in VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS' default
    before, after = run("0.19.0"), run("0.20.0")
    assert not before.cuda_graph_in_budget and after.cuda_graph_in_budget
    assert before.stage.cuda_graph == after.stage.cuda_graph == pytest.approx(GRAPHS, abs=1e-3)
    assert before.stage.kv_cache - after.stage.kv_cache == pytest.approx(GRAPHS, abs=1e-2)


def test_enforce_eager_captures_no_graphs() -> None:
    eager, graphs = run(enforce_eager=True), run()
    assert eager.graphs == 0 and eager.stage.cuda_graph == 0.0
    assert eager.stage.kv_cache - graphs.stage.kv_cache == pytest.approx(GRAPHS, abs=1e-2)


def test_overhead_gb_replaces_activation_non_torch_and_graphs() -> None:
    # KV = 76,516,989,862 − 16,094,076,928 − 6 GiB (6,442,450,944) = 53,980,461,990
    result = run(overhead_gb=6.0)
    assert result.stage.activation == 6 * GIB
    assert result.stage.non_torch == 0.0 and result.stage.cuda_graph == 0.0
    assert result.stage.kv_cache == 53_980_461_990
    # 0.11 (graphs outside the budget anyway): 76,516,989,861.888 − 16,094,076,928 − 6 GiB
    old = run("0.11.0", overhead_gb=6.0)
    assert old.stage.kv_cache == pytest.approx(53_980_461_989.888, abs=1e-2)


def test_kv_cache_memory_bytes_replaces_the_budget() -> None:
    # 10 GiB of KV whatever the utilization: 10 GiB // 2 MiB = 5,120 blocks; a 16,000-token
    # request needs 1,000: 5.12× and 81,920 tokens
    result = run(kv_cache_memory_bytes=10 * GIB, gpu_memory_utilization=0.5, max_model_len=16_000)
    assert result.stage.kv_cache == 10 * GIB
    assert result.num_blocks == 5120 and result.kv_tokens == 81_920
    assert result.max_concurrency == 5.12
    # vLLM skips the utilization check with kv_cache_memory_bytes: 1.0 starts
    assert run(
        kv_cache_memory_bytes=10 * GIB, gpu_memory_utilization=1.0, max_model_len=16_000
    ).starts


def test_cpu_offload_moves_weights_off_the_gpu() -> None:
    # 16,094,076,928 − 4 GiB (4,294,967,296) = 11,799,109,632 B on the GPU; KV grows by 4 GiB
    offloaded, plain = run(cpu_offload_gb=4.0), run()
    assert offloaded.stage.weights == 11_799_109_632
    assert offloaded.stage.kv_cache - plain.stage.kv_cache == pytest.approx(4 * GIB, abs=1e-2)
    # more than the weights leaves none, never a negative figure
    assert run(cpu_offload_gb=100.0).stage.weights == 0.0


def test_block_size_override() -> None:
    # 32-token blocks: 4 MiB per block id; 56,895,280,447.6 // 4,194,304 = 13,564
    result = run(block_size=32)
    assert result.block_size == 32
    assert result.num_blocks == 13_564
    # 131,072 / 32 = 4,096 blocks per request: 13,564 / 4,096; int(× 131,072) = 434,048
    assert result.max_concurrency == 13_564 / 4096
    assert result.kv_tokens == 434_048


def test_kv_cache_dtype_bytes() -> None:
    assert kv_dtype_bytes("auto", "bfloat16") == 2.0
    assert kv_dtype_bytes("auto", "float32") == 4.0
    assert kv_dtype_bytes("fp8", "bfloat16") == 1.0
    assert kv_dtype_bytes("fp8_e5m2", "float16") == 1.0
    assert kv_dtype_bytes("bfloat16", "float32") == 2.0
    # fp8: 1 MiB per block id → 56,895,280,447.6 // 1,048,576 = 54,259 blocks
    assert run(kv_cache_dtype="fp8").num_blocks == 54_259


# ----------------------------------------------------------------------------- max_model_len


def test_auto_max_model_len_fits_to_memory() -> None:
    # KV of exactly 1,001 blocks at 0.33: one (the null block) is held back, 1,000 blocks hold a
    # 16,000-token request (and 16,001 tokens need 1,001 blocks)
    exact = 1001 * LLAMA_8B_BLOCK
    fitted = run(max_model_len="auto", kv_cache_memory_bytes=exact)
    assert fitted.max_model_len == 16_000 and fitted.starts
    # 0.28 keeps no null block: all 1,001 blocks, 16,016 tokens
    assert run("0.28.0", max_model_len="auto", kv_cache_memory_bytes=exact).max_model_len == 16_016
    # with room to spare, auto is the model's own limit
    assert run(max_model_len="auto").max_model_len == 131_072


def test_auto_max_model_len_that_cannot_fit_one_token() -> None:
    result = run(max_model_len="auto", kv_cache_memory_bytes=LLAMA_8B_BLOCK)
    assert not result.starts and result.refusal is not None
    assert result.refusal.kind == "auto-fit"
    assert result.oom_risk == "high" and result.num_blocks == 0 and result.kv_tokens == 0


def test_null_block_is_subtracted_from_0_29() -> None:
    # KV of exactly what a 16,000-token request needs (1,000 blocks of 2 MiB)
    exact = 1000 * LLAMA_8B_BLOCK  # 2,097,152,000
    assert run("0.28.0", max_model_len=16_000, kv_cache_memory_bytes=exact).starts
    refused = run("0.29.0", max_model_len=16_000, kv_cache_memory_bytes=exact)
    assert not refused.starts and refused.refusal is not None
    assert refused.refusal.kind == "max-model-len"
    # vLLM's figures: 1.953125 GiB needed, 1,998,848,... GiB available (one block less); its
    # estimate of the longest length that starts: 999 blocks × 16 tokens
    assert refused.refusal.needed_gib == exact / GIB == 1.953125
    assert refused.refusal.available_gib == (exact - LLAMA_8B_BLOCK) / GIB
    assert refused.refusal.longest == 15_984


def test_no_memory_left_for_the_kv_cache() -> None:
    # Llama-3.1-70B in bf16 on one H100: 141 GB of weights > the 71.26 GiB budget
    result = run(model="meta-llama/Llama-3.1-70B-Instruct")
    assert result.stage.kv_cache < 0
    assert result.refusal is not None and result.refusal.kind == "no-kv-memory"
    assert result.refusal.available_gib == result.stage.kv_cache / GIB
    assert not result.starts and not result.fits and result.oom_risk == "high"


def test_start_up_refusal_when_utilization_asks_for_more_than_is_free() -> None:
    # utilization 1.0 asks for ceil(85,018,877,624.32) = 85,018,877,625 B, but about 0.61 GiB
    # (CUDA context, NCCL, cuBLAS) is already in use before vLLM's snapshot: 78.57 GiB free
    result = run(gpu_memory_utilization=1.0)
    assert result.refusal is not None and result.refusal.kind == "startup-free-memory"
    assert result.refusal.needed_gib == 85_018_877_625 / GIB
    assert result.refusal.available_gib == pytest.approx(79.18 - 0.61)
    assert not result.starts
    # 0.99 asks for 78.39 GiB < 78.57: it starts
    assert run(gpu_memory_utilization=0.99).starts


def test_free_memory_nvml_reports_is_used_when_detected() -> None:
    # 70 GiB free < the 71.262 GiB utilization 0.9 asks for
    busy = run(gpu=gpu_inputs(H100, free_gib=70.0))
    assert busy.refusal is not None and busy.refusal.kind == "startup-free-memory"
    assert busy.refusal.available_gib == 70.0
    assert run(gpu=gpu_inputs(H100, free_gib=79.0)).starts


def test_max_model_len_refusal_names_the_longest_that_starts() -> None:
    # 1 GiB of KV: 512 blocks; 131,072 tokens need 8,192; (512 − 1 null block) × 16 = 8,176
    result = run(kv_cache_memory_bytes=GIB)
    assert result.refusal is not None and result.refusal.kind == "max-model-len"
    assert result.refusal.needed_gib == 8192 * LLAMA_8B_BLOCK / GIB == 16.0
    assert result.refusal.longest == 8_176


# ----------------------------------------------------------------------------- tokens and risk


def test_token_figure_is_blocks_times_block_size_before_0_22() -> None:
    # 0.21 and 0.22 (V1 runner, lean sampler warm-up): activation (15 + 2) B × 1,024 × 128,256
    # + 8,192 × 4,096 × 2 B = 2,299,789,312; non-torch 0.25 GiB = 268,435,456. KV =
    # 76,516,989,862 − 16,094,076,928 − 2,299,789,312 − 268,435,456 − 924,089,057.28 =
    # 56,930,599,108.72 → 27,146 blocks. A 1,000-token request needs cdiv(1,000, 16) = 63 blocks.
    before, after = run("0.21.0", max_model_len=1000), run("0.22.0", max_model_len=1000)
    assert before.stage.activation == 2_299_789_312
    assert before.stage.non_torch == 0.25 * GIB
    assert before.stage.kv_cache == pytest.approx(56_930_599_108.72, abs=1e-2)
    assert before.num_blocks == after.num_blocks == 27_146
    assert before.max_concurrency == after.max_concurrency == 27_146 / 63
    assert before.kv_tokens == 27_146 * 16 == 434_336
    assert after.kv_tokens == 430_888  # int(430.888… × 1,000)


def test_max_context_at_concurrency() -> None:
    # 100 requests: the longest L with 100 × L × 131,072 × 1.15 ≤ KV − 1 GiB headroom
    # = (56,895,280,447.6 − 1,073,741,824) / 15,073,280 = 3,703.3 → 3,703 tokens
    result = run(load=workload(concurrency=100))
    assert result.max_context_at_concurrency == 3703
    # 100 × 768 × 131,072 × 1.15 = 11,576,279,040 B still fits
    assert result.kv_needed == pytest.approx(11_576_279_040)
    assert result.fits and result.oom_risk == "low"


def test_does_not_fit_is_medium_risk() -> None:
    # 1,000 requests of 768 tokens × 131,072 × 1.15 = 115.76 GB > 56.9 GB of KV
    result = run(load=workload(concurrency=1000))
    assert result.starts and not result.fits and result.oom_risk == "medium"
    assert result.headroom == pytest.approx(56_895_280_447.6 - 115_762_790_400, abs=1)


def test_little_headroom_is_medium_risk() -> None:
    # headroom 52.88 GiB: fits a 30 GiB headroom, but under twice that
    result = run(load=workload(headroom_gb=30.0))
    assert result.fits and result.oom_risk == "medium"
    assert run(load=workload(headroom_gb=20.0)).oom_risk == "low"


def test_graphs_outside_the_budget_beyond_the_spare_memory_are_medium_risk() -> None:
    # 0.19: graphs (0.86 GiB) are outside the budget; utilization 0.99 leaves 0.79 GiB, minus
    # the 0.61 GiB in use before start-up
    assert run("0.19.0", gpu_memory_utilization=0.99).oom_risk == "medium"
    assert run("0.19.0", gpu_memory_utilization=0.9).oom_risk == "low"
    assert run("0.20.0", gpu_memory_utilization=0.99).oom_risk == "low"  # in the budget


# ----------------------------------------------------------------------------- estimates


def test_activation_is_the_forward_pass_when_it_exceeds_the_sampler() -> None:
    # 16 sequences: sampler 14 × 16 × 128,256 + 67,108,864 = 95,838,208; forward over 8,192
    # tokens: 8,192 × (3 × 14,336 + 4 × 4,096) × 2 = 973,078,528
    assert run(max_num_seqs=16).stage.activation == 973_078_528
    assert run("0.28.0", max_num_seqs=16).stage.activation == 973_078_528


def test_activation_below_compute_capability_8_uses_the_native_sampler() -> None:
    # a T4 (7.5) has no FlashInfer sampler: 6 B × rows × vocab + hidden states. Qwen3-0.6B in
    # fp16 at 256 / 2,048: 6 × 256 × 151,936 + 2,048 × 1,024 × 2 = 233,373,696 + 4,194,304
    # (the forward pass, 2,048 × (3 × 3,072 + 4 × 1,024) × 2 = 54,525,952, is smaller)
    small: dict[str, Any] = {
        "model": "Qwen/Qwen3-0.6B",
        "dtype": "float16",
        "max_num_seqs": 256,
        "max_num_batched_tokens": 2048,
        "max_model_len": 4096,
    }
    assert run(gpu="T4", **small).stage.activation == 237_568_000
    # on an L4 (8.9), FlashInfer: 14 B per entry
    assert run(gpu="L4", **small).stage.activation == 14 * 256 * 151_936 + 4_194_304


def test_v1_runner_sampler_warm_up_shrank_at_0_17() -> None:
    # Qwen3-14B on an H100 (llm-d-planner's version sweep): 5.64 GiB of activation on 0.16,
    # 2.23 GiB on 0.17; the 0.19 logs give 15–16 B per entry in bf16, 18 in fp32.
    assert run("0.14.0").stage.activation == pytest.approx(ACTIVATION_V1)
    assert run("0.17.0").stage.activation == ACTIVATION_V1_LEAN == 2_299_789_312
    assert run("0.28.0").stage.activation == ACTIVATION_V1_LEAN
    # float32 logits and hidden states: (15 + 4) B per entry, 8,192 × 4,096 × 4 B
    fp32 = run("0.19.0", dtype="float32").stage.activation
    assert fp32 == 19 * ROWS * VOCAB + 8192 * 4096 * 4
    assert run("0.29.0").stage.activation == ACTIVATION_V2


def test_v1_runner_non_torch_grew_at_0_18_at_tp_1() -> None:
    # 0.19.0 H100 logs: 0.24–0.26 GiB at tp 1 (0.13 on 0.11 and 0.17). 0.18–0.26 profile the
    # CUDA graphs inside the non-torch window (gpu_worker.py); 0.27 moved it out.
    assert run("0.17.0").stage.non_torch == pytest.approx(NON_TORCH_TP1)
    assert run("0.18.0").stage.non_torch == 0.25 * GIB
    assert run("0.26.0").stage.non_torch == 0.25 * GIB
    assert run("0.27.0").stage.non_torch == pytest.approx(NON_TORCH_TP1)


def test_flashinfer_all_reduce_workspace_at_tp_2_and_4_on_an_h100() -> None:
    # Up to 0.14: 0.55 GiB at any tp (0.11 logs: 0.54, 0.55 at tp 2)
    assert run("0.14.0", tp=2, gpus_per_node=2).stage.non_torch == pytest.approx(0.55 * GIB)
    # 0.17–0.26: the AR+RMSNorm fusion's trtllm workspace, three buffers each rounded up to
    # the 512 MiB multicast granularity (1.5 GiB), on 0.60 GiB at tp 2 and 0.71 at tp 4. The
    # 0.19 logs: 2.10 (Llama-3.3-70B) and 2.07 (Mistral-Small) at tp 2, 2.21 at tp 4.
    for version in ("0.17.0", "0.19.0", "0.26.0"):
        tp2 = run(version, tp=2, gpus_per_node=2).stage
        assert tp2.allreduce_workspace == 3 * 512 * MIB
        assert tp2.non_torch == pytest.approx(2.1 * GIB)
        assert run(version, tp=4, gpus_per_node=4).stage.non_torch == pytest.approx(2.21 * GIB)
    # … but not with pipeline parallelism on 0.17–0.20 (the fusion needs pp 1)
    assert run("0.19.0", tp=2, pp=2, nodes=2, gpus_per_node=2).stage.allreduce_workspace == 0
    # 0.27–0.28: FlashInfer 0.6.16 rounds only multicast buffers. MNNVL's one buffer holds
    # 3 × two-shot (2 × 4,096 tokens × 4,096 × 2 B = 64 MiB) = 192 MiB → 512 MiB; the trtllm
    # fallback 2 × 64 MiB + flags + 3 × 128 MiB in 2 MiB steps = 518 MiB; the larger counts.
    # (tokens: the 64 MB tp-2 message over 4,096 × 2 B = 8,192, capped at 8,192 batched.)
    message = 8192 * 4096 * 2
    trtllm = (2 * message + 2 * MIB) + 2 * MIB + (3 * 2 * message + 2 * MIB)
    assert run("0.28.0", tp=2, gpus_per_node=2).stage.allreduce_workspace == trtllm
    # 0.29+: the same workspace; on 0.33 with V2's persistent sampler state
    tp2 = run(tp=2, gpus_per_node=2).stage
    assert tp2.allreduce_workspace == trtllm
    assert tp2.non_torch == pytest.approx(0.60 * GIB + trtllm + PERSISTENT_SAMPLER, abs=1e-3)
    # H100 at tp 4: a 2 MB message (128 tokens); MNNVL's 512 MiB minimum is the larger
    assert run(tp=4, gpus_per_node=4).stage.allreduce_workspace == 512 * MIB


def test_no_flashinfer_workspace_without_hopper_or_blackwell() -> None:
    # enable_allreduce_rms_fusion: 9.0 and 10.x only; an A100 (8.0) or an L40S (8.9) has none
    for gpu in ("A100 SXM 80GB", "L40S"):
        stage = run("0.19.0", gpu=gpu, tp=2, gpus_per_node=2).stage
        assert stage.allreduce_workspace == 0
        assert stage.non_torch == pytest.approx(0.60 * GIB)


def test_tensor_parallel_start_up_reserve() -> None:
    # 77.64–77.66 GiB free at tp 2 and 4 on an H100 (0.11 and 0.19 logs): 1.55 GiB in use
    # before the snapshot. Utilization 0.99 asks for ceil(0.99 × 79.18 GiB) = 78.39 GiB.
    result = run(tp=2, gpus_per_node=2, gpu_memory_utilization=0.99)
    assert result.refusal is not None and result.refusal.kind == "startup-free-memory"
    assert result.refusal.available_gib == pytest.approx(79.18 - 1.55)
    assert run(tp=2, gpus_per_node=2, gpu_memory_utilization=0.97).starts


def test_tensor_parallel_non_torch_and_graph_memory() -> None:
    # tp 2 on one node: graphs 102 × 32 × 0.36 MiB
    result = run(tp=2, gpus_per_node=2)
    assert result.stage.cuda_graph == pytest.approx(102 * 32 * 0.36 * MIB, abs=1e-3)
    # tp across nodes (one GPU per node): 0.55 MiB per graph and layer
    across = run(tp=2, gpus_per_node=1, nodes=2)
    assert across.stage.cuda_graph == pytest.approx(102 * 32 * 0.55 * MIB, abs=1e-3)


def test_pipeline_stages_other_than_the_last_skip_the_sampler() -> None:
    # pp 2: 16 layers per stage. The first stage's activation is the forward pass only and it
    # holds no sampler state; the last has both.
    result = run(pp=2, nodes=2)
    first, last = result.stages
    assert first.activation == 973_078_528
    assert first.non_torch == pytest.approx(NON_TORCH_TP1, abs=1e-3)
    assert last.activation == ACTIVATION_V2
    assert last.non_torch == pytest.approx(NON_TORCH_TP1 + PERSISTENT_SAMPLER, abs=1e-3)
    # graphs per stage: 102 × 16 layers × 0.27 MiB; one block id is 16 layers × 64 KiB
    assert first.cuda_graph == pytest.approx(102 * 16 * 0.27 * MIB, abs=1e-3)
    assert first.layout.bytes_per_block == LLAMA_8B_BLOCK // 2
    # both stages share one layout and the block count; the last has less KV memory, so it is
    # the stage reported (its KV sets the headroom)
    assert last.kv_cache < first.kv_cache
    assert result.stage.index == 1 and result.stage.kv_cache == last.kv_cache
    assert result.num_blocks == min(s.layout.num_blocks(s.kv_cache) for s in result.stages)


def test_pipeline_stages_are_checked_separately_from_0_17() -> None:
    # pp 2 (16 layers, 1 MiB per block id per stage) with 1,000 MiB of KV on each GPU: one
    # stage's 16,000-token request needs 1,000 blocks = 1,000 MiB. Before 0.17 vLLM summed
    # every layer (2,000 MiB) against one GPU's memory.
    kv = 1000 * MIB
    assert run("0.17.0", pp=2, nodes=2, max_model_len=16_000, kv_cache_memory_bytes=kv).starts
    old = run("0.14.0", pp=2, nodes=2, max_model_len=16_000, kv_cache_memory_bytes=kv)
    assert old.refusal is not None and old.refusal.kind == "max-model-len"
    assert old.refusal.needed_gib == 2000 * MIB / GIB


def test_mla_deepseek_on_h200s() -> None:
    # DeepSeek-V3 at tp 8 on H200 SXM: 61 layers × 576 × 2 B = 70,272 B per token on every GPU
    # (the latent is not split); fp8 KV on Hopper picks FLASHMLA: 64-token blocks
    deepseek: dict[str, Any] = {
        "gpu": "H200 SXM",
        "model": "deepseek-ai/DeepSeek-V3",
        "tp": 8,
        "gpus_per_node": 8,
        "quantization": "fp8",
        "max_model_len": 32_768,
    }
    result = run(**deepseek)
    assert result.stage.layout.bytes_per_token == 70_272
    assert result.block_size == 16
    fp8 = run(**deepseek, kv_cache_dtype="fp8")
    assert fp8.block_size == 64
    assert fp8.stage.layout.bytes_per_token == 61 * 576
    assert fp8.stage.layout.bytes_per_block == 61 * 64 * 576


def test_sliding_window_tokens_follow_max_concurrency() -> None:
    # gpt-oss-20b on an H100 at max_model_len 32,768: a request needs 2,048 full + 1,033 sliding
    # blocks; the token figure is int(num_blocks / 3,081 × 32,768), not blocks × 16
    result = run(model="openai/gpt-oss-20b", quantization="mxfp4", max_model_len=32_768)
    assert result.max_concurrency == result.num_blocks / 3081
    assert result.kv_tokens == int(result.num_blocks / 3081 * 32_768)
    assert result.kv_tokens != result.num_blocks // 2 * 16


# ----------------------------------------------------------------------------- vLLM's defaults


@pytest.mark.parametrize(
    ("gpu", "version", "defaults"),
    [
        ("H100 SXM", "0.33.0", (1024, 8192)),  # ≥ 70 GiB, not an A100
        ("H200 SXM", "0.33.0", (1024, 8192)),
        ("A100 SXM 80GB", "0.33.0", (256, 2048)),  # A100s stay on the small tier
        ("L40S", "0.33.0", (256, 2048)),
        ("RTX 4090", "0.33.0", (256, 2048)),
        ("B200", "0.33.0", (1024, 16384)),  # ≥ 160 GiB from 0.28
        ("B200", "0.27.0", (1024, 8192)),
    ],
)
def test_batch_defaults(gpu: str, version: str, defaults: tuple[int, int]) -> None:
    assert batch_defaults(gpu_inputs(gpu), rules_for(version)) == defaults


def test_batch_defaults_keep_gb10_on_the_small_tier() -> None:
    gb10 = GpuInputs(name="GB10", memory_gib=119.7, capability=(12, 1), is_a100=False)
    assert batch_defaults(gb10, rules_for("0.33.0")) == (256, 2048)


@pytest.mark.parametrize(
    ("version", "gpu", "model", "changes", "sizes"),
    [
        # 1, 2, 4 + 8…248 by 8 (31) + 256…512 by 16 (17) = 51, FULL for every size ≤ 1,024
        ("0.33.0", H100, LLAMA_8B, {}, (51, 51)),
        # 0.10: PIECEWISE only, 1, 2, 4 + 8…512 by 8 = 67
        ("0.10.1", H100, LLAMA_8B, {}, (67, 0)),
        # 128 sequences: largest min(2 × 128, 512) = 256: 3 + 31 + 1 = 35; FULL ≤ 128: 3 + 16
        ("0.33.0", H100, LLAMA_8B, {"max_num_seqs": 128}, (35, 19)),
        # Blackwell (cc 10): up to 1,024: 3 + 31 + 49 = 83
        ("0.33.0", "B200", LLAMA_8B, {}, (83, 83)),
        # gpt-oss raises the largest size to 1,024 on any GPU
        ("0.33.0", H100, "openai/gpt-oss-20b", {}, (83, 83)),
        # 300 batched tokens: 3 + 31 + 256, 272, 288 + 300 itself = 38
        ("0.33.0", H100, LLAMA_8B, {"max_num_batched_tokens": 300}, (38, 38)),
        # interactivity: every size 1…32, then 40…248 by 8 (27) and 256…512 by 16 (17) = 76
        ("0.33.0", H100, LLAMA_8B, {"performance_mode": "interactivity"}, (76, 76)),
        ("0.33.0", H100, LLAMA_8B, {"enforce_eager": True}, (0, 0)),
    ],
)
def test_capture_sizes(
    version: str, gpu: str, model: str, changes: dict[str, Any], sizes: tuple[int, int]
) -> None:
    inputs = gpu_inputs(gpu)
    assert capture_sizes(
        model_inputs(model).arch, inputs, setup(**changes), rules_for(version)
    ) == (sizes)


def test_a_mamba_hybrid_counts_state_blocks_per_request() -> None:
    # Qwen3-Next (12 full + 36 gated-delta-net layers, 544-token blocks, 13,369,344 B per block
    # id; see test_kv), with KV of exactly 1,000 block ids. A 262,144-token request needs
    # cdiv(262,144, 544) = 482 attention blocks + 3 Mamba groups × 2 state blocks = 488.
    hybrid: dict[str, Any] = {
        "model": "Qwen/Qwen3-Next-80B-A3B-Instruct",
        "kv_cache_memory_bytes": 1000 * 13_369_344,
    }
    result = run(max_model_len=262_144, **hybrid)
    assert result.starts and result.block_size == 544 and result.num_blocks == 1000
    assert result.max_concurrency == 1000 / 488
    assert result.kv_tokens == 537_180  # int(1,000 / 488 × 262,144) = int(537,180.3)
    # at 32,768 tokens: 61 + 6 = 67 blocks a request: int(1,000 / 67 × 32,768) = 489,074
    assert run(max_model_len=32_768, **hybrid).kv_tokens == 489_074
    # 488 block ids (+ the null block) are the least that start at 262,144 tokens
    assert run(
        max_model_len=262_144, **{**hybrid, "kv_cache_memory_bytes": 489 * 13_369_344}
    ).starts
    assert not run(
        max_model_len=262_144, **{**hybrid, "kv_cache_memory_bytes": 488 * 13_369_344}
    ).starts
