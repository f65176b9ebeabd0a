"""Weights per GPU (planning/weights.py): what vLLM prints as "Model loading took X GiB".

Every figure is derived by hand from the catalog's parameter counts and config.json facts.
"""

from __future__ import annotations

import pytest

from planner_testing import LLAMA_8B, LLAMA_8B_PARAMS, LLAMA_8B_ROPE, LLAMA_8B_WEIGHTS, resolved
from vllm_wizard.planning.weights import (
    MXFP4_BYTES,
    NVFP4_BYTES,
    WeightsEstimate,
    estimate_weights,
    mxfp4_padding,
)

# Llama-3.1-8B: vocab 128,256 × hidden 4,096 = 525,336,576 embedding parameters, and as many
# in the untied lm_head; 32 layers × 2 norms × 4096 + the final norm 4096 = 266,240 norms.
LLAMA_EMBEDDING_BYTES = 525_336_576 * 2  # 1,050,673,152
LLAMA_LAYER_BYTES = LLAMA_8B_PARAMS * 2 - 2 * LLAMA_EMBEDDING_BYTES  # 13,959,176,192


def weights(
    model_id: str,
    *,
    dtype: str = "bfloat16",
    method: str | None = None,
    tp: int = 1,
    pp: int = 1,
    by_dtype: dict[str, int] | None = None,
    params_b: float | None = None,
) -> WeightsEstimate:
    model = resolved(model_id, params_b)
    return estimate_weights(
        model.arch,
        params_total=model.params_total,
        params_by_dtype=by_dtype,
        dtype=dtype,
        method=method,
        tp=tp,
        pp=pp,
    )


def test_llama_8b_bf16_on_one_gpu_matches_vllms_log() -> None:
    # 8,030,261,248 × 2 B + rotary cache 131,072 × 128 × 2 B = 16,094,076,928 B = 14.989 GiB
    # (vLLM on an H100: "Model loading took 14.99 GiB")
    result = weights(LLAMA_8B)
    assert result.bytes_per_gpu == 16_094_076_928 == LLAMA_8B_WEIGHTS
    assert result.total_bytes == 16_094_076_928
    assert result.quantized_fraction == 0.0 and result.method is None
    assert result.how == "8,030,261,248 parameters × 2 bytes (bfloat16)"


def test_gemma3_keeps_a_rotary_cache_per_layer_type() -> None:
    # vLLM builds the global layers' linear rope (factor 8) over 131,072 × 8 positions and the
    # sliding layers' default rope over 131,072: 9 × 131,072 × 256 × 2 B = 603,979,776 B. The
    # 0.19 H100 logs print 8.58 / 23.31 / 51.45 GiB for gemma-3-4b/12b/27b-it; one 131,072
    # cache would leave the 4B 0.5 GiB short.
    model = resolved("google/gemma-3-4b-it")
    assert model.arch.rope_cache_positions == 9 * 131_072
    four_b = weights("google/gemma-3-4b-it").bytes_per_gpu
    assert four_b == model.params_total * 2 + 603_979_776
    assert abs(four_b / 2**30 - 8.58) < 0.02
    # Gemma 3 27B: head_dim 128, so half the bytes per position
    big = weights("google/gemma-3-27b-it")
    assert big.bytes_per_gpu == resolved("google/gemma-3-27b-it").params_total * 2 + (
        9 * 131_072 * 128 * 2
    )
    # Gemma 2 has a single rope: nothing changes
    assert resolved("google/gemma-2-9b-it").arch.rope_cache_positions == 0


def test_float32_doubles_the_bytes_and_the_rotary_cache() -> None:
    # 8,030,261,248 × 4 + 131,072 × 128 × 4 = 32,121,044,992 + 67,108,864
    assert weights(LLAMA_8B, dtype="float32").bytes_per_gpu == 32_188_153_856


@pytest.mark.parametrize(
    ("tp", "expected"), [(2, 8_063_815_680), (4, 4_048_685_056), (8, 2_041_119_744)]
)
def test_tensor_parallelism_splits_everything_but_the_rotary_cache(tp: int, expected: int) -> None:
    # 16,060,522,496 / tp + 33,554,432 (every rank keeps the whole cos/sin cache)
    result = weights(LLAMA_8B, tp=tp)
    assert result.bytes_per_gpu == expected == 16_060_522_496 / tp + LLAMA_8B_ROPE
    assert result.total_bytes == 16_060_522_496 + tp * LLAMA_8B_ROPE


