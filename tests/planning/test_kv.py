"""The KV cache layout of one GPU (planning/kv.py), as vLLM's KV cache planner builds it.

Real catalog architectures; every figure derived by hand from config.json facts and vLLM
0.33's rules (kv_cache_interface.py, kv_cache_planning.py, kv_cache_utils.py).
"""

from __future__ import annotations

import pytest

from planner_testing import LLAMA_8B, LLAMA_8B_BLOCK, resolved
from vllm_wizard.models.arch import ModelArch
from vllm_wizard.planning.kv import (
    KvLayout,
    build_layout,
    default_block_size,
    kv_heads_per_gpu,
    pp_partitions,
    stage_layer_kinds,
    token_bytes_per_layer,
)
from vllm_wizard.planning.versions import rules_for

GEMMA3 = "google/gemma-3-27b-it"
GPT_OSS = "openai/gpt-oss-20b"
LLAMA4 = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
QWEN3_NEXT = "Qwen/Qwen3-Next-80B-A3B-Instruct"
NEMOTRON_H = "nvidia/NVIDIA-Nemotron-Nano-9B-v2"
DEEPSEEK = "deepseek-ai/DeepSeek-V3"


def arch(model_id: str) -> ModelArch:
    return resolved(model_id).arch


def layout(
    model_id: str,
    *,
    version: str = "0.33.0",
    tp: int = 1,
    pp: int = 1,
    stage: int = 0,
    kv_bytes: float = 2,
    block_size: int = 16,
    forced: bool = False,
    batched: int = 8192,
) -> KvLayout:
    model = arch(model_id)
    return build_layout(
        model,
        stage_layer_kinds(model, pp)[stage],
        tp=tp,
        pp=pp,
        kv_dtype_bytes=kv_bytes,
        model_dtype_bytes=2,
        block_size=block_size,
        block_size_forced=forced,
        max_num_batched_tokens=batched,
        rules=rules_for(version),
    )


def shape(kv: KvLayout) -> list[tuple[str, int, int, int]]:
    """(kind, layers, real layers, page bytes) of every group."""
    return [(g.kind, g.layers, g.real_layers, g.page_bytes) for g in kv.groups]


# ----------------------------------------------------------------------------- bytes per token


@pytest.mark.parametrize(
    ("tp", "heads", "per_layer"),
    [
        (1, 8, 4096),  # 2 (K, V) × 8 heads × 128 × 2 B
        (2, 4, 2048),
        (4, 2, 1024),
        (8, 1, 512),
        (16, 1, 512),  # tp > 8 KV heads: each GPU keeps a replica of one head
        (32, 1, 512),
    ],
)
def test_gqa_heads_split_by_tp_then_replicate(tp: int, heads: int, per_layer: int) -> None:
    llama = arch(LLAMA_8B)
    assert kv_heads_per_gpu(llama, tp) == heads
    assert token_bytes_per_layer(llama, tp, 2) == per_layer


def test_known_kv_bytes_per_token() -> None:
    # DESIGN §3, bf16, tp 1: Llama-3.1-8B 32 × 4,096; Llama-2-7B (MHA, 32 KV heads)
    # 32 × 2 × 32 × 128 × 2; DeepSeek-V3 (MLA) 61 × (512 + 64) × 2
    assert layout(LLAMA_8B).bytes_per_token == 131_072
    assert layout("meta-llama/Llama-2-7b-hf").bytes_per_token == 524_288
    assert layout(DEEPSEEK).bytes_per_token == 70_272


def test_mla_is_one_latent_not_split_by_tp() -> None:
    deepseek = arch(DEEPSEEK)
    assert kv_heads_per_gpu(deepseek, 8) == 1
    assert token_bytes_per_layer(deepseek, 1, 2) == token_bytes_per_layer(deepseek, 8, 2) == 1152
    assert layout(DEEPSEEK, tp=8).bytes_per_token == 70_272
    assert token_bytes_per_layer(deepseek, 8, 1) == 576  # fp8: one byte per value


def test_fp8_kv_halves_the_bytes() -> None:
    assert layout(LLAMA_8B, kv_bytes=1).bytes_per_token == 65_536
    assert layout(LLAMA_8B, kv_bytes=1).bytes_per_block == LLAMA_8B_BLOCK // 2


# ----------------------------------------------------------------------------- pipeline stages


