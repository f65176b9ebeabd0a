"""Rules vLLM enforces before sizing memory (planning/semantic.py), with vLLM's own messages."""

from __future__ import annotations

from typing import Any

import pytest

from planner_testing import LLAMA_8B, gpu, make_plan, make_profile, plan_of, resolved
from vllm_wizard.findings import Finding, Findings
from vllm_wizard.planning.plan import Plan
from vllm_wizard.planning.semantic import (
    GPU_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    MODEL_FIELD,
    NODES_FIELD,
    PP_FIELD,
    QUANT_FIELD,
    TP_FIELD,
    check_kv_cache_dtype,
    check_max_model_len,
    check_parallel,
    check_quantization,
    valid_tp,
)
from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.diagnostics import Code, Severity
from vllm_wizard.profile.schema import profile_to_data

QWEN_14B = "Qwen/Qwen2.5-14B-Instruct"  # 40 attention heads, 8 KV heads
AWQ = "TheBloke/CodeLlama-34B-AWQ"


def fix(title: str, *edits: tuple[tuple[str, ...], Any], preferred: bool = False) -> dict[str, Any]:
    return {
        "title": title,
        "edits": [{"path": list(path), "value": value} for path, value in edits],
        "preferred": preferred,
        "remove": False,
    }


def parallel(model_id: str, tp: int, pp: int = 1, **hardware: Any) -> tuple[bool, list[Finding]]:
    findings = Findings()
    ok = check_parallel(
        make_profile(model_id, hardware=hardware), resolved(model_id).arch, tp, pp, findings
    )
    return ok, findings.items


# ----------------------------------------------------------------------------- tensor parallel


@pytest.mark.parametrize(
    ("model_id", "valid"),
    [
        # 32 heads, 8 KV heads: divisors of 8, then multiples of 8 that divide 32
        (LLAMA_8B, [1, 2, 4, 8, 16, 32]),
        # 40 heads, 8 KV heads: 5, 10, 20, 40 divide the heads but not the KV heads evenly
        (QWEN_14B, [1, 2, 4, 8, 40]),
        # MLA: only the 128 attention heads matter
        ("deepseek-ai/DeepSeek-V3", [1, 2, 4, 8, 16, 32, 64]),
    ],
)
def test_valid_tp(model_id: str, valid: list[int]) -> None:
    arch = resolved(model_id).arch
    assert [t for t in range(1, 65) if valid_tp(arch, t)] == valid


def test_tp_that_does_not_divide_the_heads_is_vllms_error() -> None:
    ok, [finding] = parallel(LLAMA_8B, 3, gpus=8)
    assert not ok
    assert finding.code is Code.PARALLEL_LAYOUT and finding.severity is Severity.ERROR
    # vLLM (config/model.py): verbatim
    assert finding.message == (
        "Total number of attention heads (32) must be divisible by tensor parallel size (3)."
    )
    assert finding.fields == (TP_FIELD, GPUS_FIELD)
    assert finding.related == ((MODEL_FIELD, "32 attention heads"),)
    # the two largest valid sizes the 8 GPUs allow
    assert finding.data == {
        "fixes": [
            fix("Set tp_size: 4", (TP_FIELD, 4)),
            fix("Set tp_size: 8", (TP_FIELD, 8)),
        ]
    }


def test_tp_that_splits_kv_heads_unevenly() -> None:
    ok, [finding] = parallel(QWEN_14B, 5, gpus=8)
    assert not ok and finding.code is Code.PARALLEL_LAYOUT
    assert finding.message == (
        "tensor_parallel_size 5 does not split the model's 8 KV heads evenly: tp 5 must divide"
        " the 8 KV heads."
    )
    ok, [above] = parallel(QWEN_14B, 10, gpus=8, nodes=2)
    assert not ok
    assert above.message.endswith("above the 8 KV heads, tp must be a multiple of them.")


