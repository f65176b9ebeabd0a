"""A Hugging Face ``config.json`` turned into what the memory model needs (DESIGN §3, §7).

Pure and typed: :func:`arch_from_config` reads a parsed ``config.json`` mapping and returns a
frozen :class:`ModelArch`; it does no I/O and imports nothing heavy. Every rule below mirrors
what the pinned vLLM release (0.33.0, with the ``transformers`` 5.x config classes it requires)
does with the same file, and names the vLLM function it follows:

* the text model's keys come from a nested ``text_config`` (multimodal models), as
  ``vllm.transformers_utils.config.get_hf_text_config`` does;
* head size, KV heads and expert counts follow
  ``vllm.transformers_utils.model_arch_config_convertor.ModelArchConfigConvertorBase``
  (``get_head_size``, ``get_total_num_kv_heads``, ``get_num_experts``, ``is_deepseek_mla``);
* the model's maximum length follows ``vllm.config.model._get_and_verify_max_len`` together with
  ``ModelArchConfigConvertorBase.derive_max_model_len_and_key``;
* per-layer attention kinds follow the model code (``llama.py``, ``gemma2.py``, ``gemma3.py``,
  ``gpt_oss.py``, ``llama4.py``, ``commandr.py``, ``qwen2.py``), ``EngineArgs.create_engine_config``
  (a model-wide ``sliding_window`` applies only when ``layer_types`` is absent or all sliding)
  and the ``layer_types`` the ``transformers`` config classes compute when the file has none;
* Mamba / linear-attention state shapes follow
  ``vllm.model_executor.layers.mamba.mamba_utils.MambaStateShapeCalculator``.

Where ``transformers`` fills a key the file leaves out (a class default), the few defaults that
change the answer are listed in ``_CLASS_DEFAULTS`` with the class they come from.

:func:`estimate_params` counts parameters from the same facts when no exact count is known;
callers must label its result an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

__all__ = [
    "AttentionKind",
    "LayerKind",
    "MLAInfo",
    "MambaInfo",
    "MoEInfo",
    "ModelArch",
    "ModelConfigError",
    "ParamCounts",
    "QuantizationInfo",
    "VisionInfo",
    "arch_from_config",
    "estimate_params",
]

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


# ---------------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Typed reading of an untyped mapping
# ---------------------------------------------------------------------------------------------

_MISSING = object()


class _Cfg:
    """A config mapping with typed getters whose errors name the key's path."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def first_present(self, keys: Sequence[str]) -> tuple[str, Any] | None:
        """The first key present (even as null), as ``getattr_iter`` picks it."""
        for key in keys:
            if key in self.data:
                return key, self.data[key]
        return None

    def int_(self, key: str, default: Any = _MISSING, *, minimum: int = 1) -> int:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING or default is None:
                raise ModelConfigError(f"config.json has no `{self.path(key)}`")
            return cast(int, default)
        return self._as_int(key, value, minimum)

    def opt_int(self, key: str, *, minimum: int = 0) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        return self._as_int(key, value, minimum)

    def _as_int(self, key: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be an integer, not {_describe(value)}"
            )
        if isinstance(value, float):
            if not value.is_integer():
                raise ModelConfigError(
                    f"config.json `{self.path(key)}` must be an integer, not {value!r}"
                )
            value = int(value)
        if value < minimum:
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be >= {minimum}, not {value}"
            )
        return int(value)

    def opt_number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a number, not {_describe(value)}"
            )
        return float(value)

    def bool_(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be true or false, not {_describe(value)}"
            )
        return value

    def opt_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a string, not {_describe(value)}"
            )
        return value

    def opt_list(self, key: str) -> list[Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a list, not {_describe(value)}"
            )
        return list(value)

    def opt_mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be an object, not {_describe(value)}"
            )
        return cast(Mapping[str, Any], value)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return repr(value)


def _divide(numerator: int, denominator: int) -> int:
    """vLLM's ``divide``: an exact division (tensor parallelism must split evenly)."""
    if numerator % denominator != 0:
        raise ValueError(f"{numerator} is not divisible by tensor parallel size {denominator}")
    return numerator // denominator


# ---------------------------------------------------------------------------------------------
# transformers class defaults that matter when a key is absent
# ---------------------------------------------------------------------------------------------

_CLASS_DEFAULTS: dict[str, dict[str, Any]] = {
    # LlamaConfig: max_position_embeddings=2048
    "llama": {"max_position_embeddings": 2048},
    # MistralConfig: max_position_embeddings=4096*32, sliding_window=4096
    "mistral": {"max_position_embeddings": 131072, "sliding_window": 4096},
    # MixtralConfig: max_position_embeddings=4096*32, sliding_window=None
    "mixtral": {"max_position_embeddings": 131072},
    # Qwen2Config / Qwen3Config: 32768, use_sliding_window=False, sliding_window=4096, 28 layers
    "qwen2": {"max_position_embeddings": 32768, "sliding_window": 4096, "max_window_layers": 28},
    "qwen3": {"max_position_embeddings": 32768, "sliding_window": 4096, "max_window_layers": 28},
    "qwen2_moe": {"sliding_window": 4096, "max_window_layers": 28},
    "qwen3_moe": {"sliding_window": 4096, "max_window_layers": 28},
    # Gemma2Config: 8192, head_dim=256, sliding_window=4096
    "gemma2": {"max_position_embeddings": 8192, "head_dim": 256, "sliding_window": 4096},
    # Gemma3TextConfig: 131072, head_dim=256, sliding_window=4096, pattern 6
    "gemma3_text": {"max_position_embeddings": 131072, "head_dim": 256, "sliding_window": 4096},
    # Cohere2Config: sliding_window=4096, pattern 4
    "cohere2": {"sliding_window": 4096},
    # Phi3Config: 4096, original_max_position_embeddings=4096
    "phi3": {"max_position_embeddings": 4096, "original_max_position_embeddings": 4096},
    # GptOssConfig: 131072, head_dim=64, sliding_window=128
    "gpt_oss": {"max_position_embeddings": 131072, "head_dim": 64, "sliding_window": 128},
    # Llama4TextConfig: 4096*32, head_dim=128, attention_chunk_size=8192
    "llama4_text": {
        "max_position_embeddings": 131072,
        "head_dim": 128,
        "attention_chunk_size": 8192,
    },
}