@pytest.mark.parametrize(
    ("layers", "pp", "parts"),
    [
        (32, 1, [32]),
        (32, 2, [16, 16]),
        (32, 3, [11, 11, 10]),  # remainder 2 → the second-last and third-last stages
        (61, 2, [31, 30]),
        (61, 4, [15, 15, 16, 15]),
        (28, 5, [5, 6, 6, 6, 5]),
        (62, 4, [15, 16, 16, 15]),
    ],
)
def test_pp_partitions_follow_get_pp_indices(layers: int, pp: int, parts: list[int]) -> None:
    assert pp_partitions(layers, pp) == parts
    assert sum(parts) == layers


def test_stage_layer_kinds_keep_each_stages_own_layers() -> None:
    # Gemma 3 27B: every 6th layer is full attention (indices 5, 11, ..., 59). Over 2 stages of
    # 31 layers, each holds 5 full + 26 sliding layers.
    stages = stage_layer_kinds(arch(GEMMA3), 2)
    assert [len(s) for s in stages] == [31, 31]
    assert [s.count("full") for s in stages] == [5, 5]
    assert [s.count("sliding") for s in stages] == [26, 26]
    # Llama-3.1-8B over 3 stages: the layers the stage gets from get_pp_indices
    assert [len(s) for s in stage_layer_kinds(arch(LLAMA_8B), 3)] == [11, 11, 10]


def test_a_pipeline_stage_allocates_only_its_layers() -> None:
    # 11 layers × 16 × 4,096 B per block on the first of 3 stages
    first = layout(LLAMA_8B, pp=3)
    assert first.layers == 11 and first.bytes_per_block == 11 * 16 * 4096
    assert first.bytes_per_token == 11 * 4096
    assert layout(LLAMA_8B, pp=3, stage=2).bytes_per_block == 10 * 16 * 4096


# ----------------------------------------------------------------------------- full attention


def test_uniform_full_attention_layout() -> None:
    kv = layout(LLAMA_8B)
    assert shape(kv) == [("full", 32, 32, 65_536)]  # page: 16 tokens × 4,096 B
    assert kv.uniform and not kv.attention_free
    assert kv.bytes_per_block == LLAMA_8B_BLOCK == 2_097_152
    assert kv.blocks_per_request(16_000) == 1000
    assert kv.blocks_per_request(16_001) == 1001
    assert kv.needed_bytes(16_000) == 2_097_152_000
    assert kv.request_bytes(768) == 768 * 131_072
    assert kv.num_blocks(2_097_152 * 10 + 5) == 10
    assert kv.num_blocks(0) == 0 and kv.num_blocks(-1.0) == 0


def test_block_size_override_changes_the_page() -> None:
    kv = layout(LLAMA_8B, block_size=32, forced=True)
    assert kv.block_size == 32
    assert kv.bytes_per_block == 32 * 32 * 4096
    assert kv.blocks_per_request(16_000) == 500


def test_max_concurrency_and_kv_tokens_per_rules() -> None:
    kv = layout(LLAMA_8B)
    # 27,129 blocks; a 1,000-token request needs cdiv(1000, 16) = 63 blocks
    assert kv.max_concurrency(27_129, 1000) == 27_129 / 63
    # ≥ 0.22: int(max_concurrency × max_model_len) = int(430.619… × 1000)
    assert kv.kv_tokens(27_129, 1000, rules_for("0.22.0")) == 430_619
    # before: num_blocks × block_size
    assert kv.kv_tokens(27_129, 1000, rules_for("0.21.0")) == 434_064
    # the two agree when max_model_len is a multiple of the block size
    assert kv.kv_tokens(27_129, 16_000, rules_for("0.33.0")) == 434_064


def test_longest_request_is_vllms_binary_search() -> None:
    kv = layout(LLAMA_8B)
    # 1000 blocks of 2 MiB hold 16,000 tokens, not one more
    assert kv.longest_request(2_097_152_000, 131_072) == 16_000
    assert kv.longest_request(2_097_152_000 - 1, 131_072) == 15_984
    assert kv.longest_request(2_097_152_000, 10_000) == 10_000  # capped by the limit
    assert kv.longest_request(2_097_151, 131_072) == 0  # not even one block


# ----------------------------------------------------------------------------- sliding window


def test_gemma3_groups_52_sliding_and_10_full_layers_in_groups_of_10() -> None:
    # 52 ≥ 1.5 × 10, so the group size is the smaller bucket, 10: the 52 sliding layers are
    # dealt into cdiv(52, 10) = 6 groups (layers[i::6]: 9, 9, 9, 9, 8, 8 real, 8 padding
    # slots), the 10 full layers form one. Page: 16 × 2 × 16 heads × 128 × 2 B = 131,072.
    kv = layout(GEMMA3)
    page = 131_072
    assert shape(kv) == [
        ("sliding", 10, 9, page),
        ("sliding", 10, 9, page),
        ("sliding", 10, 9, page),
        ("sliding", 10, 9, page),
        ("sliding", 10, 8, page),
        ("sliding", 10, 8, page),
        ("full", 10, 10, page),
    ]
    assert kv.bytes_per_block == 10 * page == 1_310_720  # group size × page
    assert kv.bytes_per_token == 62 * 8192 == 507_904
    assert all(g.window == 1024 for g in kv.groups if g.kind == "sliding")