def test_two_pipeline_stages_each_hold_half_the_layers_and_one_embedding() -> None:
    # untied: the first stage holds embed_tokens, the last the lm_head (same size):
    # 13,959,176,192 / 2 + 1,050,673,152 = 8,030,261,248, + the rotary cache
    assert LLAMA_LAYER_BYTES == 13_959_176_192
    assert weights(LLAMA_8B, pp=2).bytes_per_gpu == 8_030_261_248 + LLAMA_8B_ROPE


def test_uneven_pipeline_stages_report_the_heaviest_stage() -> None:
    # vLLM's get_pp_indices: 32 layers over 3 stages = [11, 11, 10] (the remainder goes to the
    # second-last and third-last stages). The first stage holds 11 layers + the embedding:
    # 11 × 13,959,176,192 / 32 + 1,050,673,152 = 4,798,466,816 + 1,050,673,152 = 5,849,139,968
    expected = 11 * LLAMA_LAYER_BYTES // 32 + LLAMA_EMBEDDING_BYTES + LLAMA_8B_ROPE
    assert expected == 5_882_694_400
    assert weights(LLAMA_8B, pp=3).bytes_per_gpu == expected


def test_uneven_pipeline_middle_stage_can_be_the_heaviest() -> None:
    # Mixtral-8x7B (32 layers, embedding and lm_head 32,000 × 4,096 = 131,072,000 params each)
    # over 5 stages: [6, 6, 7, 7, 6]. Layers: 46,702,792,704 × 2 − 4 × 131,072,000 =
    # 92,881,297,408 B, 2,902,540,544 B per layer. First: 6 layers + 262,144,000 B of
    # embedding = 17,677,387,264; a middle stage: 7 layers = 20,317,783,808 (the heaviest);
    # + rotary 32,768 × 128 × 2 = 8,388,608.
    result = weights("mistralai/Mixtral-8x7B-Instruct-v0.1", pp=5)
    assert result.bytes_per_gpu == 7 * 2_902_540_544 + 8_388_608 == 20_326_172_416


def test_tied_embeddings_are_copied_to_the_last_pipeline_stage() -> None:
    # Qwen3-0.6B, tied: 596,049,920 × 2 = 1,192,099,840 B; embedding 311,164,928 B, no lm_head.
    # pp 1: everything + rotary 40,960 × 128 × 2 = 10,485,760 → 1,202,585,600
    assert weights("Qwen/Qwen3-0.6B").bytes_per_gpu == 1_202_585_600
    # pp 2: each stage 880,934,912 / 2 = 440,467,456 of layers; the first adds the embedding,
    # the last a copy of it to compute the logits: 440,467,456 + 311,164,928 + 10,485,760
    assert weights("Qwen/Qwen3-0.6B", pp=2).bytes_per_gpu == 762_118_144


def test_awq_packs_four_bits_with_scales_and_zeros_per_group_of_128() -> None:
    # TheBloke/CodeLlama-34B-AWQ: 33,743,970,304 params; embedding and lm_head 32,000 × 8,192
    # each + 794,624 norms = 525,082,624 stay in the model dtype; the rest are 4-bit linears:
    # 0.5 + (2 + 0.5) / 128 = 0.51953125 B each (= 133/256).
    # 33,218,887,680 × 133/256 + 525,082,624 × 2 + rotary 16,384 × 128 × 2
    # = 17,258,250,240 + 1,050,165,248 + 4,194,304
    result = weights("TheBloke/CodeLlama-34B-AWQ", method="awq")
    assert result.bytes_per_gpu == 18_312_609_792
    assert result.quantized_fraction == pytest.approx(33_218_887_680 / 33_743_970_304)
    assert result.method == "awq"
    assert "33,218,887,680 quantized parameters × 0.520 bytes (awq)" in result.how
    # tp 2 halves all but the rotary cache
    half = weights("TheBloke/CodeLlama-34B-AWQ", method="awq", tp=2)
    assert half.bytes_per_gpu == (18_312_609_792 - 4_194_304) / 2 + 4_194_304


def test_gptq_four_bit() -> None:
    # cortecs/Meta-Llama-3-70B-Instruct-GPTQ: 70,553,706,496 params; 2 × 1,050,673,152
    # embedding/lm_head + 1,318,912 norms = 2,102,665,216 unquantized.
    # 68,451,041,280 × 133/256 + 2,102,665,216 × 2 + rotary 8,192 × 128 × 2
    # = 35,562,455,040 + 4,205,330,432 + 2,097,152
    result = weights("cortecs/Meta-Llama-3-70B-Instruct-GPTQ", method="gptq")
    assert result.bytes_per_gpu == 39_769_882_624


