"""FlashInfer's all-reduce workspace: GPU memory vLLM takes outside torch at tp ≥ 2.

From 0.17 vLLM fuses each all-reduce with the following RMSNorm on Hopper (9.0) and Blackwell
(10.x) datacenter GPUs (`enable_allreduce_rms_fusion`, vllm/config/vllm.py), and from 0.29 it
also runs plain all-reduces through FlashInfer (`VLLM_ALLREDUCE_USE_FLASHINFER=1`, envs.py).
Both share one FlashInfer workspace (`get_fi_ar_workspace`,
vllm/distributed/device_communicators/flashinfer_all_reduce.py), created on the first use
during the profiling run, after vLLM's memory snapshot: it is part of the "non-torch" memory
that comes off the KV cache. Its size (FlashInfer's `trtllm_create_ipc_workspace_for_all_reduce
_fusion` and `MNNVLAllReduceFusionWorkspace`, flashinfer/comm/):

* the largest message: `FI_ALLREDUCE_FUSION_MAX_SIZE_MB[capability][tp]` (64 MB at tp 2; H100
  2 MB at tp 4), in tokens of the model's hidden size, at most max_num_batched_tokens for the
  fusion pass; from 0.29 the tuned `FI_MNNVL_ALLREDUCE_MAX_SIZE_MB` raises it for MNNVL;
* "trtllm" backend: three buffers, tp × message, a flag array, and 3 × tp × message;
* "mnnvl" backend (single-node default from 0.26, falling back to trtllm without NVSwitch
  multicast): one buffer of 3 × (two-shot: 2 × message) bytes, rounded up to the multicast
  granularity;
* FlashInfer up to 0.6.14 (vLLM ≤ 0.26) rounded *every* buffer up to the multicast
  granularity, multicast or not (`SymmDeviceMemory._get_allocation_prop`, flashinfer/comm/
  mnnvl.py); 0.6.16 rounds only multicast buffers, others to 2 MiB.

The multicast granularity is 512 MiB: the three trtllm buffers of vLLM 0.19 cost 1.5 GiB
whatever the model and tp (H100 logs in tests/accuracy: non-torch 2.07 and 2.10 GiB at tp 2,
2.21 at tp 4, against 0.55 on 0.11), and FlashInfer's peer buffers lie 0x20000000 bytes apart
in sglang's log of the same allocator (https://github.com/sgl-project/sglang/pull/18341).
"""

from __future__ import annotations

import math

from vllm_wizard.planning.versions import Rules

MIB = 2**20
MULTICAST_GRANULARITY = 512 * MIB
ALLOCATION_GRANULARITY = 2 * MIB
"""The VMM allocation granularity; FlashInfer ≤ 0.6.14 also aligned every buffer to it."""
SIGNAL_PAD_BYTES = 2048
"""`SIGNAL_PAD_SIZE` appended to every SymmDeviceMemory buffer."""
BARRIER_FLAGS = 256
"""`BarrierFlagCount`: int32 flags per rank in the trtllm flag buffer."""

FUSION_MAX_SIZE_MB: dict[tuple[int, int], dict[int, float]] = {
    (9, 0): {2: 64, 4: 2, 8: 0.5},
    (10, 0): {2: 64, 4: 32, 8: 1, 16: 64},
    (10, 3): {2: 64, 4: 64, 8: 4, 16: 64},
    (10, 7): {2: 64, 4: 64, 8: 2},
}
"""`FI_ALLREDUCE_FUSION_MAX_SIZE_MB` (vllm/compilation/passes/fusion/allreduce_rms_fusion.py,
0.33.0; 0.17–0.28 list the same sizes or smaller ones for 10.3 at tp 8, which round alike)."""

MNNVL_TUNED_MAX_SIZE_MB: dict[tuple[tuple[int, int], int], float] = {
    ((10, 0), 8): 128,
    ((10, 3), 4): 80,
    ((10, 3), 8): 128,
}
"""`FI_MNNVL_ALLREDUCE_MAX_SIZE_MB` for one node (all_reduce_utils.py, 0.29+)."""


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _trtllm_bytes(tp: int, message: int, multicast_granular: bool) -> int:
    """The trtllm backend's three buffers: FlashInfer ≤ 0.6.14 aligns each to 2 MiB and the
    allocation to the multicast granularity; 0.6.16 aligns to 16 bytes and allocates in 2 MiB
    steps. Each allocation carries a signal pad."""
    buffers = (tp * message, tp * BARRIER_FLAGS * 4, 3 * tp * message)
    if multicast_granular:
        return sum(
            _round_up(_round_up(size, ALLOCATION_GRANULARITY) + SIGNAL_PAD_BYTES,
                      MULTICAST_GRANULARITY)
            for size in buffers
        )  # fmt: skip
    return sum(
        _round_up(_round_up(size, 16) + SIGNAL_PAD_BYTES, ALLOCATION_GRANULARITY)
        for size in buffers
    )


def _mnnvl_bytes(tp: int, tokens: int, hidden: int, element: int) -> int:
    """The MNNVL backend's one multicast buffer: three Lamport buffers sized for two-shot."""
    two_shot = 2 * math.ceil(tokens / tp) * tp * hidden * element
    return _round_up(3 * two_shot + SIGNAL_PAD_BYTES, MULTICAST_GRANULARITY)


def flashinfer_workspace_bytes(
    rules: Rules,
    capability: tuple[int, int] | None,
    *,
    tp: int,
    pp: int,
    hidden_size: int,
    dtype_bytes: float,
    max_num_batched_tokens: int,
) -> int:
    """Bytes of FlashInfer all-reduce workspace on each GPU of a tp group (0 when vLLM makes
    none). Where the backend depends on the machine (NVSwitch multicast or not), the larger."""
    if tp < 2 or capability is None or not rules.fi_allreduce_fusion:
        return 0
    max_mb = FUSION_MAX_SIZE_MB.get(capability, {}).get(tp)
    if max_mb is None:
        return 0
    fusion = not (rules.fi_fusion_single_stage_only and pp > 1)
    if not fusion and not rules.fi_standalone_allreduce:
        return 0
    element = 4 if dtype_bytes >= 4 else 2
    max_bytes = int(max_mb * MIB)
    tokens = max_bytes // (hidden_size * element)
    if not rules.fi_standalone_allreduce:
        tokens = min(tokens, max_num_batched_tokens)
    if rules.fi_standalone_allreduce:
        tuned = MNNVL_TUNED_MAX_SIZE_MB.get((capability, tp))
        if tuned is not None:
            tokens = max(tokens, int(tuned * MIB) // (hidden_size * element))
    message = tokens * hidden_size * element
    trtllm = _trtllm_bytes(tp, message, rules.fi_buffers_multicast_granular)
    if not rules.fi_mnnvl_first:
        return trtllm
    return max(trtllm, _mnnvl_bytes(tp, tokens, hidden_size, element))
