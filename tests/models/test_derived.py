"""models/derived.py: which catalog model a checkpoint's name says it is, and its quantization.

The names are real Hugging Face repos that vLLM users serve (many from the accuracy cases in
tests/accuracy/cases.yaml). Matching runs against a fixed list of catalog entries so that the
catalog growing (another helper adds models) cannot change what these tests mean; the
resolver tests at the end use the real catalog with names no catalog will carry.
"""

from __future__ import annotations

from typing import Any

import pytest

from vllm_wizard.catalog.models import CatalogModel, catalog_model, config_dict
from vllm_wizard.models.arch import QuantizationInfo, arch_from_config
from vllm_wizard.models.derived import (
    Derivation,
    derive,
    derive_from,
    derived_config,
    implied_quantization,
    parse_name,
)

CATALOG_IDS = (
    "meta-llama/Llama-2-7b-hf",
    "meta-llama/Llama-2-13b-hf",
    "meta-llama/Meta-Llama-3-8B-Instruct",
    "meta-llama/Meta-Llama-3-70B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-405B",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "mistralai/Mistral-7B-v0.1",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "mistralai/Mixtral-8x22B-Instruct-v0.1",
    "Qwen/Qwen2-72B",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-32B-Instruct",
    "Qwen/Qwen2.5-72B-Instruct",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B",
    "deepseek-ai/DeepSeek-V2-Lite",
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    "google/gemma-2-9b-it",
    "google/gemma-3-27b-it",
    "microsoft/phi-4",
    "openai/gpt-oss-20b",
    "TheBloke/CodeLlama-34B-AWQ",
    "LDCC/Qwen2.5-72B-Instruct-ko-AWQ",
    "cortecs/Meta-Llama-3-70B-Instruct-GPTQ",
    "neuralmagic/Qwen2.5-7B-FP8-dynamic",
    "amd/Llama-3.1-8B-Instruct-FP8-KV",
)


def entry(model_id: str) -> CatalogModel:
    found = catalog_model(model_id)
    assert found is not None, model_id
    return found


CATALOG = tuple(entry(model_id) for model_id in CATALOG_IDS)


def derived(model_id: str) -> Derivation:
    found = derive(model_id, CATALOG)
    assert found is not None, f"{model_id} derived nothing"
    return found


def quantization_of(derivation: Derivation) -> QuantizationInfo | None:
    return arch_from_config(derived_config(derivation)).quantization


# ---------------------------------------------------------------------------------------------
# Names that say which catalog model they are
# ---------------------------------------------------------------------------------------------