def test_world_size_larger_than_the_gpus() -> None:
    ok, [finding] = parallel(LLAMA_8B, 4, 1, gpus=2)
    assert not ok and finding.is_error
    assert finding.message == (
        "World size (4) is larger than the number of available GPUs (2): tensor_parallel_size 4"
        " × pipeline_parallel_size 1 needs 4 GPUs, the profile has 2 per node × 1 node(s)."
    )
    assert finding.fields == (TP_FIELD, PP_FIELD, GPUS_FIELD)
    assert finding.related == ((GPUS_FIELD, "GPUs per node"), (NODES_FIELD, "nodes"))
    assert finding.data == {"fixes": [fix("Set gpus: 4", (GPUS_FIELD, 4))]}
    # tp 4 × pp 2 over 2 nodes: 4 GPUs per node
    ok, [across] = parallel(LLAMA_8B, 4, 2, gpus=2, nodes=2)
    assert across.data == {"fixes": [fix("Set gpus: 4", (GPUS_FIELD, 4))]}


def test_more_stages_than_layers() -> None:
    ok, findings = parallel(LLAMA_8B, 1, 33, gpus=1, nodes=33)
    assert not ok
    assert [f.message for f in findings] == [
        "pipeline_parallel_size 33 is more than the model's 32 layers."
    ]
    assert findings[0].fields == (PP_FIELD, NODES_FIELD)


def test_tp_across_nodes_is_a_warning() -> None:
    ok, [finding] = parallel(LLAMA_8B, 8, 1, gpus=4, nodes=2)
    assert ok
    assert finding.code is Code.CROSS_NODE_TP and finding.severity is Severity.WARNING
    assert finding.message.startswith("tensor_parallel_size 8 spans nodes (4 GPUs per node)")


def test_a_valid_layout_has_no_findings() -> None:
    assert parallel(LLAMA_8B, 8, 2, gpus=8, nodes=2) == (True, [])


def test_the_plan_does_not_start_when_tp_does_not_divide_the_heads() -> None:
    plan = make_plan(hardware={"gpus": 4, "tp_size": 3})
    assert plan.setup.tp == 3
    assert [f.code for f in plan.findings if f.is_error] == [Code.PARALLEL_LAYOUT]
    assert plan.starts is False and plan.fits is False and plan.oom_risk == "high"


# ----------------------------------------------------------------------------- max_model_len


def test_max_model_len_above_the_models_limit_is_vllms_error() -> None:
    findings = Findings()
    arch = resolved(LLAMA_8B).arch
    profile = make_profile(model={"max_model_len": 200_000})
    assert check_max_model_len(profile, arch, findings) is False
    [finding] = findings.items
    assert finding.code is Code.MAX_MODEL_LEN and finding.is_error
    # vLLM (config/model.py, _get_and_verify_max_len), then what it takes to override it
    assert finding.message == (
        "User-specified max_model_len (200000) is greater than the derived max_model_len"
        " (max_position_embeddings=131072 or model_max_length=None in model's config.json)."
        " vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1."
    )
    assert finding.fields == (LEN_FIELD,)
    assert finding.related == ((MODEL_FIELD, "max_position_embeddings = 131,072"),)
    assert finding.data == {
        "fixes": [fix("Set max_model_len: 131072", (LEN_FIELD, 131_072), preferred=True)]
    }


@pytest.mark.parametrize("value", [131_072, 4096, "auto", None])
def test_max_model_len_within_the_limit(value: Any) -> None:
    findings = Findings()
    profile = make_profile(model={"max_model_len": value})
    assert check_max_model_len(profile, resolved(LLAMA_8B).arch, findings) is True
    assert findings.items == []


def test_the_plan_with_a_too_long_max_model_len_does_not_start() -> None:
    plan = make_plan("meta-llama/Llama-2-7b-hf", model={"max_model_len": 8192})
    [finding] = [f for f in plan.findings if f.is_error]
    assert finding.message.startswith(
        "User-specified max_model_len (8192) is greater than the derived max_model_len"
        " (max_position_embeddings=4096 or model_max_length=None"
    )
    assert not plan.starts


# ----------------------------------------------------------------------------- quantization


def quantization(
    model_id: str, requested: str, gpu_name: str, method: str | None
) -> tuple[bool, list[Finding]]:
    findings = Findings()
    profile = make_profile(model_id, gpu_name, model={"quantization": requested})
    ok = check_quantization(profile, resolved(model_id).arch, gpu(gpu_name), method, findings)
    return ok, findings.items