def _class_default(model_type: str, key: str) -> Any:
    return _CLASS_DEFAULTS.get(model_type, {}).get(key)


# ---------------------------------------------------------------------------------------------
# Sub-config selection
# ---------------------------------------------------------------------------------------------

_TEXT_CONFIG_KEYS = ("text_config", "llm_config", "language_config")


def _text_config(top: Mapping[str, Any]) -> tuple[Mapping[str, Any], str, bool]:
    """The text model's keys: a nested ``text_config`` when the model has one.

    Mirrors ``get_hf_text_config`` (``PreTrainedConfig.get_text_config``): the nested config must
    itself have ``num_attention_heads``.
    """
    for key in _TEXT_CONFIG_KEYS:
        sub = top.get(key)
        if sub is None:
            continue
        if not isinstance(sub, Mapping):
            raise ModelConfigError(f"config.json `{key}` must be an object, not {_describe(sub)}")
        sub_map = cast(Mapping[str, Any], sub)
        if "num_attention_heads" not in sub_map and "num_heads" not in sub_map:
            raise ModelConfigError(
                f"config.json `{key}` has no `num_attention_heads`; vLLM cannot read the text "
                "model from it"
            )
        return sub_map, f"{key}.", True
    return top, "", "vision_config" in top


# ---------------------------------------------------------------------------------------------
# Maximum model length
# ---------------------------------------------------------------------------------------------

_MAX_LEN_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "max_seq_len",
    "seq_length",
    "model_max_length",
    "max_target_positions",
    "max_sequence_length",
    "max_seq_length",
    "seq_len",
)
_DEFAULT_MAX_LEN = 2048
_UNSCALED_ROPE_TYPES = frozenset(
    {"su", "longrope", "llama3", "yarn", "deepseek_yarn", "deepseek_llama_scaling"}
)
_LAYER_TYPE_NAMES = frozenset(
    {
        "full_attention",
        "sliding_attention",
        "chunked_attention",
        "linear_attention",
        "attention",
        "mamba",
    }
)


def _rope_parameters(text: _Cfg, text_type: str) -> list[dict[str, Any]]:
    """The rope parameter sets as ``iter_rope_parameters`` yields them after
    ``patch_rope_parameters`` / ``standardize_rope_params`` (legacy ``type`` → ``rope_type``,
    ``su`` → ``longrope``, ``mrope`` → ``default``; Phi-3's ``yarn`` → ``longrope``)."""
    raw = text.raw("rope_parameters")
    if raw is None:
        raw = text.raw("rope_scaling")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        raise ModelConfigError(
            f"config.json `{text.path('rope_scaling')}` must be an object or null, "
            f"not {_describe(raw)}"
        )
    raw_map = cast(Mapping[str, Any], raw)
    nested = bool(raw_map) and all(
        key in _LAYER_TYPE_NAMES and (value is None or isinstance(value, Mapping))
        for key, value in raw_map.items()
    )
    groups = [v for v in raw_map.values() if isinstance(v, Mapping) and v] if nested else [raw_map]
    result: list[dict[str, Any]] = []
    for group in groups:
        params = dict(cast(Mapping[str, Any], group))
        if not params:
            continue
        rope_type = params.get("rope_type", params.get("type", "default"))
        if not isinstance(rope_type, str):
            raise ModelConfigError(
                f"config.json `{text.path('rope_scaling')}` has a non-string rope type"
            )
        if rope_type == "su":
            rope_type = "longrope"
        elif rope_type == "mrope":
            rope_type = "default"
        elif rope_type == "telechat3-yarn":
            rope_type = "yarn"
        if text_type == "phi3" and rope_type == "yarn":
            rope_type = "longrope"
        params["rope_type"] = rope_type
        result.append(params)
    return result


def _max_model_len(text: _Cfg, text_type: str) -> tuple[int, int, str | None, float, int | None]:
    """(default max_model_len, derived limit, key, rope factor applied, model_max_length).

    Mirrors ``ModelArchConfigConvertorBase.derive_max_model_len_and_key`` and
    ``vllm.config.model._get_and_verify_max_len`` in vLLM 0.33.0 for a generating model with no
    user value, no tokenizer limit (pooling only), no encoder and sliding window not disabled:

    1. the smallest of the length keys present (``max_position_embeddings``, ``n_positions``,
       ``max_seq_len``, ``seq_length``, ``model_max_length``, ``max_target_positions``,
       ``max_sequence_length``, ``max_seq_length``, ``seq_len``), then a truthy
       ``model_max_length`` overrides it (Command-R);
    2. none present → 2048 (vLLM logs a warning);
    3. rope scaling, except for Gemma 3 (its length is already scaled): the ``factor`` of the
       last rope parameter set whose type is *not* su/longrope/llama3/yarn/deepseek_yarn/
       deepseek_llama_scaling multiplies the length (so ``linear`` and ``dynamic`` scale it;
       YaRN and Llama-3 scaling do not — their ``max_position_embeddings`` is already the
       scaled one); a null factor counts as 1;
    4. LongRoPE: the default is ``original_max_position_embeddings`` (performance), while the
       derived limit stays the full length.
    """
    derived: float = math.inf
    key: str | None = None
    for name in _MAX_LEN_KEYS:
        value: Any = text.raw(name)
        if value is None and name == "max_position_embeddings":
            value = _class_default(text_type, name)
        if value is None:
            continue
        number = text.opt_number(name) if text.has(name) else float(value)
        assert number is not None
        if number < derived:
            key = name
        derived = min(derived, number)
    model_max_length = text.opt_number("model_max_length")
    if model_max_length:
        key = "model_max_length"
        derived = model_max_length
    if derived == math.inf:
        derived = float(_DEFAULT_MAX_LEN)
        key = None

    rope = _rope_parameters(text, text_type)
    factor_applied = 1.0
    if rope and "gemma3" not in text_type:
        scaling: Any = 1.0
        for params in rope:
            if params["rope_type"] not in _UNSCALED_ROPE_TYPES:
                scaling = params.get("factor", scaling)
        if scaling is None:
            scaling = 1.0
        if isinstance(scaling, bool) or not isinstance(scaling, int | float):
            raise ModelConfigError(
                f"config.json `{text.path('rope_scaling')}.factor` must be a number, "
                f"not {_describe(scaling)}"
            )
        factor_applied = float(scaling)
        derived *= factor_applied

    default = derived
    if any(p["rope_type"] == "longrope" for p in rope):
        original = text.opt_number("original_max_position_embeddings")
        if original is None:
            original_default = _class_default(text_type, "original_max_position_embeddings")
            original = float(original_default) if original_default is not None else None
        if original is not None:
            default = original
    limit = int(derived)
    return (
        int(default),
        limit,
        key,
        factor_applied,
        (int(model_max_length) if model_max_length else None),
    )