# (repo id, catalog entry it is planned as, quantization label or None, sibling?)
POSITIVE: list[tuple[str, str, str | None, bool]] = [
    # quantized copies, by the quantizer's naming
    (
        "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8",
        "meta-llama/Llama-3.1-8B-Instruct",
        "FP8 (compressed-tensors)",
        False,
    ),
    (
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic",
        "meta-llama/Llama-3.1-8B-Instruct",
        "FP8 (compressed-tensors, dynamic activations)",
        False,
    ),
    (
        "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
        "meta-llama/Llama-3.3-70B-Instruct",
        "FP8 (compressed-tensors, dynamic activations)",
        False,
    ),
    (
        "neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8",
        "meta-llama/Llama-3.1-70B-Instruct",
        "INT8 W8A8 (compressed-tensors)",
        False,
    ),
    (
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16",
        "meta-llama/Llama-3.1-8B-Instruct",
        "INT4 W4A16 (compressed-tensors)",
        False,
    ),
    ("nytopop/Qwen3-30B-A3B.w4a16", "Qwen/Qwen3-30B-A3B", "INT4 W4A16 (compressed-tensors)", False),
    (
        "RedHatAI/Qwen3-8B-NVFP4",
        "Qwen/Qwen3-8B",
        "NVFP4 (compressed-tensors)",
        False,
    ),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", "Qwen/Qwen2.5-7B-Instruct", "AWQ 4-bit", False),
    ("Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-72B-Instruct", "GPTQ 4-bit", False),
    ("Qwen/Qwen2.5-32B-Instruct-GPTQ-Int8", "Qwen/Qwen2.5-32B-Instruct", "GPTQ 8-bit", False),
    ("Qwen/Qwen3-235B-A22B-FP8", "Qwen/Qwen3-235B-A22B", "FP8 (block-wise, 128 × 128)", False),
    ("Qwen/Qwen3-8B-FP8", "Qwen/Qwen3-8B", "FP8 (block-wise, 128 × 128)", False),
    (
        "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
        "meta-llama/Llama-3.1-8B-Instruct",
        "AWQ 4-bit",
        False,
    ),
    (
        "hugging-quants/Meta-Llama-3.1-70B-Instruct-GPTQ-INT4",
        "meta-llama/Llama-3.1-70B-Instruct",
        "GPTQ 4-bit",
        False,
    ),
    (
        "casperhansen/llama-3-70b-instruct-awq",
        "meta-llama/Meta-Llama-3-70B-Instruct",
        "AWQ 4-bit",
        False,
    ),
    (
        "TechxGenus/Meta-Llama-3-8B-Instruct-AWQ",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "AWQ 4-bit",
        False,
    ),
    (
        "MaziyarPanahi/Meta-Llama-3-8B-Instruct-GPTQ",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "GPTQ 4-bit",
        False,
    ),
    (
        "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit",
        "meta-llama/Llama-3.1-8B-Instruct",
        "bitsandbytes 4-bit",
        False,
    ),
    (
        "unsloth/Qwen2.5-7B-Instruct-unsloth-bnb-4bit",
        "Qwen/Qwen2.5-7B-Instruct",
        "bitsandbytes 4-bit",
        False,
    ),
    ("unsloth/gemma-2-9b-it-bnb-4bit", "google/gemma-2-9b-it", "bitsandbytes 4-bit", False),
    (
        "RedHatAI/gemma-3-27b-it-FP8-dynamic",
        "google/gemma-3-27b-it",
        "FP8 (compressed-tensors, dynamic activations)",
        False,
    ),
    (
        "RedHatAI/phi-4-FP8-dynamic",
        "microsoft/phi-4",
        "FP8 (compressed-tensors, dynamic activations)",
        False,
    ),
    (
        "RedHatAI/Llama-4-Scout-17B-16E-Instruct-FP8-dynamic",
        "meta-llama/Llama-4-Scout-17B-16E-Instruct",
        "FP8 (compressed-tensors, dynamic activations)",
        False,
    ),
    (
        "TheBloke/Mixtral-8x7B-Instruct-v0.1-AWQ",
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "AWQ 4-bit",
        False,
    ),
    (
        "casperhansen/deepseek-r1-distill-llama-8b-awq",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "AWQ 4-bit",
        False,
    ),
    ("cognitivecomputations/DeepSeek-V3-AWQ", "deepseek-ai/DeepSeek-V3", "AWQ 4-bit", False),
    ("TheBloke/Llama-2-7B-GPTQ", "meta-llama/Llama-2-7b-hf", "GPTQ 4-bit", False),
    # re-uploads: same model, another org
    ("unsloth/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", None, False),
    ("NousResearch/Meta-Llama-3-8B-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct", None, False),
    ("unsloth/Meta-Llama-3.1-8B", "meta-llama/Llama-3.1-8B", None, False),
    ("unsloth/DeepSeek-V3", "deepseek-ai/DeepSeek-V3", None, False),
    ("unsloth/llama-3-8b-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct", None, False),
    ("Qwen/Qwen2.5-7B", "neuralmagic/Qwen2.5-7B-FP8-dynamic", None, False),
    # a copy of a quantized catalog checkpoint: its own file, not a typical one
    ("someone/Llama-3.1-8B-Instruct-FP8-KV", "amd/Llama-3.1-8B-Instruct-FP8-KV", None, False),
    # verified base/instruct siblings
    ("meta-llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct", None, True),
    ("Meta-Llama/Meta-Llama-3-8B", "meta-llama/Meta-Llama-3-8B-Instruct", None, True),
    ("meta-llama/Meta-Llama-3-70B", "meta-llama/Meta-Llama-3-70B-Instruct", None, True),
    ("meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct", None, True),
    ("meta-llama/Llama-2-7b-chat-hf", "meta-llama/Llama-2-7b-hf", None, True),
    ("TheBloke/Llama-2-7B-Chat-AWQ", "meta-llama/Llama-2-7b-hf", "AWQ 4-bit", True),
    ("mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1", None, True),
]


