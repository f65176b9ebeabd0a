"""The frozen values :func:`~vllm_wizard.models.arch.arch_from_config` returns, and its error.

Everything outside this package reads a model through these types; they hold facts only and
know nothing of how a ``config.json`` spells them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

LayerKind = Literal["full", "sliding", "chunked", "mamba", "linear", "none"]
"""What one decoder layer keeps per request.

``full``: a KV cache over the whole sequence; ``sliding``: KV over the last ``sliding_window``
tokens; ``chunked``: KV over the current ``attention_chunk_size`` chunk (Llama 4); ``mamba`` /
``linear``: a constant recurrent state (Mamba SSM, gated delta net / linear attention); ``none``:
nothing (an MLP- or MoE-only block of a hybrid such as Nemotron-H).
"""

AttentionKind = Literal["full", "mla", "sliding", "chunked", "hybrid"]
"""The one-word summary plan.json reports as ``model.architecture.attention``."""

MambaKind = Literal["mamba1", "mamba2", "gated_delta_net"]


class ModelConfigError(ValueError):
    """A ``config.json`` that cannot describe a model: a required key is missing or mistyped."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


INDEXER_QUANT_BLOCK = 128
"""``Indexer.quant_block_size`` (vllm/model_executor/models/deepseek_v2.py, 0.33.0)."""


@dataclass(frozen=True, slots=True)
class MLAInfo:
    """Multi-head latent attention (DeepSeek V2/V3/R1, Kimi K2, ...).

    vLLM caches one latent vector of ``kv_lora_rank + qk_rope_head_dim`` values per token and
    layer, not split across tensor-parallel ranks (``ModelConfig.get_num_kv_heads`` returns 1).
    """

    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int
    v_head_dim: int
    q_lora_rank: int | None
    indexer_head_dim: int | None = None
    """DeepSeek sparse attention (V3.2, GLM-5): the lightning indexer's key size, when the
    config has ``index_topk`` (vLLM's ``is_v32`` in deepseek_v2.py); every layer then also
    caches one indexer key per token."""
    indexer_heads: int = 0
    """``index_n_heads``: the indexer's query heads (its weights, not its cache)."""

    @property
    def cache_dim(self) -> int:
        """Values cached per token and layer: ``kv_lora_rank + qk_rope_head_dim`` (576 for V3)."""
        return self.kv_lora_rank + self.qk_rope_head_dim

    @property
    def indexer_cache_bytes(self) -> int:
        """Bytes of indexer key per token and layer: fp8 values plus one fp32 scale per 128
        (``DeepseekV32IndexerCache``: head_dim + head_dim // 128 × 4, uint8; 132 for V3.2)."""
        if self.indexer_head_dim is None:
            return 0
        return self.indexer_head_dim + self.indexer_head_dim // INDEXER_QUANT_BLOCK * 4


@dataclass(frozen=True, slots=True)
class MoEInfo:
    """Mixture-of-experts facts.

    ``moe_layers`` are the indices of the decoder layers whose MLP is the routed-expert block;
    the others use a dense MLP of ``dense_intermediate_size``.
    """

    num_experts: int
    experts_per_token: int
    moe_intermediate_size: int
    num_shared_experts: int
    shared_expert_intermediate_size: int
    moe_layers: tuple[int, ...]
    dense_intermediate_size: int

    @property
    def num_moe_layers(self) -> int:
        return len(self.moe_layers)


@dataclass(frozen=True, slots=True)
class QuantizationInfo:
    """The checkpoint's ``quantization_config`` (or ``compression_config``), summarized.

    ``method`` is normalized as vLLM does (lower case, ``compressed_tensors`` →
    ``compressed-tensors``, ModelOpt producers → ``modelopt`` / ``modelopt_fp4``); vLLM later
    renames ``mxfp4`` to ``gpt_oss_mxfp4`` for gpt-oss, which is not reflected here.
    ``bits`` is the weight width; ``not_quantized`` lists the module patterns the file says stay
    in the model dtype (``modules_to_not_convert``, ``ignore``, ``ignored_layers``, ...).
    ``kv_cache_bits`` is set when a compressed-tensors checkpoint declares a KV-cache scheme:
    vLLM then uses an fp8 KV cache unless the user picks another ``kv_cache_dtype``.
    """

    method: str
    bits: int | None
    group_size: int | None
    weight_block_size: tuple[int, ...] | None
    weight_type: str | None
    not_quantized: tuple[str, ...]
    kv_cache_bits: int | None
    nested_scales: bool = False
    """bitsandbytes double quantization (``bnb_4bit_use_double_quant``): the per-block absmax
    scales are themselves 8-bit, with one fp32 scale per 256 of them."""