def test_gemma3_blocks_per_request_with_async_in_flight_batches() -> None:
    # 0.33 (Model Runner V2, async scheduling, pp 1): in flight = 2 × 8,192 = 16,384 tokens.
    # Sliding: cdiv(min(1,024 − 1 + 16,384, 32,768), 16) + 1 = 1,088 + 1 = 1,089 per group × 6;
    # full: cdiv(32,768, 16) = 2,048. 6,534 + 2,048 = 8,582 blocks.
    kv = layout(GEMMA3)
    assert kv.in_flight == 16_384
    assert kv.blocks_per_request(32_768) == 8_582
    assert kv.needed_bytes(32_768) == 8_582 * 1_310_720
    # 0.24 (no async in-flight reservation): cdiv(1,023 + 8,192, 16) + 1 = 577 → 3,462 + 2,048
    old = layout(GEMMA3, version="0.24.0")
    assert old.in_flight == 8192
    assert old.blocks_per_request(32_768) == 5_510


def test_sliding_window_request_bytes_cap_at_the_window() -> None:
    kv = layout(GEMMA3)
    # a short request: every layer holds all of its 768 tokens
    assert kv.request_bytes(768) == 62 * 8192 * 768
    # a 100,000-token request: sliding layers hold 1,023 + 16,384 = 17,407 tokens
    assert kv.request_bytes(100_000) == 52 * 8192 * 17_407 + 10 * 8192 * 100_000


def test_gpt_oss_two_equal_buckets_form_two_groups_of_12() -> None:
    # 12 sliding (window 128) + 12 full layers; 8 KV heads × 64: 2,048 B per token and layer
    kv = layout(GPT_OSS)
    assert shape(kv) == [("sliding", 12, 12, 32_768), ("full", 12, 12, 32_768)]
    assert kv.bytes_per_block == 12 * 32_768 == 393_216
    assert kv.bytes_per_token == 24 * 2048 == 49_152
    # full 2,048 + sliding cdiv(min(127 + 16,384, 32,768), 16) + 1 = 1,032 + 1
    assert kv.blocks_per_request(32_768) == 2048 + 1033
    # 0.24: cdiv(127 + 8,192, 16) + 1 = 521
    assert layout(GPT_OSS, version="0.24.0").blocks_per_request(32_768) == 2048 + 521
    # a request shorter than the window holds at most its own length, + 1 block
    assert kv.blocks_per_request(100) == 7 + 7 + 1


def test_hybrid_kv_tokens_per_rules() -> None:
    kv = layout(GPT_OSS)
    # ≥ 0.22: int(10,000 / 3,081 × 32,768) = int(106,355.08…); before: 10,000 // 2 groups × 16
    assert kv.kv_tokens(10_000, 32_768, rules_for("0.33.0")) == 106_355
    assert kv.kv_tokens(10_000, 32_768, rules_for("0.20.0")) == 80_000


def test_groups_of_the_larger_bucket_when_under_one_and_a_half_times_the_smaller() -> None:
    # Gemma 2 9B: 21 sliding + 21 full → one group each of 21
    kv = layout("google/gemma-2-9b-it")
    assert [(g.kind, g.layers) for g in kv.groups] == [("sliding", 21), ("full", 21)]
    # Gemma 3 on the first of 4 stages (layers 0–14): 13 sliding + 2 full; 13 ≥ 3 → groups of
    # 2: cdiv(13, 2) = 7 sliding groups (real 2, 2, 2, 2, 2, 2, 1) + 1 full group
    first = layout(GEMMA3, pp=4)
    assert [(g.kind, g.layers, g.real_layers) for g in first.groups] == [
        *[("sliding", 2, 2)] * 6,
        ("sliding", 2, 1),
        ("full", 2, 2),
    ]


# ----------------------------------------------------------------------------- chunked local