def _gemma3_rope_cache_positions(
    text: _Cfg, text_type: str, max_position: int, kinds: list[LayerKind]
) -> int:
    """Gemma 3's rotary caches, in positions; 0 for every other model.

    vLLM 0.33 gives Gemma 3 one rope per layer type (``config.rope_parameters[layer_type]``):
    the global layers' ``linear`` rope (factor 8 in the released checkpoints) caches
    ``max_position × factor`` positions (``LinearScalingRotaryEmbedding``), the sliding layers'
    default rope ``max_position``. 1,048,576 + 131,072 positions × 256 × 2 B = 0.56 GiB for
    gemma-3-4b/12b, the gap between their safetensors and "Model loading took" on vLLM 0.19
    (8.58 and 23.31 GiB, tests/accuracy/cases.yaml).
    """
    if "gemma3" not in text_type or text_type.startswith("gemma3n"):
        return 0
    positions = 0
    for params in _rope_parameters(text, text_type) or [{"rope_type": "default"}]:
        factor: Any = params.get("factor") if params["rope_type"] == "linear" else 1
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            factor = 1
        positions += int(max_position * factor)
    if "sliding" in kinds and len(_rope_parameters(text, text_type)) <= 1:
        positions += max_position  # the local rope of legacy configs (rope_local_base_freq)
    return positions


# ---------------------------------------------------------------------------------------------
# Layer kinds
# ---------------------------------------------------------------------------------------------

_QWEN_SLIDING_TYPES = frozenset({"qwen2", "qwen2_moe", "qwen3", "qwen3_moe"})
_PATTERN_DEFAULTS = {"gemma2": 2, "gemma3_text": 6, "gemma3": 6, "cohere2": 4}
_NEXT_TYPES = frozenset(
    {"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"}
)


def _sliding_window(text: _Cfg, text_type: str) -> int | None:
    value: Any = (
        text.raw("sliding_window")
        if text.has("sliding_window")
        else _class_default(text_type, "sliding_window")
    )
    if value is None:
        return None
    window = text.opt_int("sliding_window") if text.has("sliding_window") else int(value)
    # Qwen2Config & co.: `sliding_window = sliding_window if use_sliding_window else None`
    qwen_like = text.has("use_sliding_window") or text_type in _QWEN_SLIDING_TYPES
    if qwen_like and not text.bool_("use_sliding_window", False):
        return None
    if not window:  # vLLM turns 0 into None (and disables the sliding window)
        return None
    return window


def _map_layer_type(name: Any, path: str) -> LayerKind:
    if not isinstance(name, str):
        raise ModelConfigError(f"config.json `{path}` entries must be strings")
    if name == "sliding_attention":
        return "sliding"
    if name == "chunked_attention":
        return "chunked"
    if name == "linear_attention":
        return "linear"
    if name == "mamba":
        return "mamba"
    if name in ("mlp", "moe"):
        return "none"
    return "full"  # full_attention, attention, sparse variants; unknown ones cost the most


def _layer_kinds(
    text: _Cfg, text_type: str, num_layers: int
) -> tuple[list[LayerKind], int | None, int | None]:
    """(kinds, sliding window vLLM applies to sliding layers, attention chunk size)."""
    window = _sliding_window(text, text_type)
    chunk: int | None = None
    kinds: list[LayerKind]

    if text_type in ("llama4_text", "llama4"):
        # llama4.py: chunked local attention on RoPE layers (no_rope_layers[i] == 1)
        chunk_value = (
            text.opt_int("attention_chunk_size")
            if text.has("attention_chunk_size")
            else _class_default("llama4_text", "attention_chunk_size")
        )
        chunk = chunk_value or None
        rope_flags = text.opt_list("no_rope_layers")
        if not rope_flags:
            interval = text.int_("no_rope_layer_interval", 4)
            rope_flags = [int((i + 1) % interval != 0) for i in range(num_layers)]
        if len(rope_flags) < num_layers:
            raise ModelConfigError(
                f"config.json `{text.path('no_rope_layers')}` has {len(rope_flags)} entries "
                f"for {num_layers} layers"
            )
        kinds = ["chunked" if chunk and rope_flags[i] else "full" for i in range(num_layers)]
        return kinds, None, chunk

    if text_type == "gpt_oss":
        # gpt_oss.py: sliding window on even layers, whatever layer_types says
        kinds = ["sliding" if window and i % 2 == 0 else "full" for i in range(num_layers)]
        return kinds, window if window else None, None

    layer_types = text.opt_list("layer_types")
    if layer_types is not None:
        if len(layer_types) < num_layers:
            raise ModelConfigError(
                f"config.json `{text.path('layer_types')}` has {len(layer_types)} entries for "
                f"{num_layers} layers"
            )
        path = text.path("layer_types")
        kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
    elif text_type in _QWEN_SLIDING_TYPES:
        first = text.int_(
            "max_window_layers", _class_default(text_type, "max_window_layers"), minimum=0
        )
        kinds = ["sliding" if window and i >= first else "full" for i in range(num_layers)]
    elif text_type in _PATTERN_DEFAULTS:
        default_pattern = _PATTERN_DEFAULTS[text_type]
        pattern = text.opt_int("sliding_window_pattern", minimum=1) or text.opt_int(
            "_sliding_window_pattern", minimum=1
        )
        if text_type == "gemma2":
            pattern = default_pattern
        pattern = pattern or default_pattern
        kinds = ["sliding" if (i + 1) % pattern else "full" for i in range(num_layers)]
    else:
        # EngineArgs: a model-wide sliding window applies to every layer
        kinds = ["sliding" if window else "full" for _ in range(num_layers)]

    if window is None:
        kinds = ["full" if k == "sliding" else k for k in kinds]
    elif text_type == "cohere2":
        window += 1  # commandr.py: "cohere swa layer sees [pos - sliding_window, pos]"
    if "sliding" not in kinds:
        window = None
    return kinds, window, chunk