@dataclass(frozen=True, slots=True)
class MambaInfo:
    """Recurrent-state facts of a hybrid model: a constant state per request and layer.

    ``num_layers`` counts the layers that carry a state (for Falcon-H1, whose layers run attention
    and Mamba side by side, that is every layer). ``ssm_state_dtype`` is the temporal-state dtype
    the model forces when the user leaves ``mamba_ssm_cache_dtype`` on auto (Nemotron-H:
    ``float32``; Qwen3.5: its ``mamba_ssm_dtype``); ``None`` means the model dtype.
    """

    kind: MambaKind
    num_layers: int
    conv_kernel: int
    state_size: int = 0
    intermediate_size: int = 0
    n_groups: int = 0
    num_heads: int = 0
    head_dim: int = 0
    num_k_heads: int = 0
    num_v_heads: int = 0
    head_k_dim: int = 0
    head_v_dim: int = 0
    ssm_state_dtype: str | None = None

    def state_shapes(self, tp: int = 1) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(conv state shape, temporal state shape) of one layer for one request on one GPU.

        Mirrors ``MambaStateShapeCalculator.mamba1_state_shape`` / ``mamba2_state_shape`` /
        ``gated_delta_net_state_shape`` (no speculative tokens, "SD" conv layout).
        """
        if tp < 1:
            raise ValueError("tp must be >= 1")
        if self.kind == "mamba1":
            conv = (self.conv_kernel - 1, _divide(self.intermediate_size, tp))
            return conv, (_divide(self.intermediate_size, tp), self.state_size)
        if self.kind == "mamba2":
            groups = self.n_groups + (0 if self.n_groups % tp == 0 else tp - self.n_groups)
            conv_dim = self.intermediate_size + 2 * groups * self.state_size
            conv = (self.conv_kernel - 1, _divide(conv_dim, tp))
            return conv, (_divide(self.num_heads, tp), self.head_dim, self.state_size)
        conv_dim = self.head_k_dim * self.num_k_heads * 2 + self.head_v_dim * self.num_v_heads
        conv = (self.conv_kernel - 1, _divide(conv_dim, tp))
        return conv, (_divide(self.num_v_heads, tp), self.head_v_dim, self.head_k_dim)

    def state_elements(self, tp: int = 1) -> tuple[int, int]:
        """(conv elements, temporal-state elements) of one layer for one request on one GPU."""
        conv, ssm = self.state_shapes(tp)
        return math.prod(conv), math.prod(ssm)


@dataclass(frozen=True, slots=True)
class VisionInfo:
    """A ViT-style vision tower (``vision_config``), only for parameter estimates."""

    hidden_size: int
    intermediate_size: int
    num_layers: int
    patch_size: int
    image_size: int
    num_channels: int


@dataclass(frozen=True, slots=True)
class ModelArch:
    """What the planner needs from a model's ``config.json``.

    Sizes are vLLM's view of the *text* model (``text_config`` for multimodal models).
    ``head_dim`` is vLLM's ``get_head_size``: the config's ``head_dim``, else
    ``hidden_size // num_attention_heads``, and for MLA ``kv_lora_rank + qk_rope_head_dim``.
    ``num_kv_heads`` is the config's total (``get_total_num_kv_heads``); with MLA vLLM keeps a
    single latent head per GPU whatever that number is.

    ``max_model_len`` is the length vLLM uses when the user gives none (or ``-1``);
    ``derived_max_model_len`` is the limit a user-given ``max_model_len`` is checked against
    (they differ only for LongRoPE models, whose default is ``original_max_position_embeddings``);
    a value above the limit is still accepted up to ``model_max_length`` when the config has one.
    """

    model_type: str
    text_model_type: str
    architectures: tuple[str, ...]
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    intermediate_size: int
    torch_dtype: str | None
    tie_word_embeddings: bool
    layer_kinds: tuple[LayerKind, ...]
    sliding_window: int | None
    attention_chunk_size: int | None
    max_model_len: int
    derived_max_model_len: int
    max_len_key: str | None
    rope_scaling_factor: float
    model_max_length: int | None = None
    rope_cache_positions: int = 0
    """Positions of all rotary cos/sin caches vLLM builds, when they differ from
    ``derived_max_model_len`` (one cache of that length): Gemma 3 keeps one per layer type."""
    mla: MLAInfo | None = None
    moe: MoEInfo | None = None
    quantization: QuantizationInfo | None = None
    mamba: MambaInfo | None = None
    vision: VisionInfo | None = None
    is_multimodal: bool = False
    attention_bias: bool = False
    qkv_bias: bool = False
    qk_norm: bool = False
    gated_attention: bool = False
    attention_sinks: bool = False
    norms_per_layer: int = 2
    gated_mlp: bool = True

    @property
    def attention(self) -> AttentionKind:
        """plan.json's ``attention``: hybrid > mla > chunked > sliding > full."""
        kinds = set(self.layer_kinds)
        if self.mamba is not None or kinds & {"mamba", "linear"}:
            return "hybrid"
        if self.mla is not None:
            return "mla"
        if "chunked" in kinds:
            return "chunked"
        if "sliding" in kinds:
            return "sliding"
        return "full"

    def count_layers(self, kind: LayerKind) -> int:
        """How many decoder layers are of ``kind``."""
        return sum(1 for k in self.layer_kinds if k == kind)

    @property
    def kv_layers(self) -> int:
        """Layers that keep a KV cache (full, sliding or chunked attention)."""
        return sum(1 for k in self.layer_kinds if k in ("full", "sliding", "chunked"))


@dataclass(frozen=True, slots=True)
class ParamCounts:
    """Parameter counts estimated from the config (see :func:`estimate_params`).

    ``active`` is what one token touches: everything but the routed experts it does not use.
    """

    embedding: int
    lm_head: int
    attention: int
    mlp: int
    moe_experts: int
    moe_other: int
    mamba: int
    norms: int
    vision: int
    total: int
    active: int
    replicated: int = 0
    """Parameters of the decoder layers every tensor-parallel rank holds whole (the sparse
    attention indexer), counted in ``attention`` too."""


def _divide(numerator: int, denominator: int) -> int:
    """vLLM's ``divide``: an exact division (tensor parallelism must split evenly)."""
    if numerator % denominator != 0:
        raise ValueError(f"{numerator} is not divisible by tensor parallel size {denominator}")
    return numerator // denominator