def test_llama4_chunked_local_attention() -> None:
    # 36 chunked (RoPE) + 12 full (NoPE, every 4th) layers → groups of 12: 3 chunked + 1 full.
    # 8 KV heads × 128: 4,096 B per token and layer; page 65,536; block id 12 × 65,536.
    kv = layout(LLAMA4)
    assert shape(kv) == [("chunked", 12, 12, 65_536)] * 3 + [("full", 12, 12, 65_536)]
    assert kv.bytes_per_block == 786_432
    assert kv.bytes_per_token == 48 * 4096
    # chunked: cdiv(min(8,192 + 16,384, 32,768), 16) = 1,536 per group (no +1), full 2,048
    assert kv.blocks_per_request(32_768) == 3 * 1536 + 2048 == 6656
    # 0.24: cdiv(8,192 + 8,192, 16) = 1,024
    assert layout(LLAMA4, version="0.24.0").blocks_per_request(32_768) == 3 * 1024 + 2048


# ----------------------------------------------------------------------------- Mamba hybrids


def test_qwen3_next_attention_block_grows_to_hold_the_delta_net_state() -> None:
    # Gated delta net, tp 1: conv (3, 16·128·2 + 32·128 = 8,192) + state (32, 128, 128) =
    # 24,576 + 524,288 values × 2 B = 1,097,728 B. Attention: 2 KV heads × 256 × 2 × 2 B =
    # 2,048 B per token. _align_hybrid_block_size: 16 × cdiv(1,097,728, 16 × 2,048) = 16 × 34
    # = 544 tokens ("Setting attention block size to 544 tokens"); the Mamba page is padded to
    # 544 × 2,048 = 1,114,112 B.
    kv = layout(QWEN3_NEXT)
    assert kv.block_size == 544
    page = 544 * 2048
    assert shape(kv) == [("mamba", 12, 12, page)] * 3 + [("full", 12, 12, page)]
    assert kv.bytes_per_block == 12 * page == 13_369_344
    assert kv.bytes_per_token == 12 * 2048  # only the attention layers hold tokens
    # prefix caching ("align"): 2 state blocks per Mamba group; full: cdiv(32,768, 544) = 61
    assert [g.state_blocks for g in kv.groups if g.kind == "mamba"] == [2, 2, 2]
    assert kv.blocks_per_request(32_768) == 61 + 3 * 2


def test_qwen3_next_block_size_at_higher_tp() -> None:
    # tp 4: state (3 × 2,048 + 8 × 128 × 128) × 2 B = 274,432 B; 2 KV heads // 4 → 1 replica:
    # 1,024 B per token. 16 × cdiv(274,432, 16 × 1,024) = 16 × 17 = 272.
    assert layout(QWEN3_NEXT, tp=4).block_size == 272
    # tp 2: (3 × 4,096 + 16 × 128 × 128) × 2 = 548,864 B; 1,024 B per token: 16 × 34 = 544
    assert layout(QWEN3_NEXT, tp=2).block_size == 544


def test_a_smaller_block_size_the_user_sets_is_raised_a_larger_one_kept() -> None:
    assert layout(QWEN3_NEXT, block_size=16, forced=True).block_size == 544
    larger = layout(QWEN3_NEXT, block_size=1024, forced=True)
    assert larger.block_size == 1024
    # the Mamba page is padded up to the attention page: 1,024 × 2,048
    assert {g.page_bytes for g in larger.groups} == {2_097_152}


def test_nemotron_h_mamba2_block_size_alignment() -> None:
    # Mamba2 (fp32 temporal state): conv (3, 10,240 + 2·8·128 = 12,288) × 2 B = 73,728 B +
    # state (128, 80, 128) × 4 B = 5,242,880 B → 5,316,608 B. Attention 8 × 128 × 2 × 2 = 4,096
    # B per token: 16 × cdiv(5,316,608, 65,536) = 16 × 82 = 1,312 tokens; page 1,312 × 4,096.
    kv = layout(NEMOTRON_H)
    assert kv.block_size == 1312
    page = 1312 * 4096
    # 27 Mamba + 4 full layers (the 25 MLP-only layers hold nothing): groups of 4, the Mamba
    # bucket dealt into cdiv(27, 4) = 7 groups (4, 4, 4, 4, 4, 4, 3 real layers)
    assert shape(kv) == [("mamba", 4, 4, page)] * 6 + [("mamba", 4, 3, page), ("full", 4, 4, page)]
    assert kv.bytes_per_block == 4 * page == 21_495_808
    # Mamba2 in align mode: 2 + 1 prefill checkpoint = 3 blocks per group; full cdiv(32,768,
    # 1,312) = 25
    assert [g.state_blocks for g in kv.groups if g.kind == "mamba"] == [3] * 7
    assert kv.blocks_per_request(32_768) == 25 + 7 * 3
    # the workload need: 27 layers × 3 state pages + 4 × 4,096 B × 768 tokens
    assert kv.request_bytes(768) == 27 * page * 3 + 4 * 4096 * 768