# ---------------------------------------------------------------------------------------------
# Hybrid (Mamba / linear attention) models
# ---------------------------------------------------------------------------------------------


def _hybrid(
    text: _Cfg, text_type: str, num_layers: int
) -> tuple[list[LayerKind], MambaInfo, int] | None:
    """(layer kinds, state facts, layer count) for the hybrid families vLLM supports here."""
    if text_type == "nemotron_h":
        pattern: Any = text.raw("hybrid_override_pattern")
        block_types = text.opt_list("layers_block_type")
        if isinstance(pattern, str) and pattern:
            symbols = {"M": "mamba", "*": "full", "-": "none", "E": "none"}
            kinds = [cast(LayerKind, symbols.get(c, "full")) for c in pattern]
        elif block_types:
            path = text.path("layers_block_type")
            kinds = [_map_layer_type(t, path) for t in block_types]
        else:
            raise ModelConfigError(
                f"config.json has neither `{text.path('hybrid_override_pattern')}` nor "
                f"`{text.path('layers_block_type')}`; the Nemotron-H layer layout is unknown"
            )
        heads = text.int_("mamba_num_heads")
        head_dim = text.int_("mamba_head_dim")
        dtype = text.opt_str("mamba_ssm_cache_dtype") or "float32"
        info = MambaInfo(
            kind="mamba2",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("conv_kernel", 4),
            state_size=text.int_("ssm_state_size"),
            intermediate_size=heads * head_dim,
            n_groups=text.int_("n_groups", 1),
            num_heads=heads,
            head_dim=head_dim,
            ssm_state_dtype=dtype,
        )
        return kinds, info, len(kinds)

    if text_type == "jamba":
        period = text.int_("attn_layer_period", 8)
        offset = text.int_("attn_layer_offset", 4, minimum=0)
        kinds = ["full" if i % period == offset else "mamba" for i in range(num_layers)]
        hidden = text.int_("hidden_size")
        info = MambaInfo(
            kind="mamba1",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state", 16),
            intermediate_size=text.int_("mamba_expand", 2) * hidden,
        )
        return kinds, info, num_layers

    if text_type == "falcon_h1":
        hidden = text.int_("hidden_size")
        d_ssm = text.opt_int("mamba_d_ssm")
        expand = text.opt_number("mamba_expand") or 2.0
        info = MambaInfo(
            kind="mamba2",
            num_layers=num_layers,  # attention and Mamba run side by side in every layer
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state"),
            intermediate_size=d_ssm if d_ssm else int(expand * hidden),
            n_groups=text.int_("mamba_n_groups", 1),
            num_heads=text.int_("mamba_n_heads"),
            head_dim=text.int_("mamba_d_head"),
        )
        return ["full"] * num_layers, info, num_layers

    if text_type in ("granitemoehybrid", "bamba"):
        layer_types = text.opt_list("layer_types")
        if layer_types:
            path = text.path("layer_types")
            kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
        else:
            attn = set(text.opt_list("attn_layer_indices") or [])
            kinds = ["full" if i in attn else "mamba" for i in range(num_layers)]
        hidden = text.int_("hidden_size")
        info = MambaInfo(
            kind="mamba2",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state"),
            intermediate_size=text.int_("mamba_expand", 2) * hidden,
            n_groups=text.int_("mamba_n_groups", 1),
            num_heads=text.int_("mamba_n_heads"),
            head_dim=text.int_("mamba_d_head"),
        )
        return kinds, info, num_layers

    if text_type in _NEXT_TYPES:
        layer_types = text.opt_list("layer_types")
        if layer_types:
            path = text.path("layer_types")
            kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
        else:
            interval = text.int_("full_attention_interval", 4)
            kinds = ["linear" if (i + 1) % interval else "full" for i in range(num_layers)]
        info = MambaInfo(
            kind="gated_delta_net",
            num_layers=kinds.count("linear"),
            conv_kernel=text.int_("linear_conv_kernel_dim", 4),
            num_k_heads=text.int_("linear_num_key_heads"),
            num_v_heads=text.int_("linear_num_value_heads"),
            head_k_dim=text.int_("linear_key_head_dim"),
            head_v_dim=text.int_("linear_value_head_dim"),
            ssm_state_dtype=text.opt_str("mamba_ssm_dtype"),
        )
        return kinds, info, num_layers
    return None


# ---------------------------------------------------------------------------------------------
# MoE, MLA, quantization, vision
# ---------------------------------------------------------------------------------------------

_NUM_EXPERT_KEYS = ("num_experts", "moe_num_experts", "n_routed_experts", "num_local_experts")
_TOP_K_KEYS = (
    "num_experts_per_tok",
    "num_experts_per_token",
    "top_k_experts",
    "moe_topk",
    "moe_top_k",
    "top_k",
)


