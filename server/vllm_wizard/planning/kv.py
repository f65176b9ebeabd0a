"""The KV cache layout of one GPU, as vLLM's KV cache planner builds it.

vLLM 0.33.0: `vllm/v1/kv_cache_interface.py` (page sizes, `max_memory_usage_bytes` per spec),
`vllm/v1/core/kv_cache_planning.py` (`get_kv_cache_groups`,
`_get_kv_cache_groups_uniform_page_size`, `get_kv_cache_configs`,
`_check_enough_kv_cache_memory`, `_auto_fit_max_model_len`),
`vllm/v1/core/kv_cache_utils.py` (`get_max_concurrency_for_kv_cache_config`, the
"GPU KV cache size" line) and `vllm/platforms/interface.py` (`_align_hybrid_block_size`).

* A page is one block of one layer: `block_size × bytes per token per layer`. Full attention
  (and MLA) holds every token; a sliding-window layer `min(window − 1 + in-flight tokens,
  max_model_len)` tokens plus one block; a chunked-local layer (Llama 4) `min(chunk + in-flight,
  max_model_len)`; a Mamba / linear-attention layer a constant state per request.
* Layers of one kind form one group; a model with several kinds is split into groups of
  equal size (`group_size`: the smallest bucket, or the largest when it is under 1.5× the
  smallest), padding short groups. All groups draw block ids from one pool: one block id costs
  `group_size × page` bytes (`layers × page` for a model of one kind).
* num_blocks = available // bytes per block; a request of max_model_len needs
  Σ over groups of its blocks; max concurrency = num_blocks / that; since 0.22 the token
  figure is int(max concurrency × max_model_len).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from vllm_wizard.models.arch import LayerKind, ModelArch
from vllm_wizard.planning.versions import Rules

GroupKind = Literal["full", "sliding", "chunked", "mamba"]

DEFAULT_BLOCK_SIZE = 16
"""`CacheConfig.DEFAULT_BLOCK_SIZE`; FlashAttention, FlashInfer and Triton keep it."""

SPARSE_MLA_BLOCK_SIZE = 64
"""DeepSeek sparse attention's block size on CUDA: the indexer backend takes 64 only and the
sparse MLA backends multiples of 64 (FlashInfer's of 32): `DeepseekV32IndexerBackend` in
v1/attention/backends/mla/indexer.py, `_preferred_block_size_for_backends`."""

FP8_DS_MLA_SCALE_BLOCK = 128
"""`fp8_ds_mla`: one fp32 scale per 128 latent values (flashmla_sparse.py)."""

HYBRID_GROUP_RATIO = 1.5
"""`_get_kv_cache_groups_uniform_page_size`: the largest bucket sets the group size when it
is under 1.5× the smallest."""


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True, slots=True)
class KvGroup:
    """One KV cache group: `layers` layers of one kind sharing a block table."""

    kind: GroupKind
    layers: int
    """Layers in the group (padding slots included)."""
    real_layers: int
    """Layers that hold a cache (padding excluded)."""
    page_bytes: int
    """One block of one layer."""
    token_bytes: int
    """One token of one layer (attention); 0 for Mamba."""
    window: int | None = None
    """Sliding window or attention chunk, in tokens."""
    state_blocks: int = 1
    """Mamba: blocks each request holds."""

    def tokens_held(self, max_model_len: int, in_flight: int) -> int:
        """Tokens one request of `max_model_len` keeps in this group's layers."""
        if self.kind == "full":
            return max_model_len
        if self.kind == "sliding":
            assert self.window is not None
            return min(self.window - 1 + in_flight, max_model_len)
        if self.kind == "chunked":
            assert self.window is not None
            return min(self.window + in_flight, max_model_len)
        return 0

    def blocks_per_request(self, max_model_len: int, block_size: int, in_flight: int) -> int:
        """`cdiv(spec.max_memory_usage_bytes, spec.page_size_bytes)`."""
        if self.kind == "mamba":
            return self.state_blocks
        tokens = self.tokens_held(max_model_len, in_flight)
        blocks = cdiv(tokens, block_size)
        if self.kind == "sliding":
            blocks += 1
        return blocks


@dataclass(frozen=True, slots=True)
class KvLayout:
    """Every KV cache group of one GPU and the figures derived from them."""

    groups: tuple[KvGroup, ...]
    block_size: int
    in_flight: int
    """Tokens a sliding or chunked layer must keep beyond its window (in-flight batches)."""
    bytes_per_token: int
    """One token in every attention layer of this GPU (plan.json `kv_bytes_per_token`)."""
    token_bytes_per_layer: int
    layers: int
    """Decoder layers on this GPU."""

    @property
    def bytes_per_block(self) -> int:
        """What one block id costs: the largest group's `layers × page`."""
        return max((g.layers * g.page_bytes for g in self.groups), default=0)

    @property
    def uniform(self) -> bool:
        return len(self.groups) <= 1

    @property
    def attention_free(self) -> bool:
        return not self.groups

    def blocks_per_request(self, max_model_len: int) -> int:
        return sum(
            g.blocks_per_request(max_model_len, self.block_size, self.in_flight)
            for g in self.groups
        )

    def needed_bytes(self, max_model_len: int) -> int:
        """KV one request of `max_model_len` needs (vLLM's start-up check)."""
        return self.bytes_per_block * self.blocks_per_request(max_model_len)

    def request_bytes(self, tokens: int) -> float:
        """KV a request of `tokens` tokens holds, token-exact (the workload's need)."""
        total = 0.0
        for group in self.groups:
            if group.kind == "mamba":
                total += group.real_layers * group.page_bytes * group.state_blocks
            else:
                held = group.tokens_held(tokens, self.in_flight)
                total += group.real_layers * group.token_bytes * held
        return total

    def num_blocks(self, available_bytes: float) -> int:
        per_block = self.bytes_per_block
        if per_block <= 0 or available_bytes <= 0:
            return 0
        return int(available_bytes // per_block)

    def max_concurrency(self, num_blocks: int, max_model_len: int) -> float:
        per_request = self.blocks_per_request(max_model_len)
        return num_blocks / per_request if per_request else math.inf

    def kv_tokens(self, num_blocks: int, max_model_len: int, rules: Rules) -> int:
        """vLLM's "GPU KV cache size: N tokens"."""
        if rules.tokens_from_concurrency:
            return int(self.max_concurrency(num_blocks, max_model_len) * max_model_len)
        groups = max(1, len(self.groups))
        return num_blocks // groups * self.block_size

    def longest_request(self, available_bytes: float, limit: int) -> int:
        """The largest max_model_len ≤ `limit` whose one request fits (vLLM's binary search)."""
        if self.needed_bytes(1) > available_bytes:
            return 0
        low, high = 1, limit
        while low < high:
            middle = (low + high + 1) // 2
            if self.needed_bytes(middle) <= available_bytes:
                low = middle
            else:
                high = middle - 1
        return low


def pp_partitions(num_layers: int, pp: int) -> list[int]:
    """Layers per pipeline stage (`vllm.distributed.utils.get_pp_indices`): even, with the
    remainder on the second-last, third-last, ... stages."""
    per_stage = num_layers // pp
    parts = [per_stage] * pp
    for index in range(2, num_layers % pp + 2):
        parts[-index] += 1
    return parts


def stage_layer_kinds(arch: ModelArch, pp: int) -> list[tuple[LayerKind, ...]]:
    """The layer kinds each pipeline stage holds."""
    kinds = arch.layer_kinds
    stages: list[tuple[LayerKind, ...]] = []
    start = 0
    for count in pp_partitions(len(kinds), pp):
        stages.append(kinds[start : start + count])
        start += count
    return stages


def kv_heads_per_gpu(arch: ModelArch, tp: int) -> int:
    """`ModelConfig.get_num_kv_heads`: 1 for MLA, else max(1, kv heads // tp)."""
    if arch.mla is not None:
        return 1
    return max(1, arch.num_kv_heads // tp)


def token_bytes_per_layer(arch: ModelArch, tp: int, kv_dtype_bytes: float) -> int:
    """One token of one attention layer on one GPU.

    Full / GQA / MQA: 2 × heads per GPU × head_dim × bytes (K and V); MLA: the latent
    `kv_lora_rank + qk_rope_head_dim` once, not split by tp.

    Sparse MLA (DeepSeek-V3.2's indexer): every layer also caches its indexer key
    (`MLAAttentionSpec` of 132 uint8 per token, deepseek_v2.py `DeepseekV32IndexerCache`).
    Both specs are full attention of one block size, so vLLM puts them in one group
    (`UniformTypeKVCacheSpecs`, page = the sum of the layers' pages): a token costs latent +
    indexer in every layer. An fp8 latent is FlashMLA-sparse's `fp8_ds_mla` record (512 fp8
    values, 4 fp32 scales, 64 bf16 RoPE values: 656 bytes, `_canonicalize_sparse_mla_kv_cache
    _dtype` in mla_attention.py); Blackwell's FlashInfer sparse backend stores 576, which this
    overstates.
    """
    mla = arch.mla
    if mla is not None:
        if mla.indexer_head_dim is None:
            return int(mla.cache_dim * kv_dtype_bytes)
        if kv_dtype_bytes == 1:
            latent = mla.kv_lora_rank + mla.kv_lora_rank // FP8_DS_MLA_SCALE_BLOCK * 4
            latent += mla.qk_rope_head_dim * 2
        else:
            latent = int(mla.cache_dim * kv_dtype_bytes)
        return latent + mla.indexer_cache_bytes
    return int(2 * kv_heads_per_gpu(arch, tp) * arch.head_dim * kv_dtype_bytes)


def default_block_size(
    arch: ModelArch, capability: tuple[int, int] | None, kv_cache_dtype: str
) -> int:
    """The block size vLLM's attention backend settles on (`update_block_size_for_backend`).

    Non-MLA backends (FlashAttention, FlashInfer, Triton) keep 16. MLA picks by GPU: on
    Hopper FLASH_ATTN_MLA (16) unless the KV cache is fp8, then FLASHMLA (64); on Blackwell
    datacenter parts FLASHINFER_MLA (32); elsewhere TRITON_MLA (16). Sparse MLA (an indexer):
    64 on every GPU.
    """
    if arch.mla is not None and arch.mla.indexer_head_dim is not None:
        return SPARSE_MLA_BLOCK_SIZE
    if arch.mla is None or capability is None:
        return DEFAULT_BLOCK_SIZE
    if capability[0] == 9:
        return 64 if kv_cache_dtype.startswith("fp8") else DEFAULT_BLOCK_SIZE
    if capability[0] == 10:
        return 32
    return DEFAULT_BLOCK_SIZE


def _mamba_state_bytes(arch: ModelArch, tp: int, dtype_bytes: float) -> int:
    assert arch.mamba is not None
    conv, ssm = arch.mamba.state_elements(tp)
    ssm_bytes = 4.0 if arch.mamba.ssm_state_dtype == "float32" else dtype_bytes
    return int(conv * dtype_bytes + ssm * ssm_bytes)


def _group_size(bucket_sizes: Sequence[int]) -> int:
    smallest, largest = min(bucket_sizes), max(bucket_sizes)
    return largest if largest < HYBRID_GROUP_RATIO * smallest else smallest


def build_layout(
    arch: ModelArch,
    stage_kinds: Sequence[LayerKind],
    *,
    tp: int,
    pp: int,
    kv_dtype_bytes: float,
    model_dtype_bytes: float,
    block_size: int,
    block_size_forced: bool,
    max_num_batched_tokens: int,
    rules: Rules,
    prefix_caching: bool = True,
) -> KvLayout:
    """The groups of one pipeline stage's layers."""
    per_token = token_bytes_per_layer(arch, tp, kv_dtype_bytes)
    if rules.async_in_flight:
        batches = pp + 1 if rules.model_runner_v2 else (2 if pp == 1 else pp)
    else:
        batches = 1
    in_flight = batches * max_num_batched_tokens

    buckets: dict[GroupKind, int] = {}
    for kind in stage_kinds:
        if kind in ("mamba", "linear"):
            buckets["mamba"] = buckets.get("mamba", 0) + 1
        elif kind in ("full", "sliding", "chunked"):
            buckets[kind] = buckets.get(kind, 0) + 1
    attention_layers = sum(n for k, n in buckets.items() if k != "mamba")

    mamba_page = 0
    if "mamba" in buckets and arch.mamba is not None:
        mamba_page = _mamba_state_bytes(arch, tp, model_dtype_bytes)
        if per_token > 0 and attention_layers:
            align = max(DEFAULT_BLOCK_SIZE, block_size)
            aligned = align * cdiv(mamba_page, align * per_token)
            aligned = DEFAULT_BLOCK_SIZE * cdiv(aligned, DEFAULT_BLOCK_SIZE)
            if block_size < aligned or not block_size_forced:
                block_size = max(block_size, aligned)
            mamba_page = max(mamba_page, block_size * per_token)
    page = block_size * per_token

    if not buckets:
        return KvLayout((), block_size, in_flight, 0, per_token, len(stage_kinds))

    mamba_blocks = 1
    if prefix_caching and arch.mamba is not None:
        mamba_blocks = 2 + (1 if arch.mamba.kind == "mamba2" else 0)

    def group(kind: GroupKind, layers: int, real: int) -> KvGroup:
        if kind == "mamba":
            return KvGroup("mamba", layers, real, mamba_page, 0, None, mamba_blocks)
        window = arch.sliding_window if kind == "sliding" else None
        if kind == "chunked":
            window = arch.attention_chunk_size
        return KvGroup(kind, layers, real, page, per_token, window)

    groups: list[KvGroup] = []
    if len(buckets) == 1:
        ((kind, count),) = buckets.items()
        groups.append(group(kind, count, count))
    else:
        size = _group_size(list(buckets.values()))
        for kind, count in buckets.items():
            parts = cdiv(count, size)
            for index in range(parts):
                # vLLM deals the bucket's layers out as layers[index::parts]
                real = len(range(index, count, parts))
                groups.append(group(kind, size, real))
    return KvLayout(
        tuple(groups),
        block_size,
        in_flight,
        per_token * attention_layers,
        per_token,
        len(stage_kinds),
    )