def test_a_stage_without_attention_or_state_is_attention_free() -> None:
    kv = build_layout(
        arch(NEMOTRON_H),
        ("none", "none"),
        tp=1,
        pp=1,
        kv_dtype_bytes=2,
        model_dtype_bytes=2,
        block_size=16,
        block_size_forced=False,
        max_num_batched_tokens=8192,
        rules=rules_for("0.33.0"),
    )
    assert kv.attention_free and kv.bytes_per_block == 0 and kv.num_blocks(1e12) == 0


# ----------------------------------------------------------------------------- in-flight tokens


@pytest.mark.parametrize(
    ("version", "pp", "in_flight"),
    [
        ("0.24.0", 1, 8192),  # no async reservation yet
        ("0.26.0", 1, 2 * 8192),  # async scheduling, V1 runner: 2 batches at pp 1
        ("0.26.0", 2, 2 * 8192),  # ... and pp batches otherwise
        ("0.28.0", 4, 4 * 8192),
        ("0.33.0", 1, 2 * 8192),  # Model Runner V2: pp + 1
        ("0.33.0", 2, 3 * 8192),
    ],
)
def test_in_flight_tokens_by_release(version: str, pp: int, in_flight: int) -> None:
    assert layout(GPT_OSS, version=version, pp=pp).in_flight == in_flight


# ----------------------------------------------------------------------------- block size


@pytest.mark.parametrize(
    ("model_id", "capability", "kv_dtype", "block"),
    [
        (DEEPSEEK, (9, 0), "auto", 16),  # FLASH_ATTN_MLA
        (DEEPSEEK, (9, 0), "fp8", 64),  # FLASHMLA (FLASH_ATTN_MLA takes no fp8 KV)
        (DEEPSEEK, (9, 0), "fp8_e4m3", 64),
        (DEEPSEEK, (10, 0), "auto", 32),  # FLASHINFER_MLA
        (DEEPSEEK, (8, 0), "auto", 16),  # TRITON_MLA
        (DEEPSEEK, None, "fp8", 16),
        (LLAMA_8B, (9, 0), "fp8", 16),  # non-MLA backends keep 16
        (LLAMA_8B, (10, 0), "auto", 16),
    ],
)
def test_default_block_size_by_backend(
    model_id: str, capability: tuple[int, int] | None, kv_dtype: str, block: int
) -> None:
    assert default_block_size(arch(model_id), capability, kv_dtype) == block


def test_deepseek_v32_caches_the_indexer_key_beside_the_latent() -> None:
    # DeepseekV32IndexerCache (vllm/model_executor/models/deepseek_v2.py, 0.33.0): an
    # MLAAttentionSpec of head_size index_head_dim + index_head_dim // 128 × 4 = 132, uint8,
    # in every layer (index_topk_freq defaults to 1). Latent and indexer specs are both full
    # attention of one block size: one UniformTypeKVCacheSpecs group whose page is the sum,
    # so one token costs 61 × (576 × 2 + 132) = 78,324 bytes on every GPU (not split by tp).
    v32 = arch("deepseek-ai/DeepSeek-V3.2")
    assert v32.mla is not None and v32.mla.indexer_head_dim == 128
    assert v32.mla.indexer_cache_bytes == 132
    assert token_bytes_per_layer(v32, 8, 2) == 1152 + 132
    bf16 = layout("deepseek-ai/DeepSeek-V3.2", tp=8, block_size=64)
    assert bf16.bytes_per_token == 61 * 1284 == 78_324
    assert len(bf16.groups) == 1 and bf16.bytes_per_block == 61 * 64 * 1284
    # an fp8 KV cache is FlashMLA-sparse's fp8_ds_mla record: 512 fp8 + 4 fp32 scales +
    # 64 bf16 RoPE values = 656 bytes (flashmla_sparse.py); the indexer key stays 132
    assert token_bytes_per_layer(v32, 1, 1) == 656 + 132
    # DeepSeek-V3 (no index_topk) keeps its 70,272 bytes
    assert layout(DEEPSEEK).bytes_per_token == 70_272


def test_sparse_mla_uses_64_token_blocks_on_every_gpu() -> None:
    # the indexer backend takes block size 64 only on CUDA (DeepseekV32IndexerBackend.
    # get_supported_kernel_block_sizes), the sparse MLA backends multiples of 64 or 32
    v32 = arch("deepseek-ai/DeepSeek-V3.2")
    for capability in ((8, 0), (9, 0), (10, 0), None):
        for kv in ("auto", "fp8"):
            assert default_block_size(v32, capability, kv) == 64