def _moe(text: _Cfg, text_type: str, kinds: Sequence[LayerKind], num_layers: int) -> MoEInfo | None:
    found = text.first_present(_NUM_EXPERT_KEYS)
    experts_raw: Any = found[1] if found else None
    if isinstance(experts_raw, list | tuple):  # Ernie VL: one value per modality, all equal
        experts_raw = experts_raw[0] if experts_raw else 0
    if experts_raw is None or experts_raw == 0:
        return None
    assert found is not None
    experts = text._as_int(found[0], experts_raw, 1)
    if experts <= 1 and text_type not in ("llama4_text",):
        return None

    top = text.first_present(_TOP_K_KEYS)
    top_raw: Any = top[1] if top else 0
    if isinstance(top_raw, list | tuple):
        top_raw = max(top_raw, default=0)
    top_k = text._as_int(top[0], top_raw, 0) if top and top_raw is not None else 0

    dense_inter = text.int_("intermediate_size", 0, minimum=0)
    moe_inter = text.opt_int("moe_intermediate_size") or dense_inter
    shared_count = 0
    shared_inter = 0
    n_shared = text.first_present(("n_shared_experts", "moe_num_shared_experts"))
    if n_shared and n_shared[1]:
        shared_count = text._as_int(n_shared[0], n_shared[1], 0)
        shared_inter = shared_count * moe_inter
    for key in (
        "shared_expert_intermediate_size",
        "shared_intermediate_size",
        "moe_shared_expert_intermediate_size",
    ):
        value = text.opt_int(key)
        if value:
            shared_count = max(shared_count, 1)
            shared_inter = value
            break
    if text_type == "llama4_text":  # one shared expert of intermediate_size per MoE layer
        shared_count, shared_inter = 1, moe_inter

    if text_type == "llama4_text":
        listed = text.opt_list("moe_layers")
        if listed is not None:
            moe_layers = [int(i) for i in listed]
        else:
            step = text.int_("interleave_moe_layer_step", 1)
            moe_layers = list(range(step - 1, num_layers, step))
        dense_inter = text.opt_int("intermediate_size_mlp") or dense_inter
    elif text.has("first_k_dense_replace") or text_type.startswith(
        ("deepseek", "kimi", "glm4_moe")
    ):
        first = text.int_("first_k_dense_replace", 0, minimum=0)
        freq = text.int_("moe_layer_freq", 1)
        moe_layers = [i for i in range(num_layers) if i >= first and i % freq == 0]
    elif text.has("decoder_sparse_step") or text.has("mlp_only_layers"):
        step = text.int_("decoder_sparse_step", 1)
        only_mlp = {int(i) for i in text.opt_list("mlp_only_layers") or []}
        moe_layers = [i for i in range(num_layers) if i not in only_mlp and (i + 1) % step == 0]
    elif text_type == "jamba":
        period = text.int_("expert_layer_period", 2)
        offset = text.int_("expert_layer_offset", 1, minimum=0)
        moe_layers = [i for i in range(num_layers) if i % period == offset]
    elif text_type == "nemotron_h":
        pattern = text.raw("hybrid_override_pattern")
        moe_layers = (
            [i for i, c in enumerate(pattern) if c == "E"] if isinstance(pattern, str) else []
        )
    else:
        moe_layers = list(range(num_layers))
    if text_type == "nemotron_h":
        moe_inter = text.opt_int("moe_intermediate_size") or moe_inter
    return MoEInfo(
        num_experts=experts,
        experts_per_token=top_k,
        moe_intermediate_size=moe_inter,
        num_shared_experts=shared_count,
        shared_expert_intermediate_size=shared_inter,
        moe_layers=tuple(i for i in moe_layers if 0 <= i < len(kinds)),
        dense_intermediate_size=dense_inter,
    )


_MLA_TYPES = frozenset(
    {
        "axk1",
        "deepseek_v2",
        "deepseek_v3",
        "deepseek_v32",
        "deepseek_mtp",
        "dots3_note",
        "k3_dspark",
        "glm5_next",
        "glm5_next_text",
        "glm_moe_dsa",
        "glm4_moe_lite",
        "glm4_moe_lite_mtp",
        "kimi_k2",
        "kimi_linear",
        "longcat_flash",
        "pangu_ultra_moe",
        "pangu_ultra_moe_mtp",
        "bailing_hybrid",
        "bailing_hybrid_mtp",
        "bailing_hybrid_v3_mtp",
        "hy_v4",
        "hy_v4_mtp",
    }
)


def _mla(text: _Cfg, text_type: str) -> MLAInfo | None:
    """``ModelArchConfigConvertorBase.is_deepseek_mla``: an MLA model type with ``kv_lora_rank``."""
    if text_type not in _MLA_TYPES or text.raw("kv_lora_rank") is None:
        return None
    sparse = text.raw("index_topk") is not None
    return MLAInfo(
        kv_lora_rank=text.int_("kv_lora_rank"),
        qk_rope_head_dim=text.int_("qk_rope_head_dim", 0, minimum=0),
        qk_nope_head_dim=text.int_("qk_nope_head_dim", 0, minimum=0),
        v_head_dim=text.int_("v_head_dim", 0, minimum=0),
        q_lora_rank=text.opt_int("q_lora_rank"),
        indexer_head_dim=text.int_("index_head_dim") if sparse else None,
        indexer_heads=text.int_("index_n_heads") if sparse else 0,
    )


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if isinstance(v, str))
    return ()


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _quantization(top: _Cfg, text: _Cfg) -> QuantizationInfo | None:
    """``ModelArchConfigConvertorBase.get_quantization_config``: the top config's
    ``quantization_config`` (or ``compression_config``), else the text config's."""
    found: Mapping[str, Any] | None = None
    path = ""
    for cfg in (top, text) if text is not top else (top,):
        for key in ("quantization_config", "compression_config"):
            value = cfg.opt_mapping(key)
            if value is not None:
                found, path = value, cfg.path(key)
                break
        if found is not None:
            break
    if found is None:
        return None

    producer = found.get("producer")
    nested = found.get("quantization")
    method_raw = found.get("quant_method", "")
    algo: Any = None
    if isinstance(producer, Mapping) and producer.get("name") == "modelopt":
        algo = nested.get("quant_algo") if isinstance(nested, Mapping) else found.get("quant_algo")
    elif isinstance(nested, Mapping) and "modelopt_quant_config" in nested:
        algo = nested.get("quant_algo")
    if algo is not None:
        upper = str(algo).upper()
        method_raw = {
            "FP8": "modelopt",
            "FP8_PER_CHANNEL_PER_TOKEN": "modelopt",
            "FP8_PB_WO": "modelopt",
            "NVFP4": "modelopt_fp4",
            "MIXED_PRECISION": "modelopt_mixed",
        }.get(upper, method_raw)
    if not isinstance(method_raw, str):
        raise ModelConfigError(f"config.json `{path}.quant_method` must be a string")
    method = method_raw.lower().replace("compressed_tensors", "compressed-tensors")

    bits: int | None = None
    group: int | None = None
    block: tuple[int, ...] | None = None
    weight_type: str | None = None
    kv_bits: int | None = None
    not_quantized: list[str] = []
    for key in (
        "modules_to_not_convert",
        "ignore",
        "ignored_layers",
        "llm_int8_skip_modules",
        "exclude_modules",
    ):
        not_quantized.extend(_string_list(found.get(key)))

    if method == "compressed-tensors":
        groups = found.get("config_groups")
        if isinstance(groups, Mapping):
            for scheme in groups.values():
                weights = scheme.get("weights") if isinstance(scheme, Mapping) else None
                if isinstance(weights, Mapping):
                    bits = _int_or_none(weights.get("num_bits"))
                    group = _int_or_none(weights.get("group_size"))
                    wt = weights.get("type")
                    weight_type = wt if isinstance(wt, str) else None
                    blocks = weights.get("block_structure")
                    if isinstance(blocks, list | tuple):
                        block = tuple(int(b) for b in blocks if isinstance(b, int))
                    break
        kv = found.get("kv_cache_scheme")
        if isinstance(kv, Mapping):
            kv_bits = _int_or_none(kv.get("num_bits"))
    elif method in ("fp8", "fbgemm_fp8", "modelopt", "ptpc_fp8"):
        bits, weight_type = 8, "float"
    elif method in ("mxfp4", "modelopt_fp4"):
        bits, weight_type = 4, "float"
    elif method == "bitsandbytes":
        if found.get("load_in_4bit") or found.get("_load_in_4bit"):
            bits = 4
        elif found.get("load_in_8bit") or found.get("_load_in_8bit"):
            bits = 8
    else:
        bits = _int_or_none(found.get("bits", found.get("w_bit", found.get("wbits"))))
        weight_type = "int" if bits is not None else None
    if group is None:
        group = _int_or_none(found.get("group_size", found.get("q_group_size")))
    raw_block = found.get("weight_block_size")
    if isinstance(raw_block, list | tuple):
        block = tuple(int(b) for b in raw_block if isinstance(b, int))
    return QuantizationInfo(
        method=method,
        bits=bits,
        group_size=group if group and group > 0 else None,
        weight_block_size=block or None,
        weight_type=weight_type,
        not_quantized=tuple(not_quantized),
        kv_cache_bits=kv_bits,
        nested_scales=method == "bitsandbytes" and bool(found.get("bnb_4bit_use_double_quant")),
    )


