"""How each memory figure was derived (planning/explain.py): `--explain`, plan.json `explain`."""

from __future__ import annotations

from typing import Any

from planner_testing import make_plan
from vllm_wizard.planning.explain import derivations


def lines(**sections: Any) -> dict[str, tuple[str, str]]:
    model = sections.pop("model_id", "meta-llama/Llama-3.1-8B-Instruct")
    gpu_name = sections.pop("gpu_name", "H100 SXM")
    return {d.figure: (d.value, d.how) for d in derivations(make_plan(model, gpu_name, **sections))}


def test_llama_8b_on_an_h100_at_0_33() -> None:
    # the figures of tests/planning/test_memory.py, to 3 decimals of a GiB
    found = lines()
    assert list(found) == [
        "total",
        "budget",
        "weights",
        "activation",
        "non_torch",
        "cuda_graph",
        "kv_cache",
        "kv_bytes_per_token",
        "num_blocks",
        "kv_cache_tokens",
        "max_concurrency",
        "kv_needed",
    ]
    assert found["total"] == (
        "79.180 GiB",
        "memory per GPU as CUDA reports it, from the catalog entry for H100 SXM",
    )
    assert found["budget"] == (
        "71.262 GiB",
        "ceil(total × util) with gpu_memory_utilization 0.9",
    )
    assert found["weights"] == (
        "14.989 GiB",
        "8,030,261,248 parameters × 2 bytes (bfloat16), split over tp 1 × pp 1, plus the rotary"
        " cos/sin cache",
    )
    assert found["activation"][0] == "1.775 GiB"  # 1,905,786,880 B
    assert found["activation"][1].startswith(
        "estimate: the larger of the sampler warm-up (14 B × 1,024 rows × 128,256 vocab, Model"
        " Runner V2)"
    )
    assert found["non_torch"][0] == "0.650 GiB"  # 697,756,549.12 B
    assert found["cuda_graph"] == (
        "0.861 GiB",
        "estimate: 102 graphs × 32 layers × 0.27–0.55 MiB; subtracted from the budget",
    )
    assert found["kv_cache"] == (
        "52.988 GiB",
        "budget − weights − activation − non_torch − cuda_graph",
    )
    assert found["kv_bytes_per_token"] == (
        "131,072 B",
        "4,096 B per token per layer (full ×32); 2 × 8 KV heads × 128 × 2 B",
    )
    assert found["num_blocks"] == (
        "27,129",
        "kv_cache // 2,097,152 B per block id (block_size 16 × 32 layers)",
    )
    assert found["kv_cache_tokens"] == ("434,064", "int(max_concurrency × max_model_len)")
    assert found["max_concurrency"] == (
        "3.31×",
        "num_blocks / 8,192 blocks per 131,072-token request",
    )
    assert found["kv_needed"] == (
        "0.108 GiB",
        "1 × min(prompt + gen, max_model_len) tokens × bytes/token × 1.15",
    )


def test_the_kv_bytes_multiply_out_for_an_fp8_cache_and_across_tp() -> None:
    fp8 = lines(model={"kv_cache_dtype": "fp8"}, hardware={"gpus": 2, "tp_size": 2})
    assert fp8["kv_bytes_per_token"] == (
        "32,768 B",
        "1,024 B per token per layer (full ×32); 2 × 4 KV heads × 128 × 1 B",
    )


def test_older_rules_are_explained_as_such() -> None:
    found = lines(vllm_version="0.11.0")
    assert found["budget"][1] == "total × util with gpu_memory_utilization 0.9"
    assert found["cuda_graph"][1].endswith("outside the budget (this vLLM does not subtract it)")
    assert found["kv_cache"][1] == "budget − weights − activation − non_torch"
    assert found["kv_cache_tokens"][1] == "num_blocks × block_size"
    assert "38.7 B × 1,024 rows × 128,256 vocab, the V1 model runner" in found["activation"][1]
    assert "persistent sampler state" not in found["non_torch"][1]


def test_eager_and_overhead() -> None:
    eager = lines(vllm_args={"enforce_eager": True})
    assert eager["cuda_graph"] == ("0 GiB", "enforce_eager: no CUDA graphs are captured")
    assert eager["kv_cache"][1] == "budget − weights − activation − non_torch"
    given = lines(policy={"overhead_gb": 6.0})
    assert given["overhead"] == ("6.000 GiB", "policy.overhead_gb (replaces the estimates)")
    assert "activation" not in given and "cuda_graph" not in given


def test_the_native_sampler_below_compute_capability_8() -> None:
    # a T4 has no FlashInfer sampler: the estimate uses 6 B per entry, and so does the line
    found = lines(gpu_name="T4", model={"max_model_len": 2048})
    assert "(6 B × 256 rows × 128,256 vocab, Model Runner V2)" in found["activation"][1]


def test_mla_and_sources() -> None:
    found = lines(
        model_id="deepseek-ai/DeepSeek-V3",
        gpu_name="H200 SXM",
        hardware={"gpus": 8, "tp_size": 8},
        model={"max_model_len": 8192},
    )
    assert found["kv_bytes_per_token"] == (
        "70,272 B",
        "1,152 B per token per layer (full ×61); MLA latent 576 values × 2 B",
    )
    override = lines(hardware={"vram_gb": 70.0})
    assert override["total"] == (
        "70.000 GiB",
        "memory per GPU as CUDA reports it, from hardware.vram_gb",
    )
