"""config.json → ModelArch, checked against real config.json files (tests/fixtures/configs).

Expected values are the ones vLLM 0.33.0 derives from the same files (see the docstrings in
vllm_wizard/models/arch/ for the vLLM functions mirrored) and the figures in DESIGN §3.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vllm_wizard.models.arch import (
    ModelArch,
    ModelConfigError,
    arch_from_config,
    estimate_params,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


def arch(name: str) -> ModelArch:
    return arch_from_config(load(name))


def kv_bytes_per_token(a: ModelArch, dtype_bytes: int = 2, tp: int = 1) -> int:
    """DESIGN §3: bytes per token per layer, summed over the KV layers."""
    if a.mla is not None:
        per_layer = a.mla.cache_dim * dtype_bytes
    else:
        per_layer = 2 * max(1, a.num_kv_heads // tp) * a.head_dim * dtype_bytes
    return per_layer * a.kv_layers


# --------------------------------------------------------------------------------- dense models


def test_llama_31_8b_facts() -> None:
    a = arch("meta-llama--Llama-3.1-8B-Instruct")
    assert (a.model_type, a.text_model_type) == ("llama", "llama")
    assert a.architectures == ("LlamaForCausalLM",)
    assert (a.hidden_size, a.num_layers, a.num_attention_heads, a.num_kv_heads) == (
        4096,
        32,
        32,
        8,
    )
    assert a.head_dim == 128  # no head_dim key: 4096 // 32
    assert (a.vocab_size, a.intermediate_size) == (128256, 14336)
    assert a.torch_dtype == "bfloat16"
    assert a.tie_word_embeddings is False
    assert a.layer_kinds == ("full",) * 32
    assert a.attention == "full"
    assert a.sliding_window is None and a.attention_chunk_size is None
    assert a.moe is None and a.mla is None and a.quantization is None and a.mamba is None
    # llama3 rope scaling is not applied: max_position_embeddings is already the long context
    assert (a.max_model_len, a.derived_max_model_len) == (131072, 131072)
    assert a.max_len_key == "max_position_embeddings"
    assert a.rope_scaling_factor == 1.0
    assert kv_bytes_per_token(a) == 131072  # DESIGN §3 known figure


def test_llama_2_7b_is_mha() -> None:
    a = arch("meta-llama--Llama-2-7b-hf")
    assert a.num_kv_heads == a.num_attention_heads == 32
    assert a.head_dim == 128
    assert a.torch_dtype == "float16"
    assert a.max_model_len == 4096
    assert a.attention == "full"
    assert kv_bytes_per_token(a) == 524288  # DESIGN §3 known figure


def test_qwen3_32b_gqa_and_no_sliding_window() -> None:
    a = arch("Qwen--Qwen3-32B")
    assert (a.num_layers, a.num_attention_heads, a.num_kv_heads, a.head_dim) == (64, 64, 8, 128)
    assert a.vocab_size == 151936
    assert a.max_model_len == 40960
    # use_sliding_window false → Qwen3Config sets sliding_window to None
    assert a.sliding_window is None
    assert a.attention == "full"
    assert a.qk_norm is True


def test_mistral_v03_null_sliding_window() -> None:
    a = arch("mistralai--Mistral-7B-Instruct-v0.3")
    assert a.sliding_window is None
    assert a.layer_kinds == ("full",) * 32
    assert (a.vocab_size, a.max_model_len, a.num_kv_heads) == (32768, 32768, 8)


def test_phi4() -> None:
    a = arch("microsoft--phi-4")
    assert (a.num_layers, a.num_kv_heads, a.head_dim, a.vocab_size) == (40, 10, 128, 100352)
    assert a.max_model_len == 16384
    assert a.attention == "full"


# --------------------------------------------------------------------------------------- MoE


def test_mixtral_moe() -> None:
    a = arch("mistralai--Mixtral-8x7B-Instruct-v0.1")
    assert a.moe is not None
    assert (a.moe.num_experts, a.moe.experts_per_token) == (8, 2)
    assert a.moe.moe_intermediate_size == 14336
    assert a.moe.num_shared_experts == 0
    assert a.moe.moe_layers == tuple(range(32))
    assert a.sliding_window is None
    assert a.attention == "full"


def test_gpt_oss_sliding_moe_mxfp4() -> None:
    a = arch("openai--gpt-oss-20b")
    kinds = a.layer_kinds
    assert kinds[0] == "sliding" and kinds[1] == "full"
    assert Counter(kinds) == {"sliding": 12, "full": 12}
    assert a.sliding_window == 128
    assert a.attention == "sliding"
    assert (a.head_dim, a.num_kv_heads) == (64, 8)
    assert a.moe is not None
    assert (a.moe.num_experts, a.moe.experts_per_token, a.moe.moe_intermediate_size) == (
        32,
        4,
        2880,
    )
    assert a.quantization is not None
    assert a.quantization.method == "mxfp4"
    assert a.quantization.bits == 4
    assert a.quantization.not_quantized == (
        "model.layers.*.self_attn",
        "model.layers.*.mlp.router",
        "model.embed_tokens",
        "lm_head",
    )
    # yarn ×32 is not applied by vLLM 0.33: max_position_embeddings is already scaled
    assert a.max_model_len == 131072
    assert a.torch_dtype is None  # no dtype key; vLLM reads the safetensors dtypes
    assert a.attention_bias is True


def test_deepseek_v3_mla_moe_fp8() -> None:
    a = arch("deepseek-ai--DeepSeek-V3")
    assert a.mla is not None
    assert (a.mla.kv_lora_rank, a.mla.qk_rope_head_dim, a.mla.q_lora_rank) == (512, 64, 1536)
    assert a.head_dim == 576  # vLLM get_head_size: kv_lora_rank + qk_rope_head_dim
    assert a.num_kv_heads == 128
    assert a.attention == "mla"
    assert kv_bytes_per_token(a) == 70272  # DESIGN §3 known figure
    assert kv_bytes_per_token(a, tp=8) == 70272  # MLA is not split by tp
    assert a.moe is not None
    assert (a.moe.num_experts, a.moe.experts_per_token, a.moe.num_shared_experts) == (256, 8, 1)
    assert a.moe.moe_intermediate_size == 2048
    assert a.moe.moe_layers == tuple(range(3, 61))  # first_k_dense_replace = 3
    assert a.moe.dense_intermediate_size == 18432
    assert a.quantization is not None
    assert (a.quantization.method, a.quantization.bits) == ("fp8", 8)
    assert a.quantization.weight_block_size == (128, 128)
    assert a.max_model_len == 163840  # yarn ×40 not applied


def test_deepseek_v2_lite_without_q_lora() -> None:
    cfg = copy.deepcopy(load("deepseek-ai--DeepSeek-V3"))
    cfg.update(model_type="deepseek_v2", q_lora_rank=None, num_hidden_layers=27)
    a = arch_from_config(cfg)
    assert a.mla is not None and a.mla.q_lora_rank is None
    assert a.head_dim == 576


# ------------------------------------------------------------------ sliding / chunked / hybrid


def test_gemma3_multimodal_nested_text_config() -> None:
    a = arch("google--gemma-3-27b-it")
    assert a.model_type == "gemma3" and a.text_model_type == "gemma3_text"
    assert a.is_multimodal
    assert a.architectures == ("Gemma3ForConditionalGeneration",)
    assert (a.hidden_size, a.num_layers, a.num_attention_heads, a.num_kv_heads) == (
        5376,
        62,
        32,
        16,
    )
    assert (a.head_dim, a.vocab_size) == (128, 262208)
    assert a.torch_dtype == "bfloat16"  # the newer top-level `dtype` key
    assert a.tie_word_embeddings is True  # Gemma3TextConfig default
    assert Counter(a.layer_kinds) == {"sliding": 52, "full": 10}
    assert a.layer_kinds[5] == "full" and a.layer_kinds[4] == "sliding"
    assert a.sliding_window == 1024
    assert a.attention == "sliding"
    # vLLM skips rope scaling for Gemma 3 (its length is already the scaled one)
    assert a.max_model_len == 131072
    assert a.vision is not None and a.vision.num_layers == 27


def test_gemma3_pattern_without_layer_types() -> None:
    cfg = load("google--gemma-3-27b-it")
    del cfg["text_config"]["layer_types"]
    del cfg["text_config"]["_sliding_window_pattern"]
    a = arch_from_config(cfg)  # Gemma3TextConfig's default pattern 6
    assert [i for i, k in enumerate(a.layer_kinds) if k == "full"] == list(range(5, 62, 6))
    cfg["text_config"]["sliding_window_pattern"] = 2
    a = arch_from_config(cfg)
    assert a.layer_kinds[:4] == ("sliding", "full", "sliding", "full")


def test_gemma2_alternates() -> None:
    cfg = {
        "architectures": ["Gemma2ForCausalLM"],
        "head_dim": 256,
        "hidden_size": 3584,
        "intermediate_size": 14336,
        "max_position_embeddings": 8192,
        "model_type": "gemma2",
        "num_attention_heads": 16,
        "num_hidden_layers": 42,
        "num_key_value_heads": 8,
        "sliding_window": 4096,
        "vocab_size": 256000,
    }
    a = arch_from_config(cfg)
    assert a.layer_kinds[:3] == ("sliding", "full", "sliding")
    assert Counter(a.layer_kinds) == {"sliding": 21, "full": 21}
    assert a.sliding_window == 4096
    assert a.tie_word_embeddings is True


def test_llama4_scout_chunked_local_attention() -> None:
    a = arch("meta-llama--Llama-4-Scout-17B-16E-Instruct")
    assert a.text_model_type == "llama4_text" and a.is_multimodal
    assert a.attention_chunk_size == 8192
    # no no_rope_layers in the file: Llama4TextConfig puts a NoPE (global) layer every 4th
    assert Counter(a.layer_kinds) == {"chunked": 36, "full": 12}
    assert [i for i, k in enumerate(a.layer_kinds) if k == "full"] == list(range(3, 48, 4))
    assert a.attention == "chunked"
    assert a.max_model_len == 10485760  # llama3 rope type is not scaled again
    assert a.moe is not None
    assert (a.moe.num_experts, a.moe.experts_per_token) == (16, 1)
    assert a.moe.num_shared_experts == 1
    assert a.moe.moe_layers == tuple(range(48))
    assert a.num_kv_heads == 8 and a.head_dim == 128


def test_llama4_explicit_no_rope_layers() -> None:
    cfg = load("meta-llama--Llama-4-Scout-17B-16E-Instruct")
    cfg["text_config"]["no_rope_layers"] = [1] * 47 + [0]
    a = arch_from_config(cfg)
    assert Counter(a.layer_kinds) == {"chunked": 47, "full": 1}


def test_qwen3_next_hybrid_gated_delta_net() -> None:
    a = arch("Qwen--Qwen3-Next-80B-A3B-Thinking")
    assert a.attention == "hybrid"
    assert Counter(a.layer_kinds) == {"linear": 36, "full": 12}
    assert [i for i, k in enumerate(a.layer_kinds) if k == "full"] == list(range(3, 48, 4))
    assert a.kv_layers == 12
    m = a.mamba
    assert m is not None and m.kind == "gated_delta_net" and m.num_layers == 36
    # MambaStateShapeCalculator.gated_delta_net_state_shape
    assert m.state_shapes(1) == ((3, 128 * 16 * 2 + 128 * 32), (32, 128, 128))
    assert m.state_shapes(2) == ((3, 4096), (16, 128, 128))
    assert m.state_elements(1) == (3 * 8192, 32 * 128 * 128)
    assert a.moe is not None
    assert (a.moe.num_experts, a.moe.experts_per_token) == (512, 10)
    assert a.moe.shared_expert_intermediate_size == 512
    assert a.max_model_len == 262144


def test_nemotron_h_pattern() -> None:
    pattern = "M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*-M-MM-M-M-M-M-M-"
    cfg = {
        "conv_kernel": 4,
        "head_dim": 128,
        "hidden_size": 4480,
        "hybrid_override_pattern": pattern,
        "intermediate_size": 15680,
        "mamba_head_dim": 80,
        "mamba_num_heads": 128,
        "max_position_embeddings": 131072,
        "model_type": "nemotron_h",
        "n_groups": 8,
        "num_attention_heads": 40,
        "num_hidden_layers": 56,
        "num_key_value_heads": 8,
        "ssm_state_size": 128,
        "vocab_size": 131072,
    }
    a = arch_from_config(cfg)
    assert a.num_layers == len(pattern) == 56
    assert a.count_layers("full") == pattern.count("*") == 4
    assert a.count_layers("mamba") == pattern.count("M") == 27
    assert a.count_layers("none") == pattern.count("-") == 25
    m = a.mamba
    assert m is not None and m.kind == "mamba2" and m.ssm_state_dtype == "float32"
    conv_dim = 128 * 80 + 2 * 8 * 128
    assert m.state_shapes(1) == ((3, conv_dim), (128, 80, 128))
    assert m.state_shapes(2) == ((3, conv_dim // 2), (64, 80, 128))


def test_jamba_mamba1() -> None:
    cfg = {
        "architectures": ["JambaForCausalLM"],
        "model_type": "jamba",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "num_hidden_layers": 32,
        "vocab_size": 65536,
        "attn_layer_offset": 4,
        "attn_layer_period": 8,
        "expert_layer_offset": 1,
        "expert_layer_period": 2,
        "num_experts": 16,
        "num_experts_per_tok": 2,
        "mamba_d_conv": 4,
        "mamba_d_state": 16,
        "mamba_expand": 2,
        "max_position_embeddings": 262144,
    }
    a = arch_from_config(cfg)
    assert [i for i, k in enumerate(a.layer_kinds) if k == "full"] == [4, 12, 20, 28]
    assert a.mamba is not None and a.mamba.num_layers == 28
    assert a.mamba.state_shapes(1) == ((3, 8192), (8192, 16))
    assert a.moe is not None and a.moe.moe_layers == tuple(range(1, 32, 2))
    assert a.attention == "hybrid"


def test_falcon_h1_parallel_hybrid() -> None:
    cfg = {
        "model_type": "falcon_h1",
        "hidden_size": 1024,
        "intermediate_size": 2048,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
        "num_hidden_layers": 24,
        "vocab_size": 32768,
        "head_dim": 64,
        "mamba_d_conv": 4,
        "mamba_d_head": 64,
        "mamba_d_ssm": 1536,
        "mamba_d_state": 128,
        "mamba_n_groups": 1,
        "mamba_n_heads": 24,
        "max_position_embeddings": 16384,
    }
    a = arch_from_config(cfg)
    assert a.layer_kinds == ("full",) * 24  # every layer also keeps a KV cache
    assert a.mamba is not None and a.mamba.num_layers == 24
    assert a.attention == "hybrid"


# -------------------------------------------------------------------------------- quantized


def test_awq_quantization_config() -> None:
    a = arch("TheBloke--CodeLlama-34B-AWQ")
    q = a.quantization
    assert q is not None
    assert (q.method, q.bits, q.group_size, q.weight_type) == ("awq", 4, 128, "int")
    assert a.max_model_len == 16384
    b = arch("LDCC--Qwen2.5-72B-Instruct-ko-AWQ")
    assert b.quantization is not None and b.quantization.not_quantized == ()
    assert b.torch_dtype == "float16"


def test_compressed_tensors_and_bitsandbytes() -> None:
    base = load("meta-llama--Llama-3.1-8B-Instruct")
    base["quantization_config"] = {
        "config_groups": {
            "group_0": {
                "targets": ["Linear"],
                "weights": {"num_bits": 8, "type": "float", "strategy": "channel"},
            }
        },
        "ignore": ["lm_head"],
        "kv_cache_scheme": {"num_bits": 8, "type": "float"},
        "quant_method": "compressed-tensors",
    }
    q = arch_from_config(base).quantization
    assert q is not None
    assert (q.method, q.bits, q.weight_type, q.kv_cache_bits) == (
        "compressed-tensors",
        8,
        "float",
        8,
    )
    assert q.not_quantized == ("lm_head",)
    base["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    q = arch_from_config(base).quantization
    assert q is not None and (q.method, q.bits) == ("bitsandbytes", 4)
    base["quantization_config"] = {"quant_method": "compressed_tensors"}
    q = arch_from_config(base).quantization
    assert q is not None and q.method == "compressed-tensors"


# ------------------------------------------------------------------------------ max length


def _llama2() -> dict[str, Any]:
    return load("meta-llama--Llama-2-7b-hf")


@pytest.mark.parametrize(
    ("rope_scaling", "expected"),
    [
        (None, 4096),
        ({"type": "linear", "factor": 2.0}, 8192),  # legacy `type` key
        ({"rope_type": "linear", "factor": 4.0}, 16384),
        ({"rope_type": "dynamic", "factor": 2.0}, 8192),
        ({"rope_type": "default", "factor": None}, 4096),  # null factor counts as 1
        ({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 1024}, 4096),
        ({"type": "yarn", "factor": 40}, 4096),
        ({"rope_type": "deepseek_yarn", "factor": 4.0}, 4096),
        (
            {
                "rope_type": "llama3",
                "factor": 8.0,
                "original_max_position_embeddings": 8192,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
            },
            4096,
        ),
    ],
)
def test_rope_scaling_as_vllm_applies_it(rope_scaling: Any, expected: int) -> None:
    cfg = _llama2()
    cfg["rope_scaling"] = rope_scaling
    a = arch_from_config(cfg)
    assert a.max_model_len == expected
    assert a.derived_max_model_len == expected


def test_nested_rope_parameters_last_factor_wins() -> None:
    cfg = _llama2()
    cfg["rope_parameters"] = {
        "full_attention": {"rope_type": "linear", "factor": 2.0},
        "sliding_attention": {"rope_type": "default"},
    }
    assert arch_from_config(cfg).max_model_len == 8192


def test_longrope_defaults_to_original_length() -> None:
    cfg = load("microsoft--phi-4")
    cfg.update(
        max_position_embeddings=131072,
        original_max_position_embeddings=4096,
        rope_scaling={"type": "su", "long_factor": [1.0], "short_factor": [1.0]},
    )
    a = arch_from_config(cfg)
    assert a.max_model_len == 4096  # vLLM's default for LongRoPE
    assert a.derived_max_model_len == 131072  # the limit a user value is checked against
    del cfg["original_max_position_embeddings"]  # Phi3Config default: 4096
    assert arch_from_config(cfg).max_model_len == 4096


def test_smallest_length_key_and_model_max_length_override() -> None:
    cfg = _llama2()
    cfg["max_seq_len"] = 2048
    a = arch_from_config(cfg)
    assert (a.max_model_len, a.max_len_key) == (2048, "max_seq_len")
    cfg = _llama2()
    cfg["model_max_length"] = 131072  # Command-R: overrides even when larger
    a = arch_from_config(cfg)
    assert (a.max_model_len, a.max_len_key, a.model_max_length) == (
        131072,
        "model_max_length",
        131072,
    )


def test_no_length_key_falls_back_like_vllm() -> None:
    cfg = _llama2()
    del cfg["max_position_embeddings"]
    assert arch_from_config(cfg).max_model_len == 2048  # LlamaConfig's class default
    cfg["model_type"] = "some_new_model"
    a = arch_from_config(cfg)
    assert (a.max_model_len, a.max_len_key) == (2048, None)  # vLLM's "assuming 2048"


# ------------------------------------------------------------------------- sliding semantics


def test_qwen2_use_sliding_window_and_max_window_layers() -> None:
    cfg = load("LDCC--Qwen2.5-72B-Instruct-ko-AWQ")
    cfg["sliding_window"] = 4096
    assert arch_from_config(cfg).sliding_window is None  # use_sliding_window false
    cfg["use_sliding_window"] = True
    cfg["max_window_layers"] = 0
    a = arch_from_config(cfg)
    assert a.layer_kinds == ("sliding",) * 80 and a.sliding_window == 4096
    cfg["max_window_layers"] = 80  # no layer at or above 80: all full
    a = arch_from_config(cfg)
    assert a.layer_kinds == ("full",) * 80 and a.sliding_window is None


def test_model_wide_sliding_window() -> None:
    cfg = load("mistralai--Mistral-7B-Instruct-v0.3")
    cfg["sliding_window"] = 4096  # Mistral-7B-v0.1
    a = arch_from_config(cfg)
    assert a.layer_kinds == ("sliding",) * 32 and a.sliding_window == 4096
    del cfg["sliding_window"]  # MistralConfig's class default is 4096 too
    assert arch_from_config(cfg).sliding_window == 4096
    cfg["sliding_window"] = 0  # vLLM turns 0 into "no sliding window"
    assert arch_from_config(cfg).attention == "full"


def test_cohere2_window_plus_one() -> None:
    cfg = {
        "model_type": "cohere2",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "num_hidden_layers": 32,
        "vocab_size": 256000,
        "sliding_window": 4096,
        "sliding_window_pattern": 4,
        "max_position_embeddings": 8192,
    }
    a = arch_from_config(cfg)
    assert a.sliding_window == 4097  # commandr.py: sliding_window + 1
    assert a.layer_kinds[:4] == ("sliding", "sliding", "sliding", "full")


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda c: c.pop("hidden_size"), "hidden_size"),
        (lambda c: c.pop("num_hidden_layers"), "num_hidden_layers"),
        (lambda c: c.pop("vocab_size"), "vocab_size"),
        (lambda c: c.update(num_attention_heads="32"), "num_attention_heads"),
        (lambda c: c.update(num_hidden_layers=True), "num_hidden_layers"),
        (lambda c: c.update(hidden_size=0), "hidden_size"),
        (lambda c: c.update(tie_word_embeddings="no"), "tie_word_embeddings"),
        (lambda c: c.update(rope_scaling="linear"), "rope_scaling"),
        (lambda c: c.update(quantization_config=[1]), "quantization_config"),
        (lambda c: c.update(text_config=5), "text_config"),
        (lambda c: c.update(text_config={"hidden_size": 8}), "text_config"),
        (lambda c: c.pop("model_type"), "model_type"),
    ],
)
def test_config_errors_are_clear(mutate: Any, fragment: str) -> None:
    cfg = _llama2()
    mutate(cfg)
    with pytest.raises(ModelConfigError) as info:
        arch_from_config(cfg)
    assert fragment in info.value.message
    assert str(info.value) == info.value.message


def test_non_mapping_config() -> None:
    with pytest.raises(ModelConfigError, match="JSON object"):
        arch_from_config([1, 2])  # type: ignore[arg-type]


def test_nested_error_names_the_path() -> None:
    cfg = load("google--gemma-3-27b-it")
    cfg["text_config"]["num_key_value_heads"] = "sixteen"
    with pytest.raises(ModelConfigError, match=r"text_config\.num_key_value_heads"):
        arch_from_config(cfg)


# ----------------------------------------------------------------------------- param counts


def test_estimate_dense_exact_for_llama() -> None:
    counts = estimate_params(arch("meta-llama--Llama-3.1-8B-Instruct"))
    assert counts.total == counts.active == 8_030_261_248
    assert counts.embedding == counts.lm_head == 128256 * 4096
    assert counts.moe_experts == 0 and counts.mamba == 0
    parts = (
        counts.embedding
        + counts.lm_head
        + counts.attention
        + counts.mlp
        + counts.moe_experts
        + counts.moe_other
        + counts.mamba
        + counts.norms
        + counts.vision
    )
    assert parts == counts.total


def test_estimate_tied_embeddings_have_no_lm_head() -> None:
    cfg = load("meta-llama--Llama-3.1-8B-Instruct")
    cfg.update(
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=16,
        head_dim=64,
        tie_word_embeddings=True,
    )
    counts = estimate_params(arch_from_config(cfg))
    assert counts.lm_head == 0
    assert counts.total == 1_235_814_400  # Llama-3.2-1B


def test_estimate_moe_total_and_active() -> None:
    counts = estimate_params(arch("mistralai--Mixtral-8x7B-Instruct-v0.1"))
    assert counts.total == 46_702_792_704
    assert counts.active == pytest.approx(12.9e9, rel=0.01)
    ds = estimate_params(arch("deepseek-ai--DeepSeek-V3"))
    assert ds.total == pytest.approx(671e9, rel=0.005)
    assert ds.active == pytest.approx(37e9, rel=0.03)
    oss = estimate_params(arch("openai--gpt-oss-20b"))
    assert oss.total == 20_914_757_184


def test_attention_summary_kinds() -> None:
    assert arch("meta-llama--Llama-3.1-8B-Instruct").attention == "full"
    assert arch("deepseek-ai--DeepSeek-V3").attention == "mla"
    assert arch("google--gemma-3-27b-it").attention == "sliding"
    assert arch("meta-llama--Llama-4-Scout-17B-16E-Instruct").attention == "chunked"
    assert arch("Qwen--Qwen3-Next-80B-A3B-Thinking").attention == "hybrid"


# ------------------------------------------------------------- config formats and class defaults


def test_kimi_k25_text_config_without_model_type_is_deepseek_v3_mla() -> None:
    # transformers 5.16.1 Kimi_K25Config.__post_init__ (models/kimi_k25/
    # configuration_kimi_k25.py): a text_config dict without model_type becomes a
    # DeepseekV3Config, so vLLM's is_deepseek_mla sees "deepseek_v3" and caches the latent.
    text = load("deepseek-ai--DeepSeek-V3")
    del text["model_type"]
    cfg = {"model_type": "kimi_k25", "text_config": text, "vision_config": {"hidden_size": 1152}}
    a = arch_from_config(cfg)
    assert (a.model_type, a.text_model_type) == ("kimi_k25", "deepseek_v3")
    assert a.mla is not None and a.head_dim == 576  # not 128 heads × 56
    assert kv_bytes_per_token(a) == 70_272  # DESIGN §3's DeepSeek-V3 figure
    # the Hub files name the text model "kimi_k2", also MLA
    text["model_type"] = "kimi_k2"
    assert arch_from_config(cfg).mla is not None


def test_legacy_chatglm_format() -> None:
    # vLLM's ChatGLMConfig (transformers_utils/configs/chatglm.py): vocab_size =
    # padded_vocab_size, num_hidden_layers ← num_layers, n_head_kv ← multi_query_group_num,
    # max_position_embeddings = seq_length; chatglm.py builds a gated MLP of ffn_hidden_size
    # and a QKV bias from add_qkv_bias. The shape is ChatGLM3-6B's.
    cfg = {
        "architectures": ["ChatGLMModel"],
        "model_type": "chatglm",
        "add_bias_linear": False,
        "add_qkv_bias": True,
        "ffn_hidden_size": 13696,
        "hidden_size": 4096,
        "kv_channels": 128,
        "multi_query_attention": True,
        "multi_query_group_num": 2,
        "num_attention_heads": 32,
        "num_layers": 28,
        "padded_vocab_size": 65024,
        "seq_length": 8192,
        "tie_word_embeddings": False,
        "torch_dtype": "float16",
    }
    a = arch_from_config(cfg)
    assert (a.vocab_size, a.num_layers, a.num_kv_heads, a.head_dim) == (65024, 28, 2, 128)
    assert (a.intermediate_size, a.max_model_len, a.qkv_bias) == (13696, 8192, True)
    assert kv_bytes_per_token(a) == 28 * 2 * 2 * 128 * 2
    # embedding and output layer 65,024 × 4,096 each; per layer: QKV 4,096 × (4,096 + 2 × 256)
    # + bias 4,608, dense 4,096², gated MLP 3 × 4,096 × 13,696, two norms; a final norm:
    # 6,243,584,000 (ChatGLM3-6B is a "6B" model)
    assert estimate_params(a).total == 6_243_584_000


@pytest.mark.parametrize(
    ("model_type", "extra"),
    [
        ("opt", {"ffn_dim": 3072}),  # OPTConfig: tie_word_embeddings = True
        ("gpt2", {}),  # GPT2Config: True
        ("falcon", {}),  # FalconConfig: True
        ("RefinedWebModel", {}),  # vLLM's RWConfig; falcon.py ties when the config is silent
        ("starcoder2", {}),  # Starcoder2Config: True
    ],
)
def test_config_classes_that_tie_the_embeddings_by_default(
    model_type: str, extra: dict[str, Any]
) -> None:
    cfg: dict[str, Any] = {
        "model_type": model_type,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "vocab_size": 50272,
        "max_position_embeddings": 2048,
        **extra,
    }
    tied = arch_from_config(cfg)
    assert tied.tie_word_embeddings is True
    assert estimate_params(tied).lm_head == 0
    cfg["tie_word_embeddings"] = False  # what the file says wins
    assert estimate_params(arch_from_config(cfg)).lm_head == 50272 * 768


def test_deepseek_v32_indexer_weights_are_counted_and_replicated() -> None:
    # deepseek_v2.py Indexer: wq_b 1,536 → 64 × 128, wk 7,168 → 128, weights_proj 7,168 → 64,
    # LayerNorm(128) with bias: 12,582,912 + 917,504 + 458,752 + 256 = 13,959,424 per layer;
    # ReplicatedLinear / disable_tp: every tp rank holds all of them.
    text = load("deepseek-ai--DeepSeek-V3")
    text.update(model_type="deepseek_v32", index_topk=2048, index_head_dim=128, index_n_heads=64)
    v32 = estimate_params(arch_from_config(text))
    v3 = estimate_params(arch("deepseek-ai--DeepSeek-V3"))
    assert v32.total - v3.total == 61 * 13_959_424 == v32.replicated
    assert v3.replicated == 0
    # index_topk without index_head_dim: vLLM's Indexer would fail; say which key is missing
    del text["index_head_dim"]
    with pytest.raises(ModelConfigError, match="index_head_dim"):
        arch_from_config(text)