@pytest.mark.parametrize(("model_id", "base", "label", "sibling"), POSITIVE)
def test_real_names_derive_from_their_catalog_model(
    model_id: str, base: str, label: str | None, sibling: bool
) -> None:
    found = derived(model_id)
    assert found.base.id == base
    assert (found.quantization.label if found.quantization else None) == label
    assert (found.sibling_source is not None) is sibling
    assert not found.quantization_unsure


# Names that must not derive: each shares a lot with a catalog entry but is another model,
# a format vLLM does not load as a repo, or a sibling whose config was not verified to agree.
NEGATIVE = [
    ("Qwen/Qwen2-7B-Instruct", "Qwen2, not Qwen2.5 (the accuracy cases' Qwen2-7B)"),
    ("Qwen/Qwen3-Coder-30B-A3B-Instruct", "Qwen3-Coder, not Qwen3"),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", "the 2507 release, not Qwen3-30B-A3B"),
    ("Qwen/Qwen2.5-7B-Instruct-1M", "the 1M-context model"),
    ("Qwen/Qwen3-8B-Base", "Qwen3 base repos have another context length"),
    ("Qwen/Qwen2.5-72B", "Qwen2.5 base repos have another context length"),
    ("someone/Qwen2.5-72B-Instruct-abliterated-AWQ", "a fine-tune"),
    ("NousResearch/Hermes-3-Llama-3.1-8B", "a fine-tune sharing only the architecture"),
    ("defog/llama-3-sqlcoder-8b", "a fine-tune sharing only the architecture"),
    ("Qwen/Qwen2.5-7B-Instruct-GGUF", "GGUF"),
    ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "GGUF"),
    ("mlx-community/Meta-Llama-3-8B-Instruct-4bit", "Apple MLX weights"),
    ("turboderp/Llama-3.1-8B-Instruct-exl2", "EXL2"),
    ("LoneStriker/Meta-Llama-3-8B-Instruct-4.0bpw-h6-exl2", "EXL2"),
    ("TheBloke/Llama-2-13B-chat-AWQ", "the 13B chat/base configs were not compared"),
    ("meta-llama/Llama-3.2-1B", "the Llama 3.2 base configs were not read"),
    ("meta-llama/Llama-3.1-405B-Instruct", "the 405B instruct config was not read"),
    ("mistralai/Mixtral-8x22B-v0.1", "its base has another vocabulary (32000 vs 32768)"),
    ("mistralai/Mistral-7B-Instruct-v0.2", "v0.2 is neither v0.1 nor v0.3"),
    ("mistralai/Mistral-7B-Instruct-v0.1", "the Mistral 7B v0.1 instruct config was not compared"),
    ("deepseek-ai/DeepSeek-V3-0324", "another release"),
    ("deepseek-ai/DeepSeek-V2-Lite-Chat", "the Chat config's vocabulary was not verified"),
    ("RedHatAI/Llama-3.1-8B-Instruct-FP8-calibrated", "an unknown suffix"),
    ("meta-llama/Llama-3.1-8B-Instruct-dynamic", "'dynamic' without a method"),
    ("org/Llama-3.1-8B-Instruct-Chat", "two variants"),
    ("org/instruct", "no model at all"),
    ("org/" + "a" * 300, "absurdly long"),
]


