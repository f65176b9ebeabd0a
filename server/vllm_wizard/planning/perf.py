"""Roofline performance estimates (DESIGN §4), as low/high ranges with their assumptions.

Decode is memory-bound: each step reads the weights one GPU holds and the KV cache of every
running request, so step time ≈ bytes read / (HBM bandwidth × efficiency), plus the
tensor-parallel all-reduces. Prefill is compute-bound: 2 × active parameters × tokens FLOPs
(plus causal attention) / (peak FLOP/s × efficiency). The efficiencies below are the range a
well-tuned vLLM kernel reaches on the catalog's peak figures; they are stated in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from vllm_wizard.planning.result import Performance, Span

HBM_EFFICIENCY = (0.55, 0.80)
"""Fraction of peak HBM bandwidth decode achieves (low, high)."""

COMPUTE_EFFICIENCY = (0.35, 0.60)
"""Fraction of dense peak FLOP/s prefill achieves (low, high)."""

ALL_REDUCE_LATENCY_S = {"nvlink": (12e-6, 6e-6), "pcie": (40e-6, 20e-6)}
"""Fixed cost of one small all-reduce (low-estimate, high-estimate)."""

LINK_BANDWIDTH_B_S = {"nvlink": (150e9, 300e9), "pcie": (12e9, 25e9)}
"""Achieved per-GPU bus bandwidth of an all-reduce."""

INTER_NODE_LATENCY_S = (100e-6, 30e-6)
"""Pipeline hand-off between nodes per decode step."""

BYTES_PER_ACTIVATION = 2


@dataclass(frozen=True, slots=True)
class PerfInputs:
    """What the roofline needs, all per GPU unless said otherwise."""

    bandwidth_gb_s: float
    peak_tflops: float
    weights_bytes: float
    """Weights one GPU holds."""
    active_fraction: float
    """Of those weights, the part one token reads (MoE: shared + active experts)."""
    experts_per_token: int
    num_experts: int
    kv_bytes_per_token: int
    """One token's KV on one GPU, all its layers (per pipeline stage)."""
    active_params: float
    """Parameters one token multiplies through (all GPUs together)."""
    num_layers: int
    hidden_size: int
    attention_width: int
    """num_attention_heads × head_dim, for the attention FLOPs."""
    tp: int
    pp: int
    nodes: int
    interconnect: str
    concurrency: int
    prompt_tokens: int
    gen_tokens: int


def _moe_read_fraction(inputs: PerfInputs, batch: int) -> float:
    """Weights read per decode step: shared layers plus every expert some token picked.

    With E experts and k per token, a batch of b independent tokens touches on average
    E × (1 − (1 − k/E)^b) experts.
    """
    if inputs.num_experts <= 0 or inputs.active_fraction >= 1.0:
        return 1.0
    per_expert_fraction = (1.0 - inputs.active_fraction) / max(
        1, inputs.num_experts - inputs.experts_per_token
    )
    expert_share = per_expert_fraction * inputs.num_experts
    shared_share = 1.0 - expert_share
    touched = 1.0 - (1.0 - inputs.experts_per_token / inputs.num_experts) ** batch
    return min(1.0, shared_share + expert_share * touched)


def estimate_performance(inputs: PerfInputs) -> Performance:
    """Decode and prefill ranges for `concurrency` requests on one replica."""
    batch = max(1, inputs.concurrency)
    average_context = inputs.prompt_tokens + inputs.gen_tokens / 2
    weight_bytes = inputs.weights_bytes * _moe_read_fraction(inputs, batch)
    kv_bytes = batch * average_context * inputs.kv_bytes_per_token
    bytes_per_stage = weight_bytes + kv_bytes
    link = "nvlink" if inputs.interconnect == "nvlink" else "pcie"
    layers_per_stage = inputs.num_layers / inputs.pp

    def decode_step(index: int) -> float:
        memory_time = bytes_per_stage / (inputs.bandwidth_gb_s * 1e9 * HBM_EFFICIENCY[index])
        comm_time = 0.0
        if inputs.tp > 1:
            message = batch * inputs.hidden_size * BYTES_PER_ACTIVATION
            ring = 2 * (inputs.tp - 1) / inputs.tp * message / LINK_BANDWIDTH_B_S[link][index]
            comm_time = 2 * layers_per_stage * (ALL_REDUCE_LATENCY_S[link][index] + ring)
        handoff = INTER_NODE_LATENCY_S[index] if inputs.nodes > 1 else 0.0
        return inputs.pp * (memory_time + comm_time) + (inputs.pp - 1) * handoff

    slow_step, fast_step = decode_step(0), decode_step(1)
    itl = Span(low=fast_step * 1e3, high=slow_step * 1e3)
    decode = Span(low=batch / slow_step, high=batch / fast_step)

    prompt = inputs.prompt_tokens
    linear_flops = 2 * inputs.active_params * prompt
    attention_flops = 2 * inputs.num_layers * prompt * prompt * inputs.attention_width
    gpus = inputs.tp * inputs.pp

    def prefill_time(index: int) -> float:
        peak = inputs.peak_tflops * 1e12 * COMPUTE_EFFICIENCY[index] * gpus
        return (linear_flops + attention_flops) / peak

    slow_prefill, fast_prefill = prefill_time(0), prefill_time(1)
    ttft = Span(low=fast_prefill * 1e3 + itl.low, high=slow_prefill * 1e3 + itl.high)
    prefill = Span(low=prompt / slow_prefill, high=prompt / fast_prefill)
    assumptions = [
        f"decode is memory-bound at {HBM_EFFICIENCY[0]:.0%}–{HBM_EFFICIENCY[1]:.0%} of"
        f" {inputs.bandwidth_gb_s:,.0f} GB/s HBM bandwidth per GPU",
        f"prefill is compute-bound at {COMPUTE_EFFICIENCY[0]:.0%}–{COMPUTE_EFFICIENCY[1]:.0%}"
        f" of {inputs.peak_tflops:,.0f} dense TFLOP/s per GPU",
        f"batch = concurrency = {batch}; average context {average_context:,.0f} tokens",
    ]
    if inputs.num_experts > 0:
        assumptions.append(
            f"MoE: {inputs.experts_per_token} of {inputs.num_experts} experts per token;"
            " a decode step reads every expert some request in the batch picked"
        )
    if inputs.tp > 1:
        assumptions.append(f"tensor parallel {inputs.tp}: two all-reduces per layer over {link}")
    if inputs.pp > 1:
        assumptions.append(f"pipeline parallel {inputs.pp}: stages run one after another")
    assumptions.append("no queueing, speculative decoding or prefix-cache hits")
    return Performance(
        decode_tokens_per_s=decode,
        inter_token_latency_ms=itl,
        prefill_tokens_per_s=prefill,
        ttft_ms=ttft,
        assumptions=assumptions,
    )


def unknown_performance(reason: str) -> Performance:
    """No estimate: the GPU's bandwidth and FLOP/s are not known."""
    return Performance(
        decode_tokens_per_s=None,
        inter_token_latency_ms=None,
        prefill_tokens_per_s=None,
        ttft_ms=None,
        assumptions=[reason],
    )
