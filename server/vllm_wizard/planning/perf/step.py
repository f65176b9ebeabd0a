"""Seconds per engine step: a decode step of a batch, and the prefill of a batch of prompts.

A decode step reads the weights one GPU holds (MoE: the experts the batch picked) while its
GEMMs run (whichever takes longer), then reads every running request's KV cache, and pays fixed
costs a roofline misses: the step itself (scheduler, sampler), every layer's small kernels
(more for MoE routing, far more without CUDA graphs), each running sequence, and, with tensor
parallelism, two all-reduces per layer over the link. Prefill is the same step over
`max_num_batched_tokens` prompt tokens at a time (chunked prefill), compute-bound unless the
chunk is so small that reading the weights takes longer, plus causal attention.
"""

from __future__ import annotations

import math
from typing import Literal

from vllm_wizard.planning.perf.calibration import Calibration
from vllm_wizard.planning.perf.inputs import PerfInputs

LinkCost = Literal["nvlink", "pcie", "mixed"]
"""How a calibration prices the link: `mixed` (an unknown link's point estimate) is halfway,
geometrically, between NVLink and PCIe."""

BYTES_PER_ACTIVATION = 2


def moe_read_fraction(inputs: PerfInputs, tokens: float) -> float:
    """Weights read per step: shared layers plus every expert some token picked.

    With E experts and k per token, a batch of t independent tokens touches on average
    E × (1 − (1 − k/E)^t) experts.
    """
    if inputs.num_experts <= 0 or inputs.active_fraction >= 1.0:
        return 1.0
    per_expert = (1.0 - inputs.active_fraction) / max(
        1, inputs.num_experts - inputs.experts_per_token
    )
    expert_share = per_expert * inputs.num_experts
    untouched: float = (1.0 - inputs.experts_per_token / inputs.num_experts) ** max(1.0, tokens)
    return min(1.0, (1.0 - expert_share) + expert_share * (1.0 - untouched))


def _link(cal: Calibration, cost: LinkCost) -> tuple[float, float]:
    """(latency s, bandwidth B/s) of one all-reduce."""
    if cost == "nvlink":
        return cal.nvlink_latency_s, cal.nvlink_bandwidth
    if cost == "pcie":
        return cal.pcie_latency_s, cal.pcie_bandwidth
    return (
        math.sqrt(cal.nvlink_latency_s * cal.pcie_latency_s),
        math.sqrt(cal.nvlink_bandwidth * cal.pcie_bandwidth),
    )


def _all_reduces(inputs: PerfInputs, cal: Calibration, cost: LinkCost, tokens: float) -> float:
    """Two all-reduces per layer of `tokens` hidden vectors (ring: 2(tp − 1)/tp of the bytes)."""
    if inputs.tp <= 1:
        return 0.0
    latency, bandwidth = _link(cal, cost)
    message = tokens * inputs.hidden_size * BYTES_PER_ACTIVATION
    ring = 2 * (inputs.tp - 1) / inputs.tp * message / bandwidth
    return 2 * inputs.num_layers / inputs.pp * (latency + ring)


def _layer_costs(inputs: PerfInputs, cal: Calibration) -> float:
    """Fixed GPU cost of one stage's layers for one step (their small kernels' floor)."""
    return (inputs.num_layers * cal.layer_s + inputs.moe_layers * cal.moe_layer_s) / inputs.pp


def _launches(inputs: PerfInputs, cal: Calibration, graphs: bool) -> float:
    """CPU time to launch one stage's kernels when no CUDA graph replays them; the GPU runs
    meanwhile, so a step takes the longer of the two."""
    return 0.0 if graphs else inputs.num_layers * cal.eager_layer_s / inputs.pp


def _pipeline(inputs: PerfInputs, cal: Calibration, stage: float) -> float:
    """Stages run one after another; across nodes each hand-off costs a network round."""
    handoffs = (inputs.pp - 1) * cal.node_handoff_s if inputs.nodes > 1 else 0.0
    return inputs.pp * stage + handoffs


def decode_step_s(inputs: PerfInputs, cal: Calibration, cost: LinkCost, batch: int) -> float:
    """One decode step of `batch` running requests (each emits one token)."""
    bandwidth = inputs.bandwidth_gb_s * 1e9
    peak = inputs.peak_tflops * 1e12
    context = inputs.prompt_tokens + inputs.gen_tokens / 2
    weights = inputs.weights_bytes * moe_read_fraction(inputs, batch)
    read_weights = weights / (bandwidth * cal.weights_efficiency)
    matmul = 2 * inputs.decode_params_per_gpu * batch / (peak * cal.compute_efficiency)
    read_kv = batch * context * inputs.kv_bytes_per_token / (bandwidth * cal.kv_efficiency)
    graphs = not inputs.enforce_eager and batch <= inputs.cudagraph_max_batch
    work = max(read_weights, matmul) + read_kv + _layer_costs(inputs, cal)
    stage = max(work, _launches(inputs, cal, graphs)) + _all_reduces(inputs, cal, cost, batch)
    return cal.step_s + batch * cal.sequence_s + _pipeline(inputs, cal, stage)


def prefill_s(inputs: PerfInputs, cal: Calibration, cost: LinkCost, prompts: int) -> float:
    """Prefill of `prompts` prompts arriving together, in chunks of max_num_batched_tokens."""
    bandwidth = inputs.bandwidth_gb_s * 1e9
    peak = inputs.peak_tflops * 1e12
    length = inputs.prompt_tokens
    tokens = prompts * length
    steps = max(1, math.ceil(tokens / max(1, inputs.max_num_batched_tokens)))
    chunk = tokens / steps
    weights = inputs.weights_bytes * moe_read_fraction(inputs, chunk)
    read_weights = weights / (bandwidth * cal.weights_efficiency)
    matmul = 2 * inputs.prefill_params_per_gpu * chunk / (peak * cal.compute_efficiency)
    graphs = not inputs.enforce_eager and chunk <= inputs.cudagraph_max_batch
    work = max(read_weights, matmul) + _layer_costs(inputs, cal)
    per_step = max(work, _launches(inputs, cal, graphs)) + _all_reduces(inputs, cal, cost, chunk)
    layers = inputs.num_layers / inputs.pp
    causal = 2 * layers * length * length * inputs.attention_width / inputs.tp
    attention = prompts * causal / (peak * cal.compute_efficiency)
    return steps * cal.step_s + _pipeline(inputs, cal, steps * per_step + attention)