def _vision(top: _Cfg) -> VisionInfo | None:
    vision = top.opt_mapping("vision_config")
    if vision is None:
        return None
    cfg = _Cfg(vision, "vision_config.")
    hidden = cfg.opt_int("hidden_size", minimum=1)
    layers = cfg.opt_int("num_hidden_layers", minimum=1) or cfg.opt_int("depth", minimum=1)
    if not hidden or not layers:
        return None
    return VisionInfo(
        hidden_size=hidden,
        intermediate_size=cfg.opt_int("intermediate_size", minimum=1) or 4 * hidden,
        num_layers=layers,
        patch_size=cfg.opt_int("patch_size", minimum=1) or 14,
        image_size=cfg.opt_int("image_size", minimum=1) or 224,
        num_channels=cfg.opt_int("num_channels", minimum=1) or 3,
    )


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------

_HIDDEN_KEYS = ("hidden_size", "n_embd", "d_model")
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers")
_HEAD_KEYS = ("num_attention_heads", "n_head", "num_heads")
_KV_HEAD_KEYS = (
    "n_head_kv",
    "num_kv_heads",
    "num_key_value_heads",
    "multi_query_group_num",
    "num_attention_groups",
)
_NON_GATED_MLP_TYPES = frozenset(
    {
        "falcon",
        "RefinedWeb",
        "RefinedWebModel",
        "gpt2",
        "gpt_neox",
        "gptj",
        "opt",
        "bloom",
        "phi",
        "starcoder2",
        "gpt_bigcode",
        "mpt",
        "nemotron",
        "nemotron_h",
    }
)
# Config classes whose tie_word_embeddings defaults to True (most LM classes say False), read
# from transformers 5.16.1 (the oldest vLLM 0.33 accepts), models/*/configuration_*.py; the
# Falcon-7B/40B formats (RefinedWeb*) use vLLM's RWConfig, and vLLM's falcon.py ties the
# embeddings when the config does not say (model_executor/models/falcon.py:494-501).
_TIE_BY_DEFAULT = frozenset(
    {
        "bloom",
        "cohere",
        "cohere2",
        "cohere2_moe",
        "ernie4_5",
        "ernie4_5_moe",
        "falcon",
        "falcon_mamba",
        "gemma",
        "gemma2",
        "gemma3",
        "gemma3_text",
        "gemma3n_text",
        "gemma4_text",
        "gpt2",
        "gpt_bigcode",
        "jetmoe",
        "lfm2",
        "lfm2_moe",
        "mamba",
        "minicpm3",
        "mpt",
        "opt",
        "RefinedWeb",
        "RefinedWebModel",
        "smollm3",
        "starcoder2",
        "vaultgemma",
        "zamba2",
    }
)
# A composite config whose text_config names no model_type: the type its class builds
# (transformers 5.16.1 Kimi_K25Config.__post_init__: a text_config dict without model_type
# becomes a DeepseekV3Config, and "kimi_k2" is read as "deepseek_v3" too).
_TEXT_TYPE_DEFAULTS = {"kimi_k25": "deepseek_v3"}
_QKV_BIAS_TYPES = frozenset({"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl"})
_QK_NORM_TYPES = frozenset(
    {"qwen3", "qwen3_moe", "qwen3_next", "gemma3_text", "olmo2", "qwen3_5_text", "qwen3_5_moe_text"}
)


def _int_alias(cfg: _Cfg, keys: Sequence[str]) -> int:
    for key in keys:
        if cfg.raw(key) is not None:
            return cfg.int_(key)
    raise ModelConfigError(f"config.json has no `{cfg.path(keys[0])}`")