def test_fp8_checkpoint_stores_one_byte_per_linear_weight() -> None:
    # neuralmagic/Qwen2.5-7B-FP8-dynamic (compressed-tensors, 8-bit float): 7,615,616,512
    # params; 2 × 544,997,376 embedding/lm_head + 204,288 norms = 1,090,199,040 in bf16.
    # 6,525,417,472 × 1 + 1,090,199,040 × 2 + rotary 131,072 × 128 × 2
    result = weights("neuralmagic/Qwen2.5-7B-FP8-dynamic", method="compressed-tensors")
    assert result.bytes_per_gpu == 6_525_417_472 + 2_180_398_080 + 33_554_432 == 8_739_369_984


def test_fp8_on_the_fly_halves_the_linears_only() -> None:
    # `--quantization fp8_per_tensor` on bf16 Llama-3.1-8B: 6,979,321,856 linear params × 1 B +
    # 1,050,939,392 embedding/lm_head/norm params × 2 B + the rotary cache
    result = weights(LLAMA_8B, method="fp8_per_tensor")
    assert result.bytes_per_gpu == 6_979_321_856 + 2_101_878_784 + LLAMA_8B_ROPE == 9_114_755_072
    assert result.quantized_fraction == pytest.approx(6_979_321_856 / LLAMA_8B_PARAMS)


def test_mxfp4_experts_are_padded_for_the_moe_kernels() -> None:
    # gpt-oss-20b: hidden 2,880 → 3,072 (multiple of 256); per-rank intermediate 2,880 → 2,944
    # (multiple of 128): 3,072 × 2,944 / 2,880² = 736/675. At tp 2: 1,440 → 1,536: 256/225.
    arch = resolved("openai/gpt-oss-20b").arch
    assert mxfp4_padding(arch, 1) == pytest.approx(736 / 675)
    assert mxfp4_padding(arch, 2) == pytest.approx(256 / 225)
    assert mxfp4_padding(resolved(LLAMA_8B).arch, 1) == 1.0  # not MoE
    assert pytest.approx(0.5 + 1 / 32) == MXFP4_BYTES
    assert pytest.approx(0.5 + 1 / 16) == NVFP4_BYTES


def test_mxfp4_quantizes_only_the_experts() -> None:
    # 19,116,933,120 expert params × (17/32 B × 736/675) = 11,073,660,518.4; the other
    # 1,797,824,064 (attention, router, embeddings) × 2 B = 3,595,648,128; rotary
    # 131,072 × 64 × 2 = 16,777,216. Sum 14,686,085,862.4 B = 13.68 GiB (vLLM logged 13.47 on
    # an H100: within 1.6 %).
    result = weights("openai/gpt-oss-20b", method="mxfp4")
    assert result.bytes_per_gpu == pytest.approx(14_686_085_862.4, abs=0.01)
    assert result.quantized_fraction == pytest.approx(19_116_933_120 / 20_914_757_184)
    # tp 2: (19,116,933,120 × 17/32 × 256/225 + 3,595,648,128) / 2 + 16,777,216
    tp2 = weights("openai/gpt-oss-20b", method="mxfp4", tp=2)
    assert tp2.bytes_per_gpu == pytest.approx(7_592_163_289.6, abs=0.01)


def test_exact_safetensors_counts_win_over_the_estimate() -> None:
    # float tensors load in the model dtype whatever they are stored in (F32 → 2 B in bf16)
    exact = weights(LLAMA_8B, by_dtype={"F32": LLAMA_8B_PARAMS})
    assert exact.bytes_per_gpu == LLAMA_8B_WEIGHTS
    assert exact.how == "safetensors tensor sizes (exact)"
    # integer words keep their width: 4e9 I32 words × 4 B + 6e8 F16 × 2 B, + rotary 16,384 ×
    # 128 × 2; the stored-quantized share is 4e9 / 4.6e9
    awq = weights(
        "TheBloke/CodeLlama-34B-AWQ",
        method="awq",
        by_dtype={"I32": 4_000_000_000, "F16": 600_000_000},
    )
    assert awq.bytes_per_gpu == 16_000_000_000 + 1_200_000_000 + 4_194_304
    assert awq.quantized_fraction == pytest.approx(4 / 4.6)


