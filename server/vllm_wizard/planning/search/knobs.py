"""The changes besides the layout (fp8 KV cache, smaller weights, the longest
max_model_len that starts, fewer scheduled sequences, more of each GPU), and the sets of
them the search tries: none, each alone, and each pair of different kinds.

Also the rules the rest of the search shares: the longest max_model_len that starts, the
utilization that free memory allows, and when a setup reaches its goal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import counted
from vllm_wizard.models.arch import ModelArch
from vllm_wizard.models.resolve import ResolvedModel
from vllm_wizard.planning.memory import GIB, MemoryResult, Setup
from vllm_wizard.planning.search.edits import KV_FIELD, SEQS_FIELD, UTIL_FIELD, Edits
from vllm_wizard.planning.search.options import PlanOptions
from vllm_wizard.planning.semantic import MIN_CAPABILITY, MODEL_FIELD, QUANT_FIELD

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore

RAISED_UTILIZATION = 0.95
LEAN_MAX_NUM_SEQS = 256

KV_FP8_CAPABILITY = (8, 9)
"""An fp8 KV cache is suggested from Ada/Hopper on (FP8 tensor cores; older GPUs convert)."""


@dataclass(frozen=True, slots=True)
class Knob:
    """One change besides the layout: a profile edit and what it does to the setup."""

    kind: str
    """`kv_fp8`, `weights`, `max_model_len`, `max_num_seqs`, `kv_memory` or `utilization`;
    a knob set holds at most one of each kind."""
    edits: Edits
    reason: str
    changes: tuple[tuple[str, Any], ...] = ()
    """Setup fields it sets (the fast path; the re-plan is the truth)."""
    checkpoint: ResolvedModel | None = None

    def apply(self, setup: Setup) -> Setup:
        return replace(setup, **dict(self.changes)) if self.changes else setup


LENGTH = Knob("max_model_len", (), "")
"""Stands for "the longest max_model_len that starts", found per setup."""


def longest_max_model_len(memory: MemoryResult, rerun: Callable[[int], MemoryResult]) -> int:
    """The longest max_model_len that starts: vLLM's estimate from its refusal ("the estimated
    maximum model length is …"), re-checked with the batch sizes that length gives (vLLM V0
    batches as many tokens as max_model_len). 0 when no length starts.

    The one rule: the finding, the quick fix, `plan` and the hover all show this number.
    """
    refusal = memory.refusal
    if refusal is None or refusal.kind != "max-model-len":
        return 0
    length = refusal.longest
    for _ in range(4):
        if length <= 0:
            return 0
        result = rerun(length)
        if result.starts:
            return length
        again = result.refusal
        if again is None or again.kind != "max-model-len" or again.longest >= length:
            return 0
        length = again.longest
    return 0


def fitting_utilization(memory: MemoryResult) -> float:
    """The highest gpu_memory_utilization the free memory at start-up allows (≤ 0.9)."""
    refusal = memory.refusal
    if refusal is None or refusal.kind != "startup-free-memory":
        return memory.setup.gpu_memory_utilization
    return min(0.9, int(refusal.available_gib / (memory.total / GIB) * 100) / 100)


def _knobs(core: PlanCore, options: PlanOptions) -> list[Knob]:
    """The changes worth trying on `core`, cheapest-looking first."""
    profile, setup, memory = core.profile, core.setup, core.memory
    capability = core.context.gpu.capability
    knobs: list[Knob] = []
    if (
        profile.model.kv_cache_dtype in ("auto", "float16", "bfloat16")
        and capability is not None
        and capability >= KV_FP8_CAPABILITY
    ):
        knobs.append(
            Knob(
                "kv_fp8",
                ((KV_FIELD, "fp8"),),
                "an fp8 KV cache stores one byte per value",
                (("kv_cache_dtype", "fp8"),),
            )
        )
    if setup.quantization is None and profile.model.quantization == "none":
        for variant in _variants_of(core, options):
            declared = variant.arch.quantization
            method = declared.method if declared is not None else "quantized"
            knobs.append(
                Knob(
                    "weights",
                    ((MODEL_FIELD, variant.model_id),),
                    f"a {method.upper()} checkpoint of the same model",
                    checkpoint=variant,
                )
            )
        minimum = MIN_CAPABILITY["fp8"]
        if capability is not None and capability >= minimum:
            from vllm_wizard.planning.plan import online_fp8

            method = online_fp8(core.rules)
            knobs.append(
                Knob(
                    "weights",
                    ((QUANT_FIELD, method),),
                    "fp8 weights, quantized by vLLM at load time",
                    (("quantization", method),),
                )
            )
    if profile.model.max_model_len != "auto":
        knobs.append(LENGTH)
    lean = max(LEAN_MAX_NUM_SEQS, profile.workload.concurrency)
    if setup.max_num_seqs > lean and "max_num_seqs" not in core.args.values:
        knobs.append(
            Knob(
                "max_num_seqs",
                ((SEQS_FIELD, lean),),
                f"the workload runs {counted(profile.workload.concurrency, 'request')} at"
                f" once; vLLM schedules up to {setup.max_num_seqs} and profiles for them",
                (("max_num_seqs", lean),),
            )
        )
    pinned = core.args.keys.get("kv_cache_memory_bytes")
    if pinned is not None:
        knobs.append(
            Knob(
                "kv_memory",
                ((("outputs", "vllm_args", pinned), None),),
                "vLLM then sizes the KV cache from gpu_memory_utilization",
                (("kv_cache_memory_bytes", None),),
            )
        )
    refusal = memory.refusal
    if refusal is not None and refusal.kind == "startup-free-memory":
        fitting = fitting_utilization(memory)
        if fitting > 0:
            knobs.append(
                Knob(
                    "utilization",
                    ((UTIL_FIELD, fitting),),
                    f"only about {refusal.available_gib:,.2f} GiB is free at start-up",
                    (("gpu_memory_utilization", fitting),),
                )
            )
    elif setup.gpu_memory_utilization < RAISED_UTILIZATION:
        knobs.append(
            Knob(
                "utilization",
                ((UTIL_FIELD, RAISED_UTILIZATION),),
                "vLLM may use more of each GPU",
                (("gpu_memory_utilization", RAISED_UTILIZATION),),
            )
        )
    return knobs


def same_model(arch: ModelArch, other: ModelArch) -> bool:
    """The same network (type, width, depth, vocabulary): a quantized copy, not another
    model; the name check (a fine-tune is another model) is the caller's."""
    return (
        other.text_model_type == arch.text_model_type
        and other.hidden_size == arch.hidden_size
        and other.num_layers == arch.num_layers
        and other.vocab_size == arch.vocab_size
    )


def _variants_of(core: PlanCore, options: PlanOptions) -> list[ResolvedModel]:
    """The handed-in quantized checkpoints of this model."""
    return [
        variant
        for variant in options.quantized
        if variant.model_id != core.model.model_id
        and variant.arch.quantization is not None
        and same_model(core.model.arch, variant.arch)
    ]


def reaches(memory: MemoryResult, goal: str, need: int) -> bool:
    """The setup starts (or fits) and, where vLLM fits max_model_len to memory (`auto`),
    leaves room for one of the workload's requests (`need` tokens)."""
    if not (memory.fits if goal == "fit" else memory.starts):
        return False
    return memory.setup.max_model_len != "auto" or memory.max_model_len >= need


def knob_sets(knobs: list[Knob]) -> list[tuple[Knob, ...]]:
    """No knob, each knob, and each pair of knobs of different kinds."""
    sets: list[tuple[Knob, ...]] = [(), *((k,) for k in knobs)]
    sets += [pair for pair in combinations(knobs, 2) if pair[0].kind != pair[1].kind]
    return sets