@pytest.mark.parametrize(("model_id", "why"), NEGATIVE)
def test_names_that_only_look_alike_derive_nothing(model_id: str, why: str) -> None:
    assert derive(model_id, CATALOG) is None, why


@pytest.mark.parametrize(
    "model_id",
    [
        "someone/Meta-Llama-3.1-8B-Instruct-Int4",  # AWQ? GPTQ? bitsandbytes?
        "someone/Meta-Llama-3.1-8B-Instruct-4bit",
        "someone/Meta-Llama-3.1-8B-Instruct-AWQ-GPTQ",  # two methods
        "someone/Meta-Llama-3.1-8B-Instruct-AWQ-Int8",  # AWQ is 4-bit
    ],
)
def test_a_storage_suffix_that_says_no_one_method_plans_16_bit_weights(model_id: str) -> None:
    """The model is clear, its storage is not: 16-bit weights can only overstate them."""
    found = derived(model_id)
    assert found.base.id == "meta-llama/Llama-3.1-8B-Instruct"
    assert found.quantization is None and found.quantization_unsure
    assert quantization_of(found) is None


# ---------------------------------------------------------------------------------------------
# The parse itself
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "core", "variant"),
    [
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b", "instruct"),
        ("x/Llama3.1-8B-Instruct", "llama-3.1-8b", "instruct"),
        ("x/llama-3-8b-Instruct-bnb-4bit", "llama-3-8b", "instruct"),
        ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b", "chat"),
        ("google/gemma2-9b-it", "gemma-2-9b", "it"),
        ("Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4", "qwen2.5-72b", "instruct"),
        ("x/Qwen3-30B-A3B.w4a16", "qwen3-30b-a3b", ""),
        ("mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-v0.3", "instruct"),
        ("RedHatAI/Meta-Llama-3.1-70B-Instruct-quantized.w8a8", "llama-3.1-70b", "instruct"),
        ("TheBloke/Llama-2-7B-GPTQ-4bit-32g-actorder", "llama-2-7b", ""),
    ],
)
def test_names_parse_to_core_and_variant(model_id: str, core: str, variant: str) -> None:
    parts = parse_name(model_id)
    assert parts is not None
    assert (parts.core, parts.variant) == (core, variant)


def test_group_size_in_the_name_is_kept() -> None:
    parts = parse_name("TheBloke/Llama-2-7B-GPTQ-4bit-32g-actorder")
    assert parts is not None
    implied = implied_quantization(parts)
    assert not isinstance(implied, str) and implied is not None
    assert implied.config["group_size"] == 32 and implied.config["bits"] == 4


# ---------------------------------------------------------------------------------------------
# The implied quantization_config, read by models/arch/quantization.py as vLLM reads the real file
# ---------------------------------------------------------------------------------------------


def info_tuple(info: QuantizationInfo | None) -> tuple[Any, ...]:
    assert info is not None
    return (info.method, info.bits, info.group_size, info.weight_block_size, info.weight_type)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", ("awq", 4, 128, None, "int")),
        ("Qwen/Qwen2.5-32B-Instruct-GPTQ-Int8", ("gptq", 8, 128, None, "int")),
        ("Qwen/Qwen3-8B-FP8", ("fp8", 8, None, (128, 128), "float")),
        (
            "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
            ("compressed-tensors", 8, None, None, "float"),
        ),
        (
            "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8",
            ("compressed-tensors", 8, None, None, "float"),
        ),
        (
            "neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8",
            ("compressed-tensors", 8, None, None, "int"),
        ),
        ("nytopop/Qwen3-30B-A3B.w4a16", ("compressed-tensors", 4, 128, None, "int")),
        ("RedHatAI/Qwen3-8B-NVFP4", ("compressed-tensors", 4, 16, None, "float")),
        ("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", ("bitsandbytes", 4, None, None, None)),
    ],
)
def test_implied_configs_read_as_vllm_reads_them(model_id: str, expected: tuple[Any, ...]) -> None:
    assert info_tuple(quantization_of(derived(model_id))) == expected