def test_quantizing_on_the_fly_ignores_the_checkpoints_exact_bf16_counts() -> None:
    on_the_fly = weights(LLAMA_8B, method="fp8_per_tensor", by_dtype={"BF16": LLAMA_8B_PARAMS})
    assert on_the_fly.bytes_per_gpu == 9_114_755_072


def test_params_b_changes_the_byte_count() -> None:
    # params_b 10 → 10,000,000,000 params × 2 B + the rotary cache
    assert weights(LLAMA_8B, params_b=10).bytes_per_gpu == 20_000_000_000 + LLAMA_8B_ROPE


def test_mla_rotary_cache_uses_the_rope_head_dim() -> None:
    # DeepSeek-V3 fp8: 671e9 params; 2 × 926,679,040 embedding/lm_head + 881,664 norms =
    # 1,854,239,744 in bf16, the rest 1 B; rotary 163,840 positions × qk_rope_head_dim 64 × 2 B
    result = weights("deepseek-ai/DeepSeek-V3", method="fp8")
    assert result.bytes_per_gpu == 669_145_760_256 + 3_708_479_488 + 163_840 * 64 * 2


def test_deepseek_v32_indexer_is_replicated_on_every_tp_rank() -> None:
    # 61 layers × 13,959,424 indexer parameters (deepseek_v2.py Indexer: ReplicatedLinear and
    # disable_tp) = 851,524,864 × 2 B in bf16 on every GPU, where the rest is split by tp: at
    # tp 8 each GPU holds 7/8 of them more than an even split gives.
    one = weights("deepseek-ai/DeepSeek-V3.2")
    eight = weights("deepseek-ai/DeepSeek-V3.2", tp=8)
    rope = 163_840 * 64 * 2
    replicated = 851_524_864 * 2
    assert eight.bytes_per_gpu == pytest.approx(
        (one.bytes_per_gpu - rope) / 8 + replicated * 7 / 8 + rope
    )
    assert eight.total_bytes == pytest.approx(one.total_bytes - rope + 8 * rope + 7 * replicated)


def _bnb_llama(quantization_config: dict[str, object]) -> WeightsEstimate:
    """Llama-3.1-8B with a bitsandbytes quantization_config as transformers saves it."""
    from vllm_wizard.catalog.models import catalog_model
    from vllm_wizard.models.arch import arch_from_config

    model = catalog_model(LLAMA_8B)
    assert model is not None
    config = {**model.config, "quantization_config": quantization_config}
    return estimate_weights(
        arch_from_config(config),
        params_total=LLAMA_8B_PARAMS,
        params_by_dtype=None,
        dtype="bfloat16",
        method="bitsandbytes",
        tp=1,
        pp=1,
    )


def test_bitsandbytes_4bit_packs_two_weights_per_byte_plus_block_scales() -> None:
    # vLLM ≤ 0.27 (bitsandbytes.py create_qweight_for_4bit: input × output // 2 uint8) with a
    # QuantState per weight. The 6,979,321,856 linear parameters of Llama-3.1-8B; embedding,
    # lm_head and norms (1,050,939,392) stay bf16 (not LinearBase); + the rotary cache.
    # Double quantization (uint8 absmax per 64, fp32 per 256 absmax): 0.5 + 1/64 + 4/16,384
    # = 2,113/4,096 B → 3,600,416,768 + 2,101,878,784 + 33,554,432
    nested = _bnb_llama(
        {"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_use_double_quant": True}
    )
    assert nested.bytes_per_gpu == 5_735_849_984
    # fp32 absmax per 64: 0.5 + 4/64 = 9/16 B → 3,925,868,544 + 2,101,878,784 + 33,554,432
    plain = _bnb_llama({"quant_method": "bitsandbytes", "load_in_4bit": True})
    assert plain.bytes_per_gpu == 6_061_301_760
    # 8-bit: one byte per linear weight, as fp8
    eight = _bnb_llama({"quant_method": "bitsandbytes", "load_in_8bit": True})
    assert eight.bytes_per_gpu == 9_114_755_072


def test_bitsandbytes_on_the_fly_is_4bit_nf4_with_double_quantization() -> None:
    # bitsandbytes_loader.py: quantize_4bit(..., compress_statistics=True, quant_type="nf4")
    assert weights(LLAMA_8B, method="bitsandbytes").bytes_per_gpu == 5_735_849_984
