"""Recommendations, quick fixes and the feasibility verdict (planning/recommend.py, DESIGN §4).

Each suggestion is re-planned from the edited profile, so the figure it states must be the
figure a plan with that change computes; the base figures are derived by hand. The search
itself (layouts, combinations, other GPUs) is tested in test_search.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from planner_testing import GIB, MIB, make_plan
from vllm_wizard.planning.plan import Plan
from vllm_wizard.planning.recommend import feasibility_findings, recommend
from vllm_wizard.planning.result import Recommendation
from vllm_wizard.profile.diagnostics import Code, Severity

LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
QWEN3_32B = "Qwen/Qwen3-32B"
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"


def recs(plan: Plan) -> list[tuple[str, Any]]:
    return [(r.field, r.value) for r in plan.recommendations]


def rec(plan: Plan, field: str) -> Recommendation:
    """The one recommendation that changes `field` and nothing else."""
    [found] = [r for r in plan.recommendations if [e.field for e in r.edits] == [field]]
    return found


def fix(title: str, *edits: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    return {
        "title": title,
        "edits": [{"path": list(path), "value": value} for path, value in edits],
        "preferred": False,
        "remove": False,
    }


def errors(plan: Plan) -> list[Code]:
    return [f.code for f in plan.findings if f.is_error]


# ----------------------------------------------------------------------------- tensor parallel


def test_the_planner_picks_the_smallest_tp_that_fits() -> None:
    # Llama-3.1-70B on 8 H100s, tp left to the planner. tp 2: 141,107,412,992 / 2 + rotary
    # 33,554,432 = 65.74 GiB of weights per GPU, more than the 71.26 GiB budget leaves after
    # activation, non-torch and graphs. tp 4: 35,310,407,680 B (32.89 GiB) of weights;
    # KV = 76,516,989,862 − 35,310,407,680 − activation 1,972,895,744 (14 × 1,024 × 128,256 +
    # 8,192 × 8,192 × 2) − non-torch 1,857,397,719.04 (0.71 GiB at tp 4 + FlashInfer's
    # 512 MiB all-reduce workspace + 4.25 × 1,024 × 128,256) − graphs 3,080,296,857.6
    # (102 × 80 layers × 0.36 MiB) = 34,295,991,861.36 B = 31.94 GiB.
    plan = make_plan(LLAMA_70B, hardware={"gpus": 8})
    assert plan.tp_chosen and plan.setup.tp == 4
    assert plan.memory.stage.weights == 35_310_407_680
    assert plan.memory.stage.kv_cache == pytest.approx(34_295_991_861.36, abs=1e-2)
    # 80 layers × 16 × 1,024 B per block: 26,165 blocks, 418,640 tokens
    assert plan.memory.num_blocks == 26_165 and plan.memory.kv_tokens == 418_640
    assert plan.fits and plan.recommendations == () and errors(plan) == []
    assert plan.config["tensor_parallel_size"] == 4


def test_a_tp_too_small_offers_the_tp_that_fits_alone() -> None:
    # 8 H100s, tp 1 written: the cheapest setups use 2 GPUs with a second change (fp8
    # weights, …); the layout alone needs tp 4, with the figures derived above.
    plan = make_plan(LLAMA_70B, hardware={"gpus": 8, "tp_size": 1})
    assert not plan.starts and errors(plan) == [Code.NO_KV_MEMORY]
    tp = rec(plan, "hardware.tp_size")
    assert tp.value == 4
    assert tp.effect == "fits: 31.9 GiB KV, 418,640 tokens"
    assert tp.reason == "tensor parallelism over 4 GPUs splits the weights"
    assert tp.title == "Set tp_size: 4 (fits: 31.9 GiB KV, 418,640 tokens)"
    first = plan.recommendations[0]
    assert (first.tensor_parallel_size, first.pipeline_parallel_size) == (2, 1)
    assert [(e.field, e.value) for e in first.edits] == [
        ("hardware.tp_size", 2),
        ("model.quantization", "fp8_per_tensor"),
    ]
    [finding] = [f for f in plan.findings if f.code is Code.NO_KV_MEMORY]
    assert finding.data is not None
    assert (
        fix("Set tp_size: 4 (fits: 31.9 GiB KV, 418,640 tokens)", (("hardware", "tp_size"), 4))
        in finding.data["fixes"]
    )
    # the figure it states is the plan's once the fix is applied
    fixed = make_plan(LLAMA_70B, hardware={"gpus": 8, "tp_size": 4})
    assert fixed.fits and fixed.memory.kv_tokens == 418_640


def test_more_gpus_than_the_profile_has_is_a_gpus_fix() -> None:
    # one GPU, tp left to the planner: 4 GPUs and the planner's own choice (tp 4) fit, so
    # the fix sets gpus alone
    plan = make_plan(LLAMA_70B)
    gpus = rec(plan, "hardware.gpus")
    assert gpus.value == 4
    assert (gpus.gpus, gpus.tensor_parallel_size) == (4, 4)
    assert gpus.reason == "tensor parallelism over 4 GPUs splits the weights"
    [finding] = [f for f in plan.findings if f.code is Code.NO_KV_MEMORY]
    assert finding.data is not None
    [data] = [f for f in finding.data["fixes"] if f["title"].startswith("Use 4 GPUs, tp 4 ")]
    assert data["edits"] == [{"path": ["hardware", "gpus"], "value": 4}]
    assert data["title"] == "Use 4 GPUs, tp 4 (fits: 31.9 GiB KV, 418,640 tokens)"
    assert make_plan(LLAMA_70B, hardware={"gpus": 4}).memory.kv_tokens == 418_640


# ----------------------------------------------------------------------------- does not fit


def test_a_workload_that_does_not_fit_gets_each_fix_with_its_figure() -> None:
    # Llama-3.1-8B on one H100: 56,895,280,447.6 B of KV (52.99 GiB, see test_memory). 600
    # requests × 768 tokens × 131,072 B × 1.15 = 69,457,674,240 B (64.69 GiB): does not fit.
    plan = make_plan(workload={"concurrency": 600})
    assert plan.starts and not plan.fits and plan.oom_risk == "medium"
    # only changes that make it fit: fp8 weights (8.49 GiB, KV 61.6 GiB) and 600 scheduled
    # sequences (+0.92 GiB) do not, so they are not offered
    assert recs(plan) == [
        ("model.kv_cache_dtype", "fp8"),
        ("hardware.gpus", 2),
        ("workload.concurrency", 482),
    ]
    assert [r.goal for r in plan.recommendations] == ["fit", "fit", "workload"]
    # fp8 KV: 1 MiB per block id, 54,259 blocks × 16 = 868,144 tokens vs 434,064: 2.0×
    assert rec(plan, "model.kv_cache_dtype").effect == (
        "2.0× KV tokens; fits: 53.0 GiB KV, 868,144 tokens"
    )
    # (KV − 1 GiB headroom) // (768 × 131,072 × 1.15) = 55,821,538,623.6 // 115,762,790.4 = 482
    # and the longest request 600 of them can hold: 55,821,538,623.6 // (600 × 131,072 × 1.15)
    assert plan.memory.max_context_at_concurrency == 617
    concurrency = rec(plan, "workload.concurrency")
    assert concurrency.effect == "fits: 53.0 GiB KV, 434,064 tokens"
    assert concurrency.title == "Set concurrency: 482 (fits: 53.0 GiB KV, 434,064 tokens)"
    assert make_plan(workload={"concurrency": 482}).fits
    assert not make_plan(workload={"concurrency": 483}).fits


def test_fewer_scheduled_sequences_is_one_of_several_fits() -> None:
    # 485 requests need 485 × 115,762,790.4 B + 1 GiB = 57,223,332,626.4 B of KV; the H100
    # has 56,895,280,447.6. With 485 scheduled sequences instead of 1,024 the forward pass
    # (8,192 × (3 × 14,336 + 4 × 4,096) × 2 = 973,078,528 B) outweighs the sampler (14 × 485 ×
    # 128,256 + 8,192 × 4,096 × 2 = 937,963,104), 932,634,624 B less than its 1,905,713,152 at
    # 1,024; the sampler state takes 4.25 × 539 × 128,256 = 293,802,432 B less: 1,226,437,056
    # more for the KV cache (the CUDA-graph sizes shift by a few KiB), enough.
    base = make_plan(workload={"concurrency": 485})
    assert not base.fits
    lean = make_plan(workload={"concurrency": 485}, vllm_args={"max_num_seqs": 485})
    assert lean.fits
    gained = lean.memory.stage.kv_cache - base.memory.stage.kv_cache
    assert gained == pytest.approx(1_226_437_056, abs=100_000)
    # on one GPU, fp8 KV, fp8 weights and utilization 0.95 each buy more KV tokens than
    # fewer sequences: the three cheapest are those
    plan = base
    assert recs(plan)[:3] == [
        ("model.kv_cache_dtype", "fp8"),
        ("model.quantization", "fp8_per_tensor"),
        ("policy.gpu_memory_utilization", 0.95),
    ]
    tokens = [r.kv_cache_tokens for r in plan.recommendations[:3]]
    assert tokens == sorted(tokens, reverse=True) and tokens[-1] > lean.memory.kv_tokens


def test_does_not_fit_is_a_warning_with_the_fit_fixes() -> None:
    plan = make_plan(workload={"concurrency": 600})
    [finding] = [f for f in plan.findings if f.code is Code.DOES_NOT_FIT]
    assert finding.severity is Severity.WARNING
    assert finding.message == (
        "Starts, but the workload does not fit: 600 requests of 768 tokens need 64.69 GiB of KV"
        " cache (× 1.15 fragmentation); 52.99 GiB is available, leaving -11.70 GiB against the"
        " 1 GiB headroom wanted. At 600 concurrent requests the longest that fits is 617 tokens."
    )
    assert finding.fields == (
        ("workload", "concurrency"),
        ("workload", "prompt_tokens"),
        ("hardware", "tp_size"),
        ("hardware", "gpu_name"),
    )
    assert finding.data is not None
    # the setups that fit, cheapest first, then the concurrency that fits
    assert [f["edits"][-1]["path"] for f in finding.data["fixes"]] == [
        ["model", "kv_cache_dtype"],
        ["hardware", "gpus"],
        ["workload", "concurrency"],
    ]
    assert finding.data["fixes"][0] == {
        **fix(
            "Set kv_cache_dtype: fp8 (2.0× KV tokens; fits: 53.0 GiB KV, 868,144 tokens)",
            (("model", "kv_cache_dtype"), "fp8"),
        ),
        "preferred": True,
    }


def test_one_request_is_one_request_in_the_messages() -> None:
    # 52.99 GiB of KV on an H100 against 60 GiB of headroom wanted: one request does not fit.
    plan = make_plan(policy={"headroom_gb": 60})
    [finding] = [f for f in plan.findings if f.code is Code.DOES_NOT_FIT]
    assert finding.message.startswith(
        "Starts, but the workload does not fit: 1 request of 768 tokens needs 0.11 GiB of KV"
    )
    reasons = [r.reason for r in plan.recommendations]
    assert any("the workload runs 1 request at once; vLLM schedules up to" in r for r in reasons)


def test_back_to_one_gpu_does_not_claim_to_split_the_weights() -> None:
    # tp 3 on a 1-GPU profile (Llama 3.1 8B: 32 heads) is refused; tp 1 is the way back.
    plan = make_plan(hardware={"gpus": 1, "tp_size": 3})
    found = rec(plan, "hardware.tp_size")
    assert found.value == 1
    assert found.reason == "the whole model on one GPU"


def test_no_longest_length_is_claimed_for_a_profile_vllm_refuses_to_load() -> None:
    # AWQ asked of a checkpoint without an AWQ config: vLLM stops before sizing memory, so no
    # max_model_len starts as written. The AWQ weights (5.37 GiB) would have claimed 106,144;
    # the quick fix, with quantization: none, gets 27,312.
    plan = make_plan(LLAMA_8B, "L4", model={"quantization": "awq"})
    assert not plan.starts and plan.longest_max_model_len == 0
    [short] = [f for f in plan.findings if f.code is Code.DOES_NOT_START]
    assert "longest" not in short.message
    titles = [r.title for r in plan.recommendations]
    assert titles[0].startswith("Set max_model_len: 27,312 and quantization: none (fits: ")


def test_no_longest_length_for_a_checkpoint_whose_method_this_vllm_lacks() -> None:
    # bitsandbytes left vLLM in 0.28: the 4-bit weights (5.34 GiB) would claim 118,208 tokens.
    plan = make_plan("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "RTX 3090")
    assert Code.QUANTIZATION in errors(plan)
    assert not plan.starts and plan.longest_max_model_len == 0
    [short] = [f for f in plan.findings if f.code is Code.DOES_NOT_START]
    assert "longest" not in short.message


def test_max_num_seqs_is_not_suggested_when_the_profile_sets_it() -> None:
    plan = make_plan(workload={"concurrency": 600}, vllm_args={"max_num_seqs": 1024})
    assert "outputs.vllm_args.max_num_seqs" not in dict(recs(plan))


def test_a_plan_that_fits_has_no_recommendations() -> None:
    plan = make_plan()
    assert plan.fits and plan.recommendations == () and plan.findings == ()


# ----------------------------------------------------------------------------- does not start


def test_the_longest_max_model_len_that_starts() -> None:
    # Llama-3.1-8B on an L4 (21.951 GiB): budget ceil(0.9 × 23,569,706,778.6) = 21,212,736,101 B;
    # the L4 gets vLLM's small batch defaults (256 / 2,048): activation 14 × 256 × 128,256 +
    # 2,048 × 4,096 × 2 = 476,446,720; non-torch 0.13 GiB + 4.25 × 256 × 128,256 =
    # 279,128,965.12; graphs (51 + 35) × 32 × 0.27 MiB = 779,133,911.04. KV: 21,212,736,101 −
    # 16,094,076,928 − 476,446,720 − 279,128,965.12 − 779,133,911.04 = 3,583,949,576.84 B.
    plan = make_plan(gpu_name="L4")
    memory = plan.memory
    assert memory.stage.kv_cache == pytest.approx(3_583_949_576.84, abs=1e-2)
    assert not plan.starts and memory.refusal is not None
    # 131,072 tokens need 8,192 blocks (16 GiB); the KV holds 1,708 blocks, 1,707 once the null
    # block is kept back: 27,312 tokens. One number: the finding, the fix and the plan say it.
    assert memory.refusal.needed_gib == 16.0
    assert memory.refusal.longest == 27_312
    assert plan.longest_max_model_len == 27_312
    length = rec(plan, "model.max_model_len")
    assert length.value == 27_312
    assert length.title == "Set max_model_len: 27,312 (fits: 3.3 GiB KV, 27,328 tokens)"
    assert length.reason == "the longest request that fits in 3.34 GiB of KV cache"
    assert make_plan(gpu_name="L4", model={"max_model_len": 27_312}).starts
    assert not make_plan(gpu_name="L4", model={"max_model_len": 27_313}).starts


def test_does_not_start_is_an_error_on_max_model_len_with_vllms_words() -> None:
    plan = make_plan(gpu_name="L4")
    [finding] = [f for f in plan.findings if f.is_error]
    assert finding.code is Code.DOES_NOT_START
    assert finding.fields[0] == ("model", "max_model_len")
    assert finding.message.startswith(
        "Does not start: needs 16.00 GiB of KV for one 131,072-token request, 3.34 GiB available"
        " (budget 19.76 GiB = weights 14.99 + activation 0.44 + non-torch 0.26 + CUDA graphs 0.73"
        " + KV 3.34; 0.9 × 21.95 GiB). The longest max_model_len that starts is 27,312."
    )
    assert finding.message.endswith(
        '(vLLM: "To serve at least one request with the model\'s max seq len (131072) …")'
    )
    assert finding.related == (
        (("model", "id"), "weights 14.99 GiB per GPU"),
        (("hardware", "gpu_name"), "L4: 21.95 GiB as CUDA reports it"),
        (("hardware", "tp_size"), "tensor_parallel_size 1"),
        (("policy", "gpu_memory_utilization"), "gpu_memory_utilization 0.9"),
    )
    assert finding.data is not None and finding.data["needed_gib"] == 16.0
    # cheapest first (one L4: fp8 KV with fp8 weights holds the most tokens, then the longest
    # length that starts), then more GPUs alone
    assert [[e["path"] for e in f["edits"]] for f in finding.data["fixes"]] == [
        [["model", "kv_cache_dtype"], ["model", "quantization"]],
        [["model", "max_model_len"]],
        [["hardware", "gpus"]],
    ]
    assert [f["preferred"] for f in finding.data["fixes"]] == [True, False, False]


def test_vllm_before_0_22_spells_it_the_models_s() -> None:
    plan = make_plan(gpu_name="L4", vllm_version="0.21.0")
    [finding] = [f for f in plan.findings if f.code is Code.DOES_NOT_START]
    assert "with the models's max seq len (131072)" in finding.message


def test_every_fix_that_makes_it_start() -> None:
    # Qwen3-32B on one H100 at 32,768 tokens: weights 65,534,732,288, activation 2,262,040,576,
    # non-torch 800,811,909.12, graphs 102 × 64 × 0.27 MiB = 1,848,178,114.56: KV
    # 6,071,226,974.32 B (5.65 GiB) < the 8 GiB one request needs.
    plan = make_plan(QWEN3_32B, model={"max_model_len": 32_768})
    assert plan.memory.stage.kv_cache == pytest.approx(6_071_226_974.32, abs=1e-2)
    # one GPU, most KV tokens first; then 2 GPUs alone; then the longest length on one
    assert recs(plan) == [
        ("model.quantization", "fp8_per_tensor"),
        ("model.kv_cache_dtype", "fp8"),
        ("policy.gpu_memory_utilization", 0.95),
        ("hardware.gpus", 2),
        ("model.max_model_len", 23_136),  # (6,071,226,974.32 − 4 MiB) // 4 MiB = 1,446 × 16
    ]
    assert all(r.starts for r in plan.recommendations)
    # fp8 KV: 2 MiB blocks, (6,071,226,974.32 − 2 MiB) // 2 MiB = 2,893 blocks × 16 tokens
    assert rec(plan, "model.kv_cache_dtype").kv_cache_tokens == 46_288 + 16
    # 0.95: ceil(0.95 × 85,018,877,624.32) = 80,767,933,744, 4,250,943,882 B more than at 0.9:
    # KV 10,322,170,856.32 B = 9.61 GiB; 10,322,170,856.32 // 4 MiB = 2,460 blocks × 16
    assert rec(plan, "policy.gpu_memory_utilization").effect == "fits: 9.6 GiB KV, 39,360 tokens"
    raised = make_plan(
        QWEN3_32B, model={"max_model_len": 32_768}, policy={"gpu_memory_utilization": 0.95}
    )
    assert raised.fits and raised.memory.kv_tokens == 39_360


def test_fp8_on_the_fly_is_spelled_for_the_targeted_release() -> None:
    plan = make_plan(QWEN3_32B, vllm_version="0.30.0", model={"max_model_len": 32_768})
    assert rec(plan, "model.quantization").value == "fp8"


def test_a_quantized_catalog_checkpoint_of_the_same_model() -> None:
    # Llama 3 70B in bf16 on one H100: 131 GiB of weights. The catalog has a GPTQ copy of
    # this very model (cortecs/…-GPTQ: 4-bit linears, 37.04 GiB) that fits.
    plan = make_plan("meta-llama/Meta-Llama-3-70B-Instruct")
    assert errors(plan) == [Code.NO_KV_MEMORY]
    variant = rec(plan, "model.id")
    assert variant.value == "cortecs/Meta-Llama-3-70B-Instruct-GPTQ"
    assert variant.reason == "a GPTQ checkpoint of the same model"
    assert variant.effect == "fits: 29.6 GiB KV, 96,928 tokens"
    assert (
        variant.title
        == "Use cortecs/Meta-Llama-3-70B-Instruct-GPTQ (fits: 29.6 GiB KV, 96,928 tokens)"
    )
    applied = make_plan("cortecs/Meta-Llama-3-70B-Instruct-GPTQ")
    assert applied.fits and applied.memory.kv_tokens == 96_928
    assert f"{applied.memory.stage.weights / GIB:.2f}" == "37.04"


def test_a_fine_tune_of_the_same_architecture_is_not_offered_as_a_quantized_copy() -> None:
    # LDCC/Qwen2.5-72B-Instruct-ko-AWQ shares Qwen2.5-72B's architecture but is a Korean
    # fine-tune; the planner offers fp8 weights instead
    plan = make_plan("Qwen/Qwen2.5-72B-Instruct", hardware={"gpus": 2, "tp_size": 2})
    assert errors(plan) == [Code.NO_KV_MEMORY]
    assert [r.field for r in plan.recommendations if r.field == "model.id"] == []
    assert rec(plan, "model.quantization").value == "fp8_per_tensor"


def test_quantized_of_strips_the_org_and_the_quantization_suffixes() -> None:
    from vllm_wizard.models.variants import quantized_of

    assert quantized_of("cortecs/Meta-Llama-3-70B-Instruct-GPTQ") == "meta-llama-3-70b-instruct"
    assert quantized_of("neuralmagic/Qwen2.5-7B-FP8-dynamic") == "qwen2.5-7b"
    assert quantized_of("LDCC/Qwen2.5-72B-Instruct-ko-AWQ") == "qwen2.5-72b-instruct-ko"


def test_start_up_free_memory_refusal_offers_utilization_0_9() -> None:
    plan = make_plan(policy={"gpu_memory_utilization": 1.0})
    [finding] = [f for f in plan.findings if f.is_error]
    assert finding.code is Code.DOES_NOT_START
    assert finding.fields == (("policy", "gpu_memory_utilization"), ("hardware", "gpu_name"))
    # ceil(85,018,877,624.32) B = 79.18 GiB wanted; 79.18 − 0.61 = 78.57 GiB free
    assert finding.message.startswith(
        "Does not start: vLLM wants 79.18 GiB (gpu_memory_utilization 1 × 79.18 GiB) but only"
        " about 78.57 GiB is free at start-up"
    )
    assert finding.data == {
        "fixes": [
            {
                "title": "Set gpu_memory_utilization: 0.9 (fits: 53.0 GiB KV, 434,064 tokens)",
                "edits": [{"path": ["policy", "gpu_memory_utilization"], "value": 0.9}],
                "preferred": True,
                "remove": False,
            }
        ]
    }


def test_auto_max_model_len_that_cannot_fit_one_token() -> None:
    plan = make_plan(model={"max_model_len": "auto"}, vllm_args={"kv_cache_memory_bytes": 2 * MIB})
    [finding] = [f for f in plan.findings if f.is_error]
    assert finding.code is Code.NO_KV_MEMORY
    assert 'vLLM: "Cannot auto-fit max_model_len"' in finding.message
    assert finding.fields[0] == ("model", "max_model_len")


def test_auto_max_model_len_before_0_14_is_an_error() -> None:
    plan = make_plan(vllm_version="0.11.0", model={"max_model_len": "auto"})
    [finding] = [f for f in plan.findings if f.code is Code.MAX_MODEL_LEN]
    assert finding.is_error
    assert finding.message == (
        "vLLM 0.11.0 cannot fit max_model_len to memory (`-1`/`auto` arrived in 0.14): give a"
        " number."
    )
    assert plan.memory.max_model_len == 131_072  # planned at the model's own limit
    assert not plan.starts


def test_auto_max_model_len_from_0_14() -> None:
    # Llama-3.1-8B on an L4 with auto: vLLM fits 27,312 tokens (see above)
    plan = make_plan(gpu_name="L4", model={"max_model_len": "auto"})
    assert plan.starts and plan.memory.max_model_len == 27_312
    assert plan.config["max_model_len"] == -1


# ----------------------------------------------------------------------------- little room


def test_little_headroom_is_a_warning() -> None:
    # Qwen2.5-7B on an L4, 64 requests: 64 × 768 × 57,344 B × 1.15 = 3,241,358,131.2 B (3.02 GiB)
    # of the 4.12 GiB of KV: 1.10 GiB spare, less than twice the 1 GiB headroom
    plan = make_plan("Qwen/Qwen2.5-7B-Instruct", "L4", workload={"concurrency": 64})
    assert plan.fits and plan.oom_risk == "medium"
    [finding] = plan.findings
    assert finding.code is Code.LOW_HEADROOM and finding.severity is Severity.WARNING
    assert finding.message == (
        "Fits with little room: 1.10 GiB of KV cache to spare beyond the workload's 3.02 GiB;"
        " a longer prompt or a few more requests will queue."
    )
    assert plan.memory.kv_needed == pytest.approx(3_241_358_131.2)


def test_cuda_graphs_outside_a_tight_budget_are_a_warning() -> None:
    # vLLM 0.19 does not count graphs (0.86 GiB) in the budget; 0.99 leaves 0.79 GiB free,
    # 0.18 GiB once the 0.61 GiB of CUDA context that precedes vLLM's snapshot is counted
    plan = make_plan(vllm_version="0.19.0", policy={"gpu_memory_utilization": 0.99})
    codes = [f.code for f in plan.findings]
    assert Code.CUDA_GRAPH_RISK in codes
    [finding] = [f for f in plan.findings if f.code is Code.CUDA_GRAPH_RISK]
    assert finding.message.startswith(
        "CUDA graphs take about 0.86 GiB outside the budget, more than the 0.18 GiB"
        " gpu_memory_utilization leaves free once the CUDA context is loaded"
    )
    # 0.985 leaves 1.19 − 0.61 = 0.58 GiB: the medium OOM risk now comes with its reason
    band = make_plan(vllm_version="0.19.0", policy={"gpu_memory_utilization": 0.985})
    assert band.oom_risk == "medium"
    assert Code.CUDA_GRAPH_RISK in [f.code for f in band.findings]
    assert make_plan(vllm_version="0.20.0", policy={"gpu_memory_utilization": 0.99}).findings == (
        ()
    )


def test_the_cuda_graph_warning_counts_the_larger_reserve_of_tensor_parallelism() -> None:
    # tp 2 on vLLM 0.19: 1.15 GiB of graphs per GPU outside the budget; 0.97 leaves 2.38 GiB,
    # 0.83 once the 1.55 GiB that is in use before the snapshot with tp is counted (0.61 at
    # tp 1 would leave 1.77 GiB and no warning, beside a medium OOM risk for the same reason)
    plan = make_plan(
        vllm_version="0.19.0",
        hardware={"gpus": 2, "tp_size": 2},
        policy={"gpu_memory_utilization": 0.97},
    )
    assert plan.oom_risk == "medium"
    [finding] = [f for f in plan.findings if f.code is Code.CUDA_GRAPH_RISK]
    assert "than the 0.83 GiB gpu_memory_utilization leaves free" in finding.message


def test_recommend_and_feasibility_are_callable_on_their_own() -> None:
    # the plan's own pieces, re-run: same recommendations, same findings
    from vllm_wizard.findings import Findings
    from vllm_wizard.pipeline import plan_options
    from vllm_wizard.planning.plan import plan_core

    plan = make_plan(workload={"concurrency": 600})
    core = plan_core(plan.profile, plan.model, plan.gpu)
    advice = recommend(core, plan_options(plan.model, plan.gpu), plan_core)
    assert advice.recommendations == plan.recommendations
    findings = Findings()
    feasibility_findings(core, advice, findings)
    assert [f.code for f in findings.items] == [Code.DOES_NOT_FIT]
    assert advice.fixes.concurrency is not None and advice.fixes.concurrency.edits == (
        (("workload", "concurrency"), 482),
    )