def _dtype(top: _Cfg, text: _Cfg) -> str | None:
    """``get_torch_dtype``: the top config's ``dtype`` (``torch_dtype`` in older files), then the
    text config's, then the vision config's. ``None``: vLLM would read the safetensors dtypes."""
    candidates: list[_Cfg] = [top]
    if text is not top:
        candidates.append(text)
    vision = top.opt_mapping("vision_config")
    if vision is not None:
        candidates.append(_Cfg(vision, "vision_config."))
    for cfg in candidates:
        for key in ("dtype", "torch_dtype"):
            value = cfg.raw(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ModelConfigError(
                    f"config.json `{cfg.path(key)}` must be a string, not {_describe(value)}"
                )
            return value.removeprefix("torch.")
    return None


def arch_from_config(config: Mapping[str, Any]) -> ModelArch:
    """Turn a parsed Hugging Face ``config.json`` into a :class:`ModelArch`.

    Raises :class:`ModelConfigError` (one clear message) when a required key is missing or a
    key has the wrong type.
    """
    if not isinstance(config, Mapping):
        raise ModelConfigError(f"config.json must be a JSON object, not {_describe(config)}")
    top = _Cfg(config)
    top_type = top.opt_str("model_type")
    text_map, prefix, multimodal = _text_config(config)
    text = _Cfg(text_map, prefix) if prefix else top
    text_type = text.opt_str("model_type") or ""
    if not text_type:
        text_type = (_TEXT_TYPE_DEFAULTS.get(top_type or "") if prefix else None) or top_type or ""
    model_type = top_type or text_type
    if not model_type:
        raise ModelConfigError("config.json has no `model_type`")

    arch_raw = top.opt_list("architectures") or []
    architectures = tuple(str(a) for a in arch_raw)

    hidden = _int_alias(text, _HIDDEN_KEYS)
    heads = _int_alias(text, _HEAD_KEYS)
    vocab = text.int_("vocab_size", 0, minimum=0)
    if not vocab and text_type == "chatglm":
        # vLLM's ChatGLMConfig: vocab_size = padded_vocab_size
        vocab = text.int_("padded_vocab_size", 0, minimum=0)
    vocab = vocab or top.int_("vocab_size")
    num_layers = _int_alias(text, _LAYER_KEYS)

    # KV heads: get_total_num_kv_heads (Falcon: multi_query → 1 unless new_decoder_architecture)
    kv_heads: int
    if (
        text_type in ("falcon", "RefinedWeb", "RefinedWebModel")
        and not text.bool_("new_decoder_architecture", False)
        and text.bool_("multi_query", False)
    ):
        kv_heads = 1
    else:
        kv_heads = heads
        for key in _KV_HEAD_KEYS:
            if text.raw(key) is not None:
                kv_heads = text.int_(key)
                break

    mla = _mla(text, text_type)
    head_dim: int
    if mla is not None:
        head_dim = mla.cache_dim
    else:
        explicit = text.opt_int("head_dim", minimum=0)
        if explicit is None and not text.has("head_dim"):
            default_head = _class_default(text_type, "head_dim")
            explicit = int(default_head) if default_head is not None else None
        per_head = text.opt_int("hidden_size_per_head")
        if explicit:
            head_dim = explicit
        elif per_head:
            head_dim = per_head
        else:
            head_dim = hidden // heads

    hybrid = _hybrid(text, text_type, num_layers)
    mamba: MambaInfo | None = None
    window: int | None = None
    chunk: int | None = None
    if hybrid is not None:
        kinds, mamba, num_layers = hybrid
        if "sliding" in kinds:
            window = _sliding_window(text, text_type)
    else:
        kinds, window, chunk = _layer_kinds(text, text_type, num_layers)
    if len(kinds) != num_layers:
        kinds = (kinds + ["full"] * num_layers)[:num_layers]

    max_len, limit, max_key, factor, model_max = _max_model_len(text, text_type)
    rope_positions = _gemma3_rope_cache_positions(text, text_type, limit, kinds)
    moe = _moe(text, text_type, kinds, num_layers)
    intermediate = text.int_("intermediate_size", 0, minimum=0)
    if not intermediate and text_type == "chatglm":
        intermediate = text.int_("ffn_hidden_size", 0, minimum=0)
    if text_type == "llama4_text":
        intermediate = text.opt_int("intermediate_size_mlp") or intermediate
    if not intermediate and not text.has("intermediate_size"):
        intermediate = 4 * hidden if text_type in _NON_GATED_MLP_TYPES else 0

    tie_default = text_type in _TIE_BY_DEFAULT
    tie = text.bool_("tie_word_embeddings", top.bool_("tie_word_embeddings", tie_default))
    attention_bias = text.bool_("attention_bias", False) or text.bool_("bias", False)
    norms = 4 if text_type in ("gemma2", "gemma3_text") else 2
    if text_type in ("nemotron_h",):
        norms = 1

    return ModelArch(
        model_type=model_type,
        text_model_type=text_type,
        architectures=architectures,
        hidden_size=hidden,
        num_layers=num_layers,
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=vocab,
        intermediate_size=intermediate,
        torch_dtype=_dtype(top, text),
        tie_word_embeddings=tie,
        layer_kinds=tuple(kinds),
        sliding_window=window,
        attention_chunk_size=chunk,
        max_model_len=max_len,
        derived_max_model_len=limit,
        max_len_key=max_key,
        rope_scaling_factor=factor,
        model_max_length=model_max,
        rope_cache_positions=rope_positions,
        mla=mla,
        moe=moe,
        quantization=_quantization(top, text),
        mamba=mamba,
        vision=_vision(top),
        is_multimodal=multimodal,
        attention_bias=attention_bias,
        qkv_bias=text_type in _QKV_BIAS_TYPES
        or text.bool_("qkv_bias", False)
        or (text_type == "chatglm" and text.bool_("add_qkv_bias", False)),
        qk_norm=text_type in _QK_NORM_TYPES
        or (text.bool_("use_qk_norm", False) and text_type not in ("llama4_text",)),
        gated_attention=text_type in _NEXT_TYPES,
        attention_sinks=text_type == "gpt_oss",
        norms_per_layer=norms,
        gated_mlp=text_type not in _NON_GATED_MLP_TYPES,
    )


# ---------------------------------------------------------------------------------------------
# Parameter estimate
# ---------------------------------------------------------------------------------------------


def _attention_params(arch: ModelArch) -> int:
    hidden = arch.hidden_size
    heads = arch.num_attention_heads
    if arch.mla is not None:
        mla = arch.mla
        qk_head = mla.qk_nope_head_dim + mla.qk_rope_head_dim
        if mla.q_lora_rank:
            q = hidden * mla.q_lora_rank + mla.q_lora_rank + mla.q_lora_rank * heads * qk_head
        else:
            q = hidden * heads * qk_head
        kv_a = hidden * (mla.kv_lora_rank + mla.qk_rope_head_dim) + mla.kv_lora_rank
        kv_b = mla.kv_lora_rank * heads * (mla.qk_nope_head_dim + mla.v_head_dim)
        o = heads * mla.v_head_dim * hidden
        return q + kv_a + kv_b + o + _indexer_params(arch)
    hd = arch.head_dim
    q_out = heads * hd * (2 if arch.gated_attention else 1)
    kv_out = 2 * arch.num_kv_heads * hd
    params = hidden * (q_out + kv_out) + heads * hd * hidden
    if arch.attention_bias:
        params += q_out + kv_out + hidden
    elif arch.qkv_bias:
        params += q_out + kv_out
    if arch.qk_norm:
        params += 2 * hd
    if arch.attention_sinks:
        params += heads
    return params


def _indexer_params(arch: ModelArch) -> int:
    """One layer's lightning indexer (deepseek_v2.py ``Indexer``): wq_b (q_lora_rank →
    heads × head_dim), wk (hidden → head_dim), weights_proj (hidden → heads) and a LayerNorm
    with bias on the key. vLLM replicates them on every tensor-parallel rank."""
    mla = arch.mla
    if mla is None or mla.indexer_head_dim is None:
        return 0
    dim, heads = mla.indexer_head_dim, mla.indexer_heads
    q_rank = mla.q_lora_rank or arch.hidden_size
    return q_rank * heads * dim + arch.hidden_size * (dim + heads) + 2 * dim


def _mlp_params(arch: ModelArch, intermediate: int) -> int:
    matrices = 3 if arch.gated_mlp else 2
    return matrices * arch.hidden_size * intermediate


def _mamba_params(arch: ModelArch, info: MambaInfo) -> int:
    hidden = arch.hidden_size
    if info.kind == "mamba1":
        inner = info.intermediate_size
        dt_rank = math.ceil(hidden / 16)
        return (
            hidden * 2 * inner
            + inner * info.conv_kernel
            + inner
            + inner * (dt_rank + 2 * info.state_size)
            + dt_rank * inner
            + inner
            + inner * info.state_size
            + inner
            + inner * hidden
        )
    if info.kind == "mamba2":
        inner = info.intermediate_size
        conv_dim = inner + 2 * info.n_groups * info.state_size
        in_proj = hidden * (inner + conv_dim + info.num_heads)
        return (
            in_proj
            + conv_dim * info.conv_kernel
            + conv_dim
            + 3 * info.num_heads
            + inner
            + inner * hidden
        )
    key_dim = info.num_k_heads * info.head_k_dim
    value_dim = info.num_v_heads * info.head_v_dim
    conv_dim = 2 * key_dim + value_dim
    return (
        hidden * (2 * key_dim + 2 * value_dim)
        + hidden * 2 * info.num_v_heads
        + conv_dim * info.conv_kernel
        + 2 * info.num_v_heads
        + info.head_v_dim
        + value_dim * hidden
    )


def _vision_params(vision: VisionInfo, text_hidden: int) -> int:
    h = vision.hidden_size
    per_layer = 4 * h * h + 4 * h + 2 * h * vision.intermediate_size + vision.intermediate_size
    per_layer += h + 4 * h  # fc2 bias, two LayerNorms
    patches = (vision.image_size // vision.patch_size) ** 2
    embed = vision.num_channels * vision.patch_size**2 * h + h + patches * h
    projector = h * text_hidden + h
    return vision.num_layers * per_layer + embed + 2 * h + projector


def estimate_params(arch: ModelArch) -> ParamCounts:
    """Count parameters from the architecture when no exact count is known.

    Counts embeddings, per-layer attention (MHA/GQA/MLA, biases, q/k norms, sinks), dense MLPs,
    routed and shared experts with their routers, Mamba / gated-delta-net mixers, norms, the
    ``lm_head`` unless tied, and a ViT-style vision tower when ``vision_config`` describes one.
    It is an estimate: architecture details the config does not state (extra norms, fused
    projections of remote-code models) are not known here. Callers must say so.
    """
    hidden = arch.hidden_size
    embedding = arch.vocab_size * hidden
    lm_head = 0 if arch.tie_word_embeddings else arch.vocab_size * hidden
    attn_one = _attention_params(arch)
    attention = 0
    mlp = 0
    experts_total = 0
    experts_active = 0
    moe_other = 0
    mamba = 0
    norms = hidden  # final norm
    moe_layers = set(arch.moe.moe_layers) if arch.moe else set()
    parallel_mamba = (
        arch.mamba is not None
        and arch.mamba.num_layers == arch.num_layers
        and all(k == "full" for k in arch.layer_kinds)
    )

    for index, kind in enumerate(arch.layer_kinds):
        if kind in ("full", "sliding", "chunked"):
            attention += attn_one
        if arch.mamba is not None and (kind in ("mamba", "linear") or parallel_mamba):
            mamba += _mamba_params(arch, arch.mamba)
        norms += arch.norms_per_layer * hidden
        has_ffn = arch.text_model_type != "nemotron_h" or kind == "none"
        if not has_ffn:
            continue
        if arch.moe is not None and index in moe_layers:
            moe = arch.moe
            per_expert = 3 * hidden * moe.moe_intermediate_size
            if arch.text_model_type == "gpt_oss":
                per_expert += 2 * moe.moe_intermediate_size + hidden
            if arch.text_model_type == "nemotron_h":
                per_expert = 2 * hidden * moe.moe_intermediate_size
            experts_total += moe.num_experts * per_expert
            experts_active += moe.experts_per_token * per_expert
            router = hidden * moe.num_experts
            if arch.text_model_type == "gpt_oss" or (
                arch.mla is not None and arch.text_model_type.startswith("deepseek_v3")
            ):
                router += moe.num_experts
            shared = 0
            if moe.shared_expert_intermediate_size:
                matrices = 2 if arch.text_model_type == "nemotron_h" else 3
                shared = matrices * hidden * moe.shared_expert_intermediate_size
                if arch.text_model_type in ("qwen2_moe", "qwen3_next"):
                    shared += hidden  # shared_expert_gate
            moe_other += router + shared
        else:
            intermediate = arch.moe.dense_intermediate_size if arch.moe else arch.intermediate_size
            mlp += _mlp_params(arch, intermediate)

    vision = _vision_params(arch.vision, hidden) if arch.vision is not None else 0
    base = embedding + lm_head + attention + mlp + moe_other + mamba + norms + vision
    total = base + experts_total
    active = base + experts_active
    return ParamCounts(
        embedding=embedding,
        lm_head=lm_head,
        attention=attention,
        mlp=mlp,
        moe_experts=experts_total,
        moe_other=moe_other,
        mamba=mamba,
        norms=norms,
        vision=vision,
        total=total,
        active=active,
        replicated=_indexer_params(arch) * arch.kv_layers,
    )