def test_a_method_that_contradicts_the_checkpoint_is_vllms_error() -> None:
    ok, [finding] = quantization(AWQ, "gptq", "H100 SXM", "gptq")
    assert not ok and finding.code is Code.QUANTIZATION and finding.is_error
    # vLLM (config/model.py, _verify_quantization): verbatim
    assert finding.message == (
        "Quantization method specified in the model config (awq) does not match the"
        " quantization method specified in the `quantization` argument (gptq)."
    )
    assert finding.fields == (QUANT_FIELD,)
    assert finding.related == ((MODEL_FIELD, "quantization_config.quant_method = awq"),)
    assert finding.data == {
        "fixes": [fix("Set quantization: none", (QUANT_FIELD, "none"), preferred=True)]
    }


def test_the_marlin_variant_of_the_declared_method_is_accepted() -> None:
    assert quantization(AWQ, "awq_marlin", "H100 SXM", "awq_marlin") == (True, [])


def test_naming_the_declared_method_again_is_only_a_note() -> None:
    ok, [finding] = quantization(AWQ, "awq", "H100 SXM", "awq")
    assert ok and finding.severity is Severity.INFO
    assert "leaves `--quantization` out" in finding.message


def test_minimum_compute_capability() -> None:
    # AWQ needs 7.5 (get_min_capability 75); a V100 is 7.0
    ok, [finding] = quantization(AWQ, "none", "V100 SXM2 16GB", "awq")
    assert not ok and finding.is_error
    assert finding.message == (
        "The quantization method awq is not supported for the current GPU. Minimum"
        " capability: 75. Current capability: 70 (V100 SXM2 16GB)."
    )
    # the checkpoint is to blame when the profile asked for nothing
    assert finding.fields == (MODEL_FIELD, GPU_FIELD)
    assert finding.related == ((GPU_FIELD, "V100 SXM2 16GB: compute capability 7.0"),)
    # fp8 on the fly asked for on a V100: the quantization field is to blame
    ok, [fp8] = quantization(LLAMA_8B, "fp8", "V100 SXM2 16GB", "fp8_per_tensor")
    assert not ok and fp8.fields == (QUANT_FIELD, GPU_FIELD)
    # a T4 (7.5) runs fp8 and AWQ; mxfp4 needs 8.0
    assert quantization(LLAMA_8B, "fp8", "T4", "fp8_per_tensor") == (True, [])
    ok, [mxfp4] = quantization("openai/gpt-oss-20b", "none", "T4", "mxfp4")
    assert not ok and "Minimum capability: 80. Current capability: 75 (T4)." in mxfp4.message


# ----------------------------------------------------------------------------- kv_cache_dtype


def test_a_16_bit_kv_cache_must_match_the_model_dtype() -> None:
    findings = Findings()
    profile = make_profile(model={"kv_cache_dtype": "bfloat16", "dtype": "float16"})
    assert check_kv_cache_dtype(profile, "float16", gpu("H100 SXM"), findings) is False
    [finding] = findings.items
    assert finding.code is Code.KV_CACHE_DTYPE and finding.is_error
    assert finding.message == (
        'kv_cache_dtype="bfloat16" is incompatible with dtype="float16". Please set'
        " `kv_cache_dtype` to `auto` or `float16`."
    )
    assert finding.data == {
        "fixes": [fix("Set kv_cache_dtype: auto", (("model", "kv_cache_dtype"), "auto"))]
    }
    same = Findings()
    assert check_kv_cache_dtype(profile, "bfloat16", gpu("H100 SXM"), same) is True
    assert same.items == []


def test_fp8_kv_cache_without_fp8_tensor_cores_is_a_warning() -> None:
    findings = Findings()
    profile = make_profile(model={"kv_cache_dtype": "fp8"})
    assert check_kv_cache_dtype(profile, "bfloat16", gpu("A100 SXM 80GB"), findings) is True
    [finding] = findings.items
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith("A100 SXM 80GB has no FP8 tensor cores")
    on_h100 = Findings()
    check_kv_cache_dtype(profile, "bfloat16", gpu("H100 SXM"), on_h100)
    assert on_h100.items == []


