"""The bundled model catalog: coverage, provenance, lookups, and that every entry parses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from vllm_wizard.catalog.models import (
    CatalogModel,
    catalog_model,
    catalog_model_ids,
    catalog_models,
    config_dict,
    suggest_models,
)
from vllm_wizard.models.arch import arch_from_config, estimate_params

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
README = Path(__file__).resolve().parents[2] / "README.md"
MODELS = catalog_models()


def _ids(models: tuple[CatalogModel, ...]) -> list[str]:
    return [m.id for m in models]


def test_at_least_150_models_with_unique_ids() -> None:
    ids = catalog_model_ids()
    assert len(ids) >= 150
    assert len(ids) == len(set(ids))
    assert len({i.lower() for i in ids}) == len(ids)


def test_readme_counts_the_catalog() -> None:
    """The README states how many checkpoints the catalog holds; keep the sentence true."""
    match = re.search(r"bundled catalog of (\d+) checkpoints", README.read_text("utf-8"))
    assert match, "README no longer states the catalog size"
    assert int(match.group(1)) == len(MODELS)


@pytest.mark.parametrize(
    "model_id",
    [
        # named in issue 10 (item 4)
        "Qwen/Qwen2-7B-Instruct",
        "meta-llama/Meta-Llama-3-8B",
        "deepseek-ai/DeepSeek-V2-Lite-Chat",
        "deepseek-ai/DeepSeek-V3.2",
        "neuralmagic/Meta-Llama-3.1-405B-Instruct-FP8-dynamic",
        "facebook/opt-125m",
        "facebook/opt-66b",
        # -Instruct/-Chat and base siblings people serve
        "meta-llama/Llama-2-7b-chat-hf",
        "meta-llama/Llama-3.1-70B",
        "meta-llama/Llama-3.1-405B-Instruct",
        "meta-llama/Llama-3.2-1B",
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
        "mistralai/Mixtral-8x7B-v0.1",
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "Qwen/Qwen3-Coder-480B-A35B-Instruct",
        "google/gemma-2-2b-it",
        "microsoft/Phi-3.5-mini-instruct",
        "CohereForAI/c4ai-command-r-plus",
        "moonshotai/Kimi-K2-Instruct",
        "zai-org/GLM-4.5-Air",
        # quantized re-uploads: FP8 / AWQ / GPTQ
        "neuralmagic/Qwen2-72B-Instruct-FP8",
        "hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4",
        "alpindale/c4ai-command-r-plus-GPTQ",
    ],
)
def test_required_checkpoints_present(model_id: str) -> None:
    assert catalog_model(model_id) is not None, model_id


@pytest.mark.parametrize(
    "family",
    [
        "meta-llama/Llama-2-",
        "meta-llama/Meta-Llama-3-",
        "meta-llama/Llama-3.1-",
        "meta-llama/Llama-3.2-",
        "meta-llama/Llama-3.3-",
        "meta-llama/Llama-4-",
        "Qwen/Qwen2-",
        "Qwen/Qwen2.5-",
        "Qwen/Qwen3-",
        "Qwen/Qwen3-30B-A3B",
        "mistralai/Mistral-7B",
        "mistralai/Mixtral-",
        "mistralai/Mistral-Small",
        "deepseek-ai/DeepSeek-V2",
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai/DeepSeek-R1",
        "deepseek-ai/DeepSeek-R1-Distill-",
        "google/gemma-2-",
        "google/gemma-3-",
        "microsoft/Phi-3",
        "microsoft/phi-4",
        "openai/gpt-oss-",
        "CohereForAI/c4ai-command-r",
        "facebook/opt-",
        "tiiuae/falcon-",
        "01-ai/Yi-",
        "mistralai/Mistral-Large",
        "Qwen/Qwen2.5-Coder-",
        "Qwen/Qwen3.5-",
        "moonshotai/Kimi-K2",
        "zai-org/GLM-4",
        "microsoft/Phi-3.5",
        "microsoft/Phi-4-mini",
        "ibm-granite/granite-3",
        "HuggingFaceTB/SmolLM2-",
        "internlm/internlm2",
        "baichuan-inc/Baichuan2",
        "LGAI-EXAONE/EXAONE",
        "allenai/OLMo-2",
        "codellama/",
        "neuralmagic/",
        "hugging-quants/",
        "TheBloke/",
    ],
)
def test_required_families_present(family: str) -> None:
    assert any(i.startswith(family) for i in catalog_model_ids()), family


def test_quantized_repos_present() -> None:
    methods = set()
    for model in MODELS:
        q = arch_from_config(model.config).quantization
        if q is not None:
            methods.add(q.method)
    assert {"awq", "gptq", "fp8", "compressed-tensors", "mxfp4"} <= methods


_QUANT_NAME = re.compile(r"(awq|gptq|fp8)", re.IGNORECASE)
QUANT_NAMED = tuple(m for m in MODELS if _QUANT_NAME.search(m.id.split("/", 1)[1]))


@pytest.mark.parametrize("model", QUANT_NAMED, ids=_ids(QUANT_NAMED))
def test_quantized_repo_carries_its_quantization_block(model: CatalogModel) -> None:
    """A re-upload named -AWQ/-GPTQ/-FP8 must carry the quantization block of its config.json
    (the weights model sizes it from there) and count parameters logically, not as packed words."""
    quant = arch_from_config(model.config).quantization
    assert quant is not None, f"{model.id} has no quantization_config"
    kind = _QUANT_NAME.search(model.id.split("/", 1)[1])
    assert kind is not None
    expected = kind.group(1).lower()
    if expected == "fp8":
        assert quant.method in ("fp8", "fbgemm_fp8", "compressed-tensors"), quant.method
        assert quant.bits == 8 and quant.weight_type == "float"
    else:
        assert quant.method == expected and quant.bits == 4
    assert model.params_source in ("base_model", "estimate")


def test_every_source_is_a_pinned_reference() -> None:
    """Sources name a Hugging Face page, a GitHub file pinned to a commit, or the fact sheet."""
    for model in MODELS:
        for source in model.sources:
            ref = source.split(" ", 1)[0]
            if ref.startswith("https://github.com/"):
                assert re.search(r"/blob/[0-9a-f]{40}/", ref), f"{model.id}: unpinned {ref}"
            else:
                known = ref.startswith("https://huggingface.co/") or ref == "shared/data/models.md"
                assert known, f"{model.id}: source {source!r} is not a reference"


EXACT_OR_STATED = tuple(m for m in MODELS if m.params_source != "estimate")


@pytest.mark.parametrize("model", EXACT_OR_STATED, ids=_ids(EXACT_OR_STATED))
def test_stated_counts_within_a_sane_ratio_of_the_estimate(model: CatalogModel) -> None:
    """A count read from a source must agree with the architecture it is filed under: within 10 %
    for the total (MTP layers and rounded card figures stay inside that) and within a factor of
    1.4 for MoE active counts (cards round them; some count shared parts differently)."""
    arch = arch_from_config(model.config)
    estimate = estimate_params(arch)
    ratio = estimate.total / model.params_total
    assert 0.9 < ratio < 1.1, f"{model.id}: estimate {estimate.total:,} vs {model.params_total:,}"
    if model.params_active is not None:
        active_ratio = estimate.active / model.params_active
        assert 1 / 1.4 < active_ratio < 1.4, f"{model.id}: active ratio {active_ratio:.2f}"


def test_active_counts_only_for_moe() -> None:
    for model in MODELS:
        if arch_from_config(model.config).moe is None:
            assert model.params_active is None, model.id


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_every_entry_parses_and_is_sourced(model: CatalogModel) -> None:
    arch = arch_from_config(model.config)
    assert arch.num_layers > 0 and arch.head_dim > 0 and arch.vocab_size > 0
    assert arch.max_model_len > 0
    assert model.sources, model.id
    assert model.params_total > 0
    if arch.moe is not None:
        assert model.params_active is not None
        assert 0 < model.params_active < model.params_total
    if model.params_source == "estimate":
        # an estimate in the catalog is exactly what estimate_params says
        assert model.params_total == estimate_params(arch).total
    if model.params_source != "safetensors":
        assert model.params_note


DENSE_EXACT = tuple(m for m in MODELS if m.params_exact and arch_from_config(m.config).moe is None)


@pytest.mark.parametrize("model", DENSE_EXACT, ids=_ids(DENSE_EXACT))
def test_estimate_within_three_percent_of_exact_count(model: CatalogModel) -> None:
    estimate = estimate_params(arch_from_config(model.config)).total
    assert abs(estimate - model.params_total) / model.params_total < 0.03, (
        f"{model.id}: estimate {estimate:,} vs exact {model.params_total:,}"
    )


def test_moe_estimates_near_the_stated_totals() -> None:
    for model_id in ("Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-235B-A22B", "openai/gpt-oss-120b"):
        model = catalog_model(model_id)
        assert model is not None
        estimate = estimate_params(arch_from_config(model.config)).total
        assert abs(estimate - model.params_total) / model.params_total < 0.03


def test_lookup_exact_then_case_insensitive() -> None:
    exact = catalog_model("meta-llama/Llama-3.1-8B-Instruct")
    assert exact is not None and exact.id == "meta-llama/Llama-3.1-8B-Instruct"
    assert catalog_model("META-LLAMA/llama-3.1-8b-instruct") is exact
    assert catalog_model("  Qwen/Qwen3-32B ") is not None
    assert catalog_model("nobody/no-such-model") is None
    assert catalog_model("") is None


def test_suggestions() -> None:
    assert suggest_models("meta-llama/Llama-3.1-8B-Instruc")[0] == (
        "meta-llama/Llama-3.1-8B-Instruct"
    )
    assert "Qwen/Qwen3-32B" in suggest_models("qwen3-32b")
    assert "google/gemma-3-27b-it" in suggest_models("gemma-3-27b")
    assert len(suggest_models("llama", limit=2)) <= 2
    assert suggest_models("zzzzzzzzzz") == []
    assert suggest_models("llama", limit=0) == []


def test_config_is_read_only_and_thawable() -> None:
    model = catalog_model("google/gemma-3-27b-it")
    assert model is not None
    with pytest.raises(TypeError):
        model.config["model_type"] = "x"  # type: ignore[index]
    plain = config_dict(model)
    plain["model_type"] = "changed"
    assert model.config["model_type"] == "gemma3"
    assert isinstance(plain["text_config"]["layer_types"], list)
    json.dumps(plain)


def test_cached_single_load() -> None:
    assert catalog_models() is catalog_models()


def _subset_of(part: Any, whole: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and _subset_of(v, whole[k]) for k, v in part.items()
        )
    return bool(part == whole)


@pytest.mark.parametrize(
    ("model_id", "fixture"),
    [
        ("meta-llama/Llama-2-7b-hf", "meta-llama--Llama-2-7b-hf"),
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama--Llama-3.1-8B-Instruct"),
        ("Qwen/Qwen3-32B", "Qwen--Qwen3-32B"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "mistralai--Mistral-7B-Instruct-v0.3"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai--Mixtral-8x7B-Instruct-v0.1"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-ai--DeepSeek-V3"),
        ("google/gemma-3-27b-it", "google--gemma-3-27b-it"),
        ("openai/gpt-oss-20b", "openai--gpt-oss-20b"),
        ("microsoft/phi-4", "microsoft--phi-4"),
        ("TheBloke/CodeLlama-34B-AWQ", "TheBloke--CodeLlama-34B-AWQ"),
        ("LDCC/Qwen2.5-72B-Instruct-ko-AWQ", "LDCC--Qwen2.5-72B-Instruct-ko-AWQ"),
        ("Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen--Qwen3-Next-80B-A3B-Thinking"),
    ],
)
def test_catalog_config_is_a_verbatim_subset_of_the_file(model_id: str, fixture: str) -> None:
    model = catalog_model(model_id)
    assert model is not None
    whole = json.loads((FIXTURES / f"{fixture}.json").read_text("utf-8"))
    assert _subset_of(config_dict(model), whole)


@pytest.mark.parametrize(
    ("model_id", "attention", "max_len"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "full", 131072),
        ("mistralai/Mistral-7B-v0.1", "sliding", 32768),
        ("mistralai/Mistral-Nemo-Instruct-2407", "full", 131072),
        ("deepseek-ai/DeepSeek-R1", "mla", 163840),
        ("google/gemma-2-9b-it", "sliding", 8192),
        ("google/gemma-3-4b-it", "sliding", 131072),
        ("microsoft/Phi-3-mini-4k-instruct", "sliding", 4096),
        ("CohereForAI/c4ai-command-r-v01", "full", 131072),
        ("nvidia/NVIDIA-Nemotron-Nano-9B-v2", "hybrid", 131072),
        ("ibm-granite/granite-4.0-h-small", "hybrid", 131072),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "chunked", 10485760),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "chunked", 1048576),
        ("deepseek-ai/DeepSeek-V2-Lite-Chat", "mla", 163840),
        ("deepseek-ai/DeepSeek-V3.2", "mla", 163840),
        ("zai-org/GLM-4.7-Flash", "mla", 202752),
        ("facebook/opt-66b", "full", 2048),
        ("tiiuae/falcon-40b", "full", 2048),
        ("CohereForAI/c4ai-command-r-plus", "full", 131072),
        ("LGAI-EXAONE/EXAONE-4.0-32B", "sliding", 131072),
        ("google/gemma-2-2b-it", "sliding", 8192),
        ("Qwen/Qwen3.5-397B-A17B", "hybrid", 262144),
        ("internlm/internlm2_5-7b-chat", "full", 65536),
    ],
)
def test_catalog_architecture_summary(model_id: str, attention: str, max_len: int) -> None:
    model = catalog_model(model_id)
    assert model is not None
    arch = arch_from_config(model.config)
    assert arch.attention == attention
    assert arch.max_model_len == max_len
