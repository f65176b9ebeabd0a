"""Recommendations and the feasibility verdict as findings (DESIGN §4).

Each candidate change re-runs the memory model with one knob changed, so every suggestion
states the figure it buys ("kv_cache_dtype: fp8 → 2.0× KV tokens"). Only values the targeted
vLLM accepts are suggested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from vllm_wizard.catalog.models import catalog_models, config_dict
from vllm_wizard.models.arch import ModelArch, ModelConfigError, arch_from_config
from vllm_wizard.planning.findings import FieldPath, Findings, Fix, fixes_data
from vllm_wizard.planning.memory import (
    GIB,
    STARTUP_RESERVE_GIB,
    MemoryResult,
    ModelInputs,
    Setup,
    compute_memory,
)
from vllm_wizard.planning.result import Recommendation
from vllm_wizard.planning.semantic import (
    GPU_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    MODEL_FIELD,
    QUANT_FIELD,
    TP_FIELD,
    valid_tp,
)
from vllm_wizard.planning.versions import Rules
from vllm_wizard.profile.diagnostics import Code

if TYPE_CHECKING:
    from vllm_wizard.hardware.resolve import ResolvedGpu
    from vllm_wizard.models.resolve import ResolvedModel
    from vllm_wizard.planning.plan import PlanContext
    from vllm_wizard.profile.schema import Profile

KV_FIELD = ("model", "kv_cache_dtype")
UTIL_FIELD = ("policy", "gpu_memory_utilization")
CONCURRENCY_FIELD = ("workload", "concurrency")
SEQS_FIELD = ("outputs", "vllm_args", "max_num_seqs")
MAX_GPUS_PER_NODE = 8
RAISED_UTILIZATION = 0.95
LEAN_MAX_NUM_SEQS = 256


def gib(value: float) -> str:
    """`12.34 GiB`: the one way sizes read in messages."""
    return f"{value / GIB:,.2f} GiB"


def verdict_phrase(memory: MemoryResult) -> str:
    """`fits · 51.4 GiB KV · 420,864 tokens`-style summary of a variant."""
    if not memory.starts:
        return "still does not start"
    kv = f"{memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens"
    return f"fits: {kv}" if memory.fits else f"starts: {kv}"


@dataclass(frozen=True, slots=True)
class Fixes:
    """The fixes found, by what they change; findings pick the ones that apply."""

    tp: Fix | None = None
    kv_fp8: Fix | None = None
    max_model_len: Fix | None = None
    quantized: Fix | None = None
    utilization: Fix | None = None
    concurrency: Fix | None = None
    max_num_seqs: Fix | None = None

    def for_start(self) -> list[Fix]:
        order = (self.tp, self.max_model_len, self.kv_fp8, self.quantized, self.utilization)
        return [f for f in order if f is not None]

    def for_fit(self) -> list[Fix]:
        order = (self.tp, self.kv_fp8, self.max_num_seqs, self.quantized, self.concurrency)
        return [f for f in order if f is not None]


def _rounded_length(length: int, block_size: int) -> int:
    """A readable max_model_len at or below `length`: a multiple of 1024 from 4096 up."""
    if length >= 4096:
        return length // 1024 * 1024
    return max(block_size, length // block_size * block_size)


@cache
def _quantized_catalog() -> tuple[tuple[str, ModelArch, int], ...]:
    """Every quantized catalog checkpoint with its architecture, parsed once."""
    found: list[tuple[str, ModelArch, int]] = []
    for entry in catalog_models():
        config = config_dict(entry)
        if "quantization_config" not in config and "quantization_config" not in config.get(
            "text_config", {}
        ):
            continue
        try:
            found.append((entry.id, arch_from_config(config), entry.params_total))
        except ModelConfigError:
            continue
    return tuple(found)


_QUANT_SUFFIX = re.compile(
    r"[-_.](awq|gptq|fp8|int4|int8|w4a16|w8a8|w8a16|bnb|4bit|8bit|dynamic|marlin)(?=$|[-_.])"
)


def quantized_of(model_id: str) -> str:
    """`org/Name-Instruct-GPTQ` → `name-instruct`: a checkpoint's name without its org and
    quantization suffixes, to tell a quantized copy from a fine-tune of the same architecture."""
    name = model_id.rsplit("/", 1)[-1].lower()
    return _QUANT_SUFFIX.sub("", name)


def _quantized_variants(arch: ModelArch, model_id: str) -> list[tuple[str, ModelArch, int]]:
    """Quantized catalog checkpoints of this very model (same name, same architecture)."""
    wanted = quantized_of(model_id)
    return [
        (other_id, other, params)
        for other_id, other, params in _quantized_catalog()
        if other_id != model_id
        and quantized_of(other_id) == wanted
        and other.text_model_type == arch.text_model_type
        and other.hidden_size == arch.hidden_size
        and other.num_layers == arch.num_layers
        and other.vocab_size == arch.vocab_size
    ]


def recommend(
    profile: Profile,
    context: PlanContext,
    setup: Setup,
    memory: MemoryResult,
    tp_chosen: bool,
) -> tuple[list[Recommendation], Fixes]:
    """What to change, each with what it buys, and the matching quick fixes."""
    rules = context.rules

    def run(variant: Setup, model: ModelInputs | None = None) -> MemoryResult:
        return compute_memory(model or context.model, context.gpu, variant, context.workload, rules)

    recs: list[Recommendation] = []
    fixes: dict[str, Fix] = {}
    arch = context.model.arch
    hw = profile.hardware
    if memory.fits:
        return recs, Fixes()

    def add(
        kind: str,
        path: FieldPath,
        value: Any,
        reason: str,
        effect: str,
        *,
        extra: Fix | None = None,
    ) -> None:
        recs.append(Recommendation(field=".".join(path), value=value, reason=reason, effect=effect))
        fixes[kind] = extra or Fix.set(f"Set {path[-1]}: {value} ({effect})", path, value)

    # Tensor parallelism: the smallest tp that fits, first on the GPUs the profile has.
    available = hw.gpus * hw.nodes // max(1, setup.pp)
    limit = max(available, MAX_GPUS_PER_NODE * hw.nodes // max(1, setup.pp))
    for tp in range(setup.tp + 1, limit + 1):
        if not valid_tp(arch, tp):
            continue
        per_node = max(setup.gpus_per_node, -(-tp * setup.pp // hw.nodes))
        variant = run(replace(setup, tp=tp, gpus_per_node=per_node))
        if not variant.fits:
            continue
        effect = verdict_phrase(variant)
        if tp <= available:
            add("tp", TP_FIELD, tp, f"tensor parallelism over {tp} GPUs splits the weights", effect)
        else:
            gpus = -(-tp * setup.pp // hw.nodes)
            title = f"Use {gpus} GPUs with tp_size: {tp} ({effect})"
            recs.append(
                Recommendation(
                    field="hardware.gpus",
                    value=gpus,
                    reason=f"it needs {tp} GPUs with tensor parallelism; the profile has"
                    f" {available}",
                    effect=effect,
                )
            )
            fixes["tp"] = Fix(title, ((GPUS_FIELD, gpus), (TP_FIELD, tp)))
        break

    # fp8 KV cache: half the bytes per token.
    spec_fp8 = context.gpu.capability is not None and context.gpu.capability >= (8, 9)
    if profile.model.kv_cache_dtype in ("auto", "float16", "bfloat16") and spec_fp8:
        variant = run(replace(setup, kv_cache_dtype="fp8"))
        if variant.starts and (variant.fits or not memory.starts):
            ratio = variant.kv_tokens / memory.kv_tokens if memory.kv_tokens else None
            effect = f"{ratio:.1f}× KV tokens" if ratio else verdict_phrase(variant)
            add("kv_fp8", KV_FIELD, "fp8", "an fp8 KV cache stores one byte per value", effect)

    # The longest max_model_len that starts (vLLM's own estimate, rounded down).
    refusal = memory.refusal
    if refusal is not None and refusal.kind == "max-model-len" and refusal.longest > 0:
        length = _rounded_length(refusal.longest, memory.block_size)
        variant = run(replace(setup, max_model_len=length))
        if variant.starts:
            add(
                "max_model_len",
                LEN_FIELD,
                length,
                f"the longest request that fits in {gib(refusal.available_gib * GIB)} of KV cache",
                f"max_model_len: {length:,} fits",
            )

    # Smaller weights: a quantized checkpoint of the same model, or fp8 on the fly.
    if setup.quantization is None:
        for model_id, other, params in _quantized_variants(arch, profile.model.id):
            method = other.quantization.method if other.quantization else None
            variant = run(replace(setup, quantization=method), ModelInputs(other, params, None))
            if variant.starts:
                effect = f"weights {gib(variant.stage.weights)}; {verdict_phrase(variant)}"
                add(
                    "quantized",
                    MODEL_FIELD,
                    model_id,
                    f"a {(method or 'quantized').upper()} checkpoint of the same model",
                    effect,
                )
                break
        else:
            capability = context.gpu.capability
            if capability is not None and capability >= (7, 5):
                method = "fp8_per_tensor" if rules.online_fp8_per_tensor else "fp8"
                variant = run(replace(setup, quantization=method))
                if variant.starts:
                    effect = f"weights {gib(variant.stage.weights)}; {verdict_phrase(variant)}"
                    add(
                        "quantized",
                        QUANT_FIELD,
                        method,
                        "fp8 weights, quantized by vLLM at load time",
                        effect,
                    )

    # A little more of the GPU.
    if not memory.starts and setup.gpu_memory_utilization < RAISED_UTILIZATION:
        variant = run(replace(setup, gpu_memory_utilization=RAISED_UTILIZATION))
        if variant.starts:
            add(
                "utilization",
                UTIL_FIELD,
                RAISED_UTILIZATION,
                "vLLM may use more of each GPU",
                verdict_phrase(variant),
            )

    if memory.starts:
        # Fewer scheduled sequences: a smaller sampler warm-up leaves more for the KV cache.
        wanted = max(LEAN_MAX_NUM_SEQS, profile.workload.concurrency)
        if setup.max_num_seqs > wanted and "max_num_seqs" not in profile.outputs.vllm_args:
            variant = run(replace(setup, max_num_seqs=wanted))
            gained = variant.stage.kv_cache - memory.stage.kv_cache
            if gained > 0.05 * GIB:
                add(
                    "max_num_seqs",
                    SEQS_FIELD,
                    wanted,
                    f"the workload runs {profile.workload.concurrency} requests at once; vLLM"
                    f" schedules up to {setup.max_num_seqs} and profiles for them",
                    f"+{gib(gained)} KV cache; {verdict_phrase(variant)}",
                )
        # The concurrency that fits.
        per_request = memory.stage.layout.request_bytes(
            min(profile.workload.prompt_tokens + profile.workload.gen_tokens, memory.max_model_len)
        )
        room = memory.stage.kv_cache - profile.policy.headroom_gb * GIB
        need = per_request * profile.policy.fragmentation_factor
        if need > 0 and room > 0:
            most = int(room // need)
            if 1 <= most < profile.workload.concurrency:
                add(
                    "concurrency",
                    CONCURRENCY_FIELD,
                    most,
                    "the most concurrent requests the KV cache holds with the headroom kept",
                    f"concurrency: {most} fits",
                )
    return recs, Fixes(**fixes)


def _breakdown(memory: MemoryResult) -> str:
    """`budget 71.26 GiB = weights 61.03 + activation 2.11 + … + KV 5.65; 0.9 × 79.18 GiB`."""
    stage = memory.stage
    parts = [f"weights {stage.weights / GIB:,.2f}"]
    if memory.setup.overhead_gb is not None:
        parts.append(f"overhead {stage.activation / GIB:,.2f}")
    else:
        parts.append(f"activation {stage.activation / GIB:,.2f}")
        parts.append(f"non-torch {stage.non_torch / GIB:,.2f}")
        if memory.cuda_graph_in_budget and stage.cuda_graph > 0:
            parts.append(f"CUDA graphs {stage.cuda_graph / GIB:,.2f}")
    parts.append(f"KV {stage.kv_cache / GIB:,.2f}")
    return (
        f"budget {memory.budget / GIB:,.2f} GiB = "
        + " + ".join(parts)
        + f"; {memory.setup.gpu_memory_utilization:g} × {memory.total / GIB:,.2f} GiB"
    )


def feasibility_findings(
    profile: Profile,
    model: ResolvedModel,
    gpu: ResolvedGpu,
    setup: Setup,
    memory: MemoryResult,
    fixes: Fixes,
    findings: Findings,
    rules: Rules,
) -> None:
    """The memory verdict as findings on the fields most to blame."""
    refusal = memory.refusal
    related: tuple[tuple[FieldPath, str], ...] = (
        (MODEL_FIELD, f"weights {gib(memory.stage.weights)} per GPU"),
        (GPU_FIELD, f"{gpu.name}: {gpu.memory_gib:,.2f} GiB as CUDA reports it"),
        (TP_FIELD, f"tensor_parallel_size {setup.tp}"),
        (UTIL_FIELD, f"gpu_memory_utilization {setup.gpu_memory_utilization:g}"),
    )
    wording = f"the {rules.refusal_wording}"
    if refusal is not None:
        start_fixes = fixes.for_start()
        if refusal.kind == "startup-free-memory":
            # the highest utilization the free memory allows (never above our default 0.9)
            fitting = min(0.9, int(refusal.available_gib / (memory.total / GIB) * 100) / 100)
            util_fixes = (
                [Fix.set(f"Set gpu_memory_utilization: {fitting:g}", UTIL_FIELD, fitting, True)]
                if fitting > 0
                else []
            )
            findings.error(
                Code.DOES_NOT_START,
                f"Does not start: vLLM wants {refusal.needed_gib:,.2f} GiB"
                f" (gpu_memory_utilization {setup.gpu_memory_utilization:g} ×"
                f" {memory.total / GIB:,.2f} GiB) but only about {refusal.available_gib:,.2f} GiB"
                ' is free at start-up (vLLM: "Free memory on device … on startup is less than'
                ' desired GPU memory utilization").',
                UTIL_FIELD,
                GPU_FIELD,
                related=related,
                data=fixes_data(util_fixes),
            )
        elif refusal.kind == "no-kv-memory":
            findings.error(
                Code.NO_KV_MEMORY,
                'Does not start: no memory is left for the KV cache (vLLM: "No available memory'
                f' for the cache blocks"): {_breakdown(memory)}.',
                TP_FIELD,
                GPU_FIELD,
                MODEL_FIELD,
                related=related,
                data=fixes_data(start_fixes),
            )
        elif refusal.kind == "auto-fit":
            findings.error(
                Code.NO_KV_MEMORY,
                'Does not start: max_model_len auto cannot fit even one token (vLLM: "Cannot'
                f' auto-fit max_model_len"): {_breakdown(memory)}.',
                LEN_FIELD,
                TP_FIELD,
                GPU_FIELD,
                related=related,
                data=fixes_data(start_fixes),
            )
        else:
            hint = (
                f" The longest max_model_len that starts is {refusal.longest:,}."
                if refusal.longest > 0
                else ""
            )
            findings.error(
                Code.DOES_NOT_START,
                f"Does not start: needs {refusal.needed_gib:,.2f} GiB of KV for one"
                f" {memory.max_model_len:,}-token request, {refusal.available_gib:,.2f} GiB"
                f' available ({_breakdown(memory)}).{hint} (vLLM: "To serve at least one'
                f' request with {wording} max seq len ({memory.max_model_len}) …")',
                LEN_FIELD,
                TP_FIELD,
                GPU_FIELD,
                MODEL_FIELD,
                related=related,
                data=fixes_data(start_fixes, needed_gib=refusal.needed_gib),
            )
        return
    workload = profile.workload
    tokens = min(workload.prompt_tokens + workload.gen_tokens, memory.max_model_len)
    if not memory.fits:
        longest = memory.max_context_at_concurrency
        tail = (
            f" At {workload.concurrency} concurrent requests the longest that fits is"
            f" {longest:,} tokens."
            if longest > 0
            else ""
        )
        findings.warning(
            Code.DOES_NOT_FIT,
            f"Starts, but the workload does not fit: {workload.concurrency} requests of"
            f" {tokens:,} tokens need {gib(memory.kv_needed)} of KV cache (×"
            f" {profile.policy.fragmentation_factor:g} fragmentation); {memory.kv_gib:,.2f} GiB"
            f" is available, leaving {gib(memory.headroom)} against the"
            f" {profile.policy.headroom_gb:g} GiB headroom wanted.{tail}",
            CONCURRENCY_FIELD,
            ("workload", "prompt_tokens"),
            TP_FIELD,
            GPU_FIELD,
            related=(
                (("workload", "prompt_tokens"), f"{workload.prompt_tokens:,} prompt tokens"),
                (("workload", "gen_tokens"), f"{workload.gen_tokens:,} generated tokens"),
                *related,
            ),
            data=fixes_data(fixes.for_fit()),
        )
        return
    if memory.headroom < 2 * profile.policy.headroom_gb * GIB:
        findings.warning(
            Code.LOW_HEADROOM,
            f"Fits with little room: {gib(memory.headroom)} of KV cache to spare beyond the"
            f" workload's {gib(memory.kv_needed)}; a longer prompt or a few more requests will"
            " queue.",
            CONCURRENCY_FIELD,
            GPU_FIELD,
            related=related,
        )
    # The same threshold as the medium OOM risk: what utilization leaves free, less the CUDA
    # context and communicators that are already there when vLLM takes its snapshot.
    spare = memory.total - memory.budget - STARTUP_RESERVE_GIB * GIB
    if not memory.cuda_graph_in_budget and memory.stage.cuda_graph > spare:
        findings.warning(
            Code.CUDA_GRAPH_RISK,
            f"CUDA graphs take about {gib(memory.stage.cuda_graph)} outside the budget, more than"
            f" the {gib(max(0.0, spare))} gpu_memory_utilization leaves free once the CUDA"
            " context is loaded: capture may run out of memory. Lower gpu_memory_utilization or"
            " add `enforce_eager: true` to vllm_args.",
            UTIL_FIELD,
            related=related,
        )