BNB = "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit"
"""Planned as Llama-3.1-8B-Instruct with a bitsandbytes quantization_config (models/derived)."""


def test_a_bitsandbytes_checkpoint_does_not_start_on_a_vllm_without_the_method() -> None:
    # The 0.28.0 wheel has no model_executor/layers/quantization/bitsandbytes.py (0.27.0 has),
    # and `_verify_quantization` (config/model.py) then raises "Unknown quantization method".
    plan = make_plan(BNB, "RTX 4090", model={"max_model_len": 8192})
    assert plan.memory.starts and not plan.starts
    [finding] = [f for f in plan.findings if f.code is Code.QUANTIZATION]
    assert finding.is_error and finding.fields == (MODEL_FIELD,)
    assert 'Unknown quantization method: bitsandbytes"' in finding.message
    assert "vLLM 0.33.0 no longer has that method" in finding.message


def _with_fix(plan: Plan, fix: dict[str, Any]) -> Plan:
    """The profile with a quick fix's edits (a null removes the field), planned again."""
    data = profile_to_data(plan.profile)
    for edit in fix["edits"]:
        *parents, name = edit["path"]
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if edit["value"] is None and fix["remove"]:
            node.pop(name, None)
        else:
            node[name] = edit["value"]
    return plan_of(parse_profile(data))


def test_a_bitsandbytes_checkpoint_is_fixed_by_its_base_model_or_the_last_vllm_with_it() -> None:
    plan = make_plan(BNB, "RTX 4090", model={"max_model_len": 8192})
    [finding] = [f for f in plan.findings if f.code is Code.QUANTIZATION]
    assert "or vLLM 0.27.0, the last release with bitsandbytes" in finding.message
    assert finding.data is not None
    fixes = finding.data["fixes"]
    base, version = fixes[0], fixes[-1]
    assert base["edits"] == [{"path": ["model", "id"], "value": LLAMA_8B}]
    assert base["preferred"]
    assert version["edits"] == [{"path": ["vllm_version"], "value": "0.27.0"}]
    assert version["title"].startswith(
        "Set vllm_version: 0.27.0 (the last vLLM release with bitsandbytes; fits: "
    )
    assert base["title"].startswith(f"Use {LLAMA_8B} (fits: ")
    for fix in fixes:  # each title states what the fixed profile gets
        fixed = _with_fix(plan, fix)
        assert fixed.fits, fix["title"]
        kv = f"{fixed.memory.kv_gib:,.1f} GiB KV, {fixed.memory.kv_tokens:,} tokens)"
        assert fix["title"].endswith(kv), fix["title"]
    # the plan's own recommendation and verdict name the base model too
    assert plan.recommendations[0].edits[0].value == LLAMA_8B
    assert plan.performance_for == f"Use {LLAMA_8B}"


def test_a_bitsandbytes_checkpoint_too_big_unquantized_gets_fp8_weights() -> None:
    # Llama-3.1-8B at 131,072 tokens on a 4090: 14.99 GiB of bf16 weights leave too little
    # for one request; the base model needs fp8 weights (or a shorter length) as well
    plan = make_plan(BNB, "RTX 4090")
    [finding] = [f for f in plan.findings if f.code is Code.QUANTIZATION]
    assert finding.data is not None
    fixes = finding.data["fixes"]
    assert not make_plan(LLAMA_8B, "RTX 4090").starts
    fp8 = [
        f
        for f in fixes
        if {"path": ["model", "quantization"], "value": "fp8_per_tensor"} in f["edits"]
    ]
    assert fp8 and all({"path": ["model", "id"], "value": LLAMA_8B} in f["edits"] for f in fp8)
    for fix in fixes:
        assert _with_fix(plan, fix).starts, fix["title"]


def test_a_bitsandbytes_checkpoint_starts_on_the_last_vllm_with_the_method() -> None:
    plan = make_plan(BNB, "RTX 4090", vllm_version="0.27.0", model={"max_model_len": 8192})
    assert plan.starts
    assert not [f for f in plan.findings if f.code is Code.QUANTIZATION]
