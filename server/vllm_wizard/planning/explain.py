"""How each memory figure of a plan was derived: the `--explain` lines and plan.json's `explain`.

Each line names its formula (DESIGN §3), its inputs and, for estimates, the evidence they rest
on, so a user can check every number against vLLM's start-up log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vllm_wizard.planning.kv import kv_heads_per_gpu
from vllm_wizard.planning.memory import (
    GIB,
    GRAPH_MIB_PER_LAYER,
    PERSISTENT_SAMPLER_BYTES,
    kv_dtype_bytes,
    non_torch_gib,
    sampler_bytes_per_entry,
)
from vllm_wizard.planning.result import Derivation
from vllm_wizard.planning.weights import DTYPE_BYTES

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan


def _gib(value: float) -> str:
    return f"{value / GIB:,.3f} GiB"


def derivations(plan: Plan) -> list[Derivation]:
    """One line per figure of the tightest GPU."""
    memory = plan.memory
    setup = plan.setup
    stage = memory.stage
    rules = plan.rules
    arch = plan.arch
    layout = stage.layout
    lines: list[Derivation] = []

    def add(figure: str, value: str, how: str) -> None:
        lines.append(Derivation(figure=figure, value=value, how=how))

    gpu_source = {
        "catalog": f"the catalog entry for {plan.gpu.name}",
        "nvml": f"NVML detection ({plan.gpu.name})",
        "override": "hardware.vram_gb",
    }[plan.gpu.source]
    add("total", _gib(memory.total), f"memory per GPU as CUDA reports it, from {gpu_source}")
    rounding = "ceil(total × util)" if rules.budget_ceil else "total × util"
    add(
        "budget",
        _gib(memory.budget),
        f"{rounding} with gpu_memory_utilization {setup.gpu_memory_utilization:g}",
    )
    add("weights", _gib(stage.weights), f"{memory.weights_how}, split over tp {setup.tp} × pp"
        f" {setup.pp}, plus the rotary cos/sin cache")  # fmt: skip
    if setup.overhead_gb is not None:
        add("overhead", _gib(stage.activation), "policy.overhead_gb (replaces the estimates)")
    else:
        rows = min(setup.max_num_batched_tokens, setup.max_num_seqs)
        per_entry = sampler_bytes_per_entry(
            rules, plan.gpu.compute_capability, DTYPE_BYTES.get(setup.dtype, 2.0)
        )
        runner = "Model Runner V2" if rules.model_runner_v2 else "the V1 model runner"
        add(
            "activation",
            _gib(stage.activation),
            f"estimate: the larger of the sampler warm-up ({per_entry:g} B × {rows:,} rows ×"
            f" {arch.vocab_size:,} vocab, {runner}) and the forward pass over"
            f" {setup.max_num_batched_tokens:,} tokens",
        )
        persistent = (
            f" + {PERSISTENT_SAMPLER_BYTES:g} B × {setup.max_num_seqs:,} × {arch.vocab_size:,}"
            " persistent sampler state"
            if rules.model_runner_v2
            else ""
        )
        workspace = (
            f" + {_gib(stage.allreduce_workspace)} FlashInfer all-reduce workspace"
            if stage.allreduce_workspace
            else ""
        )
        add(
            "non_torch",
            _gib(stage.non_torch),
            f"estimate: {non_torch_gib(rules, setup.tp):g} GiB at tp {setup.tp}"
            f" ({'as at tp 4 in the H100 logs' if setup.tp > 4 else 'H100 logs'})"
            f"{workspace}{persistent}",
        )
        if memory.graphs:
            placement = (
                "subtracted from the budget"
                if memory.cuda_graph_in_budget
                else ("outside the budget (this vLLM does not subtract it)")
            )
            add(
                "cuda_graph",
                _gib(stage.cuda_graph),
                f"estimate: {memory.graphs} graphs × {layout.layers} layers × "
                f"{GRAPH_MIB_PER_LAYER['single']}–{GRAPH_MIB_PER_LAYER['cross-node']} MiB;"
                f" {placement}",
            )
        else:
            add("cuda_graph", "0 GiB", "enforce_eager: no CUDA graphs are captured")
    add("kv_cache", _gib(stage.kv_cache), "budget − weights − activation − non_torch"
        + (" − cuda_graph" if memory.cuda_graph_in_budget and memory.graphs else ""))  # fmt: skip
    kinds = ", ".join(f"{g.kind} ×{g.real_layers}" for g in layout.groups) or "none"
    add(
        "kv_bytes_per_token",
        f"{layout.bytes_per_token:,} B",
        f"{layout.token_bytes_per_layer:,} B per token per layer ({kinds}); "
        + (
            f"MLA latent {arch.mla.cache_dim} values"
            if arch.mla is not None
            else f"2 × {kv_heads_per_gpu(arch, setup.tp)} KV heads × {arch.head_dim}"
        )
        + f" × {kv_dtype_bytes(setup.kv_cache_dtype, setup.dtype):g} B",
    )
    add(
        "num_blocks",
        f"{memory.num_blocks:,}",
        f"kv_cache // {layout.bytes_per_block:,} B per block id (block_size {layout.block_size}"
        f" × {max((g.layers for g in layout.groups), default=0)} layers)",
    )
    add(
        "kv_cache_tokens",
        f"{memory.kv_tokens:,}",
        "int(max_concurrency × max_model_len)"
        if rules.tokens_from_concurrency
        else "num_blocks × block_size",
    )
    add(
        "max_concurrency",
        f"{memory.max_concurrency:,.2f}×",
        f"num_blocks / {layout.blocks_per_request(memory.max_model_len):,} blocks per"
        f" {memory.max_model_len:,}-token request",
    )
    add(
        "kv_needed",
        _gib(memory.kv_needed),
        f"{plan.profile.workload.concurrency} × min(prompt + gen, max_model_len) tokens ×"
        f" bytes/token × {plan.profile.policy.fragmentation_factor:g}",
    )
    return lines