@pytest.mark.parametrize(
    ("real_checkpoint", "name_only"),
    [
        # real config.json files in the catalog against the config implied by a name alone
        ("TheBloke/CodeLlama-34B-AWQ", "Qwen/Qwen2.5-7B-Instruct-AWQ"),
        ("LDCC/Qwen2.5-72B-Instruct-ko-AWQ", "Qwen/Qwen2.5-72B-Instruct-AWQ"),
        ("cortecs/Meta-Llama-3-70B-Instruct-GPTQ", "Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4"),
        ("neuralmagic/Qwen2.5-7B-FP8-dynamic", "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic"),
    ],
)
def test_implied_configs_match_real_checkpoints_of_that_kind(
    real_checkpoint: str, name_only: str
) -> None:
    real = arch_from_config(entry(real_checkpoint).config).quantization
    assert info_tuple(quantization_of(derived(name_only))) == info_tuple(real)


def test_the_implied_quantization_replaces_a_native_one() -> None:
    """DeepSeek-V3 ships fp8 weights; its AWQ copy is AWQ, a plain re-upload stays fp8."""
    assert info_tuple(quantization_of(derived("cognitivecomputations/DeepSeek-V3-AWQ")))[0] == "awq"
    assert info_tuple(quantization_of(derived("unsloth/DeepSeek-V3")))[0] == "fp8"


def test_a_quantized_catalog_copy_loses_its_quantization_for_an_unquantized_name() -> None:
    """Qwen2.5-7B (base) is planned from neuralmagic's FP8 copy's config, in 16 bits."""
    found = derived("Qwen/Qwen2.5-7B")
    arch = arch_from_config(derived_config(found))
    assert arch.quantization is None
    assert arch.max_model_len == 131072  # the base repo's context, as the copy's file says


@pytest.mark.parametrize(
    ("model_id", "base"),
    [
        ("someone/CodeLlama-34B-AWQ", "TheBloke/CodeLlama-34B-AWQ"),  # same storage suffix
        ("someone/Llama-3.1-8B-Instruct-FP8-KV", "amd/Llama-3.1-8B-Instruct-FP8-KV"),
        ("someone/CodeLlama-34B-AWQ-INT4", "TheBloke/CodeLlama-34B-AWQ"),  # same method
        # preferred over the unquantized Meta-Llama-3-70B-Instruct with a typical GPTQ file
        ("MaziyarPanahi/Meta-Llama-3-70B-Instruct-GPTQ", "cortecs/Meta-Llama-3-70B-Instruct-GPTQ"),
    ],
)
def test_a_quantized_catalog_copy_keeps_its_own_file(model_id: str, base: str) -> None:
    found = derived(model_id)
    assert found.base.id == base
    own = config_dict(entry(base))["quantization_config"]
    assert derived_config(found)["quantization_config"] == own


def test_derive_from_a_named_base_takes_the_quantization_from_the_name() -> None:
    base = entry("meta-llama/Llama-3.1-8B-Instruct")
    private = derive_from("acme/support-bot-v3-AWQ", base)
    assert private.base is base and private.quantization is not None
    assert private.quantization.label == "AWQ 4-bit"
    plain = derive_from("acme/support-bot-v3", base)
    assert plain.quantization is None and not plain.quantization_unsure
    assert derived_config(plain) == derived_config(derive_from("acme/x", base))


def test_derived_configs_do_not_share_state_with_the_catalog() -> None:
    first = derived_config(derived("Qwen/Qwen2.5-7B-Instruct-AWQ"))
    first["quantization_config"]["bits"] = 3
    first["hidden_size"] = 1
    again = derived_config(derived("Qwen/Qwen2.5-7B-Instruct-AWQ"))
    assert again["quantization_config"]["bits"] == 4 and again["hidden_size"] == 3584
