"""Helpers shared by the planner tests: real catalog models and GPUs, profiles, plans.

Everything resolves offline: models from the bundled catalog (`resolve_model_locally`), GPUs
from the GPU catalog. Figures the tests assert are derived by hand in the tests themselves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from vllm_wizard.hardware.resolve import ResolvedGpu, resolve_gpu
from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally
from vllm_wizard.planning.memory import GpuInputs, ModelInputs, Setup, Workload
from vllm_wizard.planning.plan import Plan, plan_profile
from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.schema import Profile

GIB = 2**30
MIB = 2**20

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
H100 = "H100 SXM"

H100_TOTAL = 79.18 * GIB
"""The catalog's H100 SXM: 79.18 GiB as CUDA reports it (85,018,877,624.32 bytes)."""

LLAMA_8B_PARAMS = 8_030_261_248
LLAMA_8B_ROPE = 131_072 * 128 * 2
"""Rotary cos/sin cache: max_position 131,072 × rotary_dim 128 × 2 bytes = 33,554,432."""
LLAMA_8B_WEIGHTS = LLAMA_8B_PARAMS * 2 + LLAMA_8B_ROPE
"""16,060,522,496 + 33,554,432 = 16,094,076,928 bytes (14.99 GiB, as vLLM logs it)."""
LLAMA_8B_BLOCK = 32 * 16 * 2 * 8 * 128 * 2
"""32 layers × 16 tokens × (K and V) × 8 KV heads × 128 × 2 bytes = 2,097,152 bytes."""


def resolved(model_id: str, params_b: float | None = None) -> ResolvedModel:
    """A catalog model, resolved as the planner sees it."""
    model = resolve_model_locally(model_id, None, params_b=params_b)
    assert isinstance(model, ResolvedModel), model
    return model


def gpu(name: str, vram_gb: float | None = None) -> ResolvedGpu:
    """A catalog GPU (or an unknown one with `vram_gb`)."""
    found = resolve_gpu(name, vram_gb)
    assert isinstance(found, ResolvedGpu), found
    return found


def profile_data(
    model_id: str = LLAMA_8B,
    gpu_name: str = H100,
    *,
    vllm_version: str | None = None,
    model: dict[str, Any] | None = None,
    hardware: dict[str, Any] | None = None,
    workload: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
    vllm_args: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "model": {"id": model_id, **(model or {})},
        "hardware": {"gpu_name": gpu_name, **(hardware or {})},
    }
    if vllm_version is not None:
        data["vllm_version"] = vllm_version
    if workload:
        data["workload"] = workload
    if policy:
        data["policy"] = policy
    if vllm_args:
        data["outputs"] = {"vllm_args": vllm_args}
    return data


def make_profile(model_id: str = LLAMA_8B, gpu_name: str = H100, **sections: Any) -> Profile:
    return parse_profile(profile_data(model_id, gpu_name, **sections))


def make_plan(model_id: str = LLAMA_8B, gpu_name: str = H100, **sections: Any) -> Plan:
    """Plan a profile for a catalog model on a catalog GPU (`hardware.vram_gb` honoured), with
    the search options the engine hands in (quantized catalog copies, catalog GPUs)."""
    profile = make_profile(model_id, gpu_name, **sections)
    return plan_of(profile)


def plan_of(profile: Profile) -> Plan:
    """Plan a profile as the engine does (model and GPU from the catalogs, search options)."""
    from vllm_wizard.pipeline import plan_options

    hw = profile.hardware
    model = resolved(profile.model.id, profile.model.params_b)
    found = gpu(hw.gpu_name, hw.vram_gb)
    return plan_profile(profile, model, found, plan_options(model, found))


def gpu_inputs(name: str = H100, *, free_gib: float | None = None) -> GpuInputs:
    """What the memory model knows of a catalog GPU."""
    found = gpu(name)
    assert found.spec is not None
    return GpuInputs(
        name=found.name,
        memory_gib=found.memory_gib,
        capability=found.compute_capability,
        is_a100="A100" in found.name,
        free_gib=free_gib,
    )


def model_inputs(model_id: str = LLAMA_8B) -> ModelInputs:
    model = resolved(model_id)
    return ModelInputs(model.arch, model.params_total, None)


BASE_SETUP = Setup(
    tp=1,
    pp=1,
    nodes=1,
    gpus_per_node=1,
    dtype="bfloat16",
    quantization=None,
    kv_cache_dtype="auto",
    max_model_len=131_072,
    gpu_memory_utilization=0.9,
    max_num_seqs=1024,
    max_num_batched_tokens=8192,
    block_size=None,
    enforce_eager=False,
    performance_mode="balanced",
)
"""Llama-3.1-8B on one H100 with vLLM's API-server defaults (1024 sequences, 8192 tokens)."""


def setup(**changes: Any) -> Setup:
    return replace(BASE_SETUP, **changes)


def workload(**changes: Any) -> Workload:
    base = Workload(
        concurrency=1, prompt_tokens=512, gen_tokens=256, fragmentation_factor=1.15, headroom_gb=1.0
    )
    return replace(base, **changes)
