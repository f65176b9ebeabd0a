"""The constants of the performance model, each with where it comes from.

Three calibrations: POINT (the best estimate), FAST and SLOW (the ends of every range). The
physical ones (efficiencies of the catalog's peak bandwidth and FLOP/s, link latencies) start from
what well-tuned kernels reach; the overheads a roofline cannot see (fixed cost per decode step and
per layer, per running sequence, eager mode, the API's share of TTFT, how synchronised concurrent
requests stay) are FITTED on the fit half of tests/perf/cases.yaml by scripts/fit_perf.py, which
prints the held-out hit rates; README.md "Performance against real vLLM benchmarks" reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Calibration:
    """One set of model constants (seconds, fractions, bytes/s)."""

    weights_efficiency: float
    """Fraction of peak HBM bandwidth a decode step's weight reads reach (GEMV/GEMM streaming)."""
    kv_efficiency: float
    """Fraction of peak HBM bandwidth the paged-attention KV reads reach (scattered blocks)."""
    compute_efficiency: float
    """Fraction of dense peak FLOP/s a batch of tokens reaches in the linear layers."""
    step_s: float
    """Fixed cost of every engine step: scheduler, sampler, CUDA-graph replay, output processing."""
    layer_s: float
    """Fixed cost per layer per step with CUDA graphs: the floor of its ~10 small kernels."""
    moe_layer_s: float
    """Extra per MoE layer: router, top-k, token permutation, grouped-GEMM launches."""
    eager_layer_s: float
    """Extra per layer without CUDA graphs (`enforce_eager`): Python and kernel-launch latency."""
    sequence_s: float
    """Per running sequence per step: sampling, block tables, detokenising, streaming."""
    api_s: float
    """What a request spends outside the engine before its first token (HTTP, tokenising)."""
    sync: float
    """With N users, how much of the other N − 1 prompts' prefill one request waits behind: 1 when
    they arrive together (a burst), less as a steady stream desynchronises them."""
    nvlink_latency_s: float
    """One small all-reduce over NVLink (vLLM's custom all-reduce)."""
    pcie_latency_s: float
    """One small all-reduce without peer-to-peer (NCCL through the host)."""
    nvlink_bandwidth: float
    """Achieved all-reduce bus bandwidth over NVLink, bytes/s."""
    pcie_bandwidth: float
    """Achieved all-reduce bus bandwidth over PCIe, bytes/s."""
    node_handoff_s: float
    """Pipeline hand-off between nodes per step."""
    kv_full_slowdown: float
    """Decode slowdown when users outnumber the requests the KV cache holds: vLLM admits on
    the blocks free now, then preempts and recomputes requests as they grow."""

    def spread(
        self, efficiency: float, overhead: float, sync: float, slowdown: float
    ) -> Calibration:
        """This calibration with efficiencies and bandwidths × `efficiency` (at most 0.95 of
        peak), fixed costs and latencies × `overhead`."""
        return replace(
            self,
            weights_efficiency=min(0.95, self.weights_efficiency * efficiency),
            kv_efficiency=min(0.95, self.kv_efficiency * efficiency),
            compute_efficiency=min(0.95, self.compute_efficiency * efficiency),
            step_s=self.step_s * overhead,
            layer_s=self.layer_s * overhead,
            moe_layer_s=self.moe_layer_s * overhead,
            eager_layer_s=self.eager_layer_s * overhead,
            sequence_s=self.sequence_s * overhead,
            api_s=self.api_s * overhead,
            sync=sync,
            nvlink_latency_s=self.nvlink_latency_s * overhead,
            pcie_latency_s=self.pcie_latency_s * overhead,
            nvlink_bandwidth=self.nvlink_bandwidth * efficiency,
            pcie_bandwidth=self.pcie_bandwidth * efficiency,
            node_handoff_s=self.node_handoff_s * overhead,
            kv_full_slowdown=slowdown,
        )


POINT = Calibration(
    weights_efficiency=0.80,
    kv_efficiency=0.55,
    compute_efficiency=0.55,
    step_s=1.44e-3,
    layer_s=17e-6,
    moe_layer_s=60e-6,
    eager_layer_s=450e-6,
    sequence_s=22e-6,
    api_s=10e-3,
    sync=0.47,
    nvlink_latency_s=8e-6,
    pcie_latency_s=40e-6,
    nvlink_bandwidth=150e9,
    pcie_bandwidth=4.2e9,
    node_handoff_s=60e-6,
    kv_full_slowdown=1.2,
)
"""The best estimate (fitted values: see scripts/fit_perf.py)."""

EFFICIENCY_SPREAD = 1.2
"""The ranges' ends reach efficiencies and bandwidths × 1.15 (fast) and ÷ 1.15 (slow)."""

OVERHEAD_SPREAD = 1.2
"""… and fixed costs and latencies ÷ 1.8 (fast) and × 1.8 (slow)."""

FAST = POINT.spread(EFFICIENCY_SPREAD, 1 / OVERHEAD_SPREAD, sync=0.25, slowdown=1.0)
"""Every constant at its favourable end; users arriving as a steady stream."""

SLOW = POINT.spread(1 / EFFICIENCY_SPREAD, OVERHEAD_SPREAD, sync=1.0, slowdown=1.7)
"""Every constant at its unfavourable end; users arriving at once; KV preemption at its worst."""
