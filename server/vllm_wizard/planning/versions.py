"""vLLM's memory rules by release: which ones a `vllm_version` gets.

Each switch below names the first release whose source has it; they were read from the
wheels of the releases in `KNOWN_RELEASES` (vllm/v1/worker/gpu_worker.py,
vllm/utils/mem_utils.py, vllm/v1/core/kv_cache_utils.py and kv_cache_planning.py,
vllm/v1/kv_cache_interface.py, vllm/engine/arg_utils.py, vllm/config/vllm.py, envs.py).
A release that is not in that list is planned with the rules of the newest known release
not newer than it (the oldest known one for older releases), and the plan says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

KNOWN_RELEASES: tuple[str, ...] = (
    "0.10.1", "0.11.0", "0.14.0", "0.17.0", "0.18.0", "0.19.0", "0.20.0", "0.21.0",
    "0.22.0", "0.24.0", "0.26.0", "0.27.0", "0.28.0", "0.29.0", "0.30.0", "0.32.0", "0.33.0",
)  # fmt: skip
"""Releases whose sources were read for these rules (0.10.1 stands for 0.10.1.1)."""

V1_DEFAULT_SINCE = "0.8.0"
"""The first release that ran the V1 engine by default."""

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def version_key(version: str) -> tuple[int, int, int]:
    """`0.11.0` → (0, 11, 0); a pre-release or local suffix is ignored (`0.29.1rc1+g…`)."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"not a vLLM version: {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


@dataclass(frozen=True, slots=True)
class Rules:
    """The memory-relevant behaviour of one vLLM release."""

    requested: str
    """The release asked for."""
    release: str
    """The known release whose rules these are."""
    budget_ceil: bool
    """`requested_memory = ceil(total × util)` (0.14+) rather than `total × util`."""
    cuda_graph_in_budget: bool
    """VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS defaults to 1 (0.20+): the CUDA-graph
    estimate is subtracted from the KV budget."""
    model_runner_v2: bool
    """Model Runner V2 for every model (0.29+): a cheaper sampler warm-up, plus persistent
    per-sequence sampler state counted as consumed memory."""
    full_and_piecewise_graphs: bool
    """Default CUDA-graph mode FULL_AND_PIECEWISE (0.11+) rather than PIECEWISE."""
    capture_stride_16: bool
    """Capture sizes step by 16 from 256 (0.11+); 0.10 stepped by 8 up to 512."""
    tokens_from_concurrency: bool
    """"GPU KV cache size" = int(max_concurrency × max_model_len) (0.22+), not blocks."""
    async_in_flight: bool
    """Sliding-window and chunked layers reserve for 2 × max_num_batched_tokens (async
    scheduling on by default, 0.26+)."""
    null_block_reserved: bool
    """The start-up check and auto-fit subtract one block, the null block (0.29+)."""
    pp_checked_per_stage: bool
    """Pipeline stages are checked against their own layers (0.17+)."""
    auto_max_model_len: bool
    """`--max-model-len -1` fits the length to memory (0.14+)."""
    batch_tier_160: bool
    """GPUs with ≥ 160 GiB get 16384 batched tokens (0.28+)."""
    performance_mode: bool
    """`--performance-mode` exists (0.17+)."""
    online_fp8_per_tensor: bool
    """`--quantization fp8` on an unquantized checkpoint is deprecated for
    `fp8_per_tensor` (0.32+)."""
    bitsandbytes: bool
    """bitsandbytes checkpoints load (up to 0.27: the 0.28 wheel has no
    model_executor/layers/quantization/bitsandbytes.py, so `_verify_quantization` refuses them
    as an unknown method)."""
    refusal_wording: str
    """How vLLM's start-up refusal spells "the model's" (0.22 fixed "the models's")."""
    default_utilization: float
    """vLLM's own default --gpu-memory-utilization (0.92 from 0.20)."""
    v0_engine: bool = False
    """Releases before 0.8 ran the V0 engine by default. Its one rule modelled here (from
    the RTX 3090 Llama-3.1-8B logs in tests/accuracy): chunked prefill was off up to a
    32,768-token max_model_len, so the profiling run covered max_model_len tokens."""
    lean_v1_sampler: bool = False
    """The V1 model runner's sampler warm-up costs ~40 % of what it did up to 0.16 (0.17+,
    until Model Runner V2 replaces it at 0.29): Qwen3-14B on an H100 profiles 5.64 GiB of
    activation on 0.16.0 and 2.23 GiB on 0.17.0 (llm-d-planner's version sweep)."""
    larger_non_torch_tp: bool = False
    """With tensor parallelism, 0.60 GiB of non-torch memory per GPU at tp 2 and 0.71 from
    tp 4 besides FlashInfer's all-reduce workspace (0.17+; 0.19 H100 logs: 2.07–2.10 GiB at
    tp 2, 2.21 at tp 4, less the 1.5 GiB workspace), against 0.55 at any tp up to 0.14 (0.11
    H100 logs). Kept after 0.28 for want of a log: the safe side."""
    larger_non_torch_tp1: bool = False
    """At tp 1, 0.25 GiB of non-torch memory on 0.18–0.26 (0.13 up to 0.17: Qwen3-14B on an
    H100 in llm-d-planner's version sweep; 0.24–0.26 in the 0.19 logs). Those releases profile
    the CUDA graphs (`profile_cudagraph_memory`) inside the `memory_profiling` window of
    gpu_worker.py, so what the captures leave behind counts as non-torch; 0.17 had no graph
    profiling and 0.27 moved it after the window."""
    fi_allreduce_fusion: bool = False
    """The all-reduce + RMSNorm fusion pass is on by default for tp > 1 on Hopper and
    Blackwell (`enable_allreduce_rms_fusion` in the -O2 defaults, 0.17+; off in 0.14), with
    FlashInfer's workspace (planning/allreduce.py)."""
    fi_fusion_single_stage_only: bool = False
    """The fusion also needs pp = 1 and dp = 1 (0.17–0.20; 0.24 dropped the condition)."""
    fi_standalone_allreduce: bool = False
    """`VLLM_ALLREDUCE_USE_FLASHINFER` defaults to 1 (0.29+): plain all-reduces use the same
    workspace, sized up for the tuned MNNVL message sizes, whatever the pipeline."""
    fi_mnnvl_first: bool = False
    """A single node prefers the MNNVL backend, trtllm being the fallback (0.26+)."""
    fi_buffers_multicast_granular: bool = False
    """The pinned FlashInfer (0.6.4–0.6.14, vLLM 0.17–0.26) rounds every workspace buffer up
    to the 512 MiB multicast granularity, multicast or not."""

    @property
    def exact(self) -> bool:
        return version_key(self.requested) == version_key(self.release)

    @property
    def newer_than_known(self) -> bool:
        return version_key(self.requested) > version_key(KNOWN_RELEASES[-1])


def _at_least(release: str, first: str) -> bool:
    return version_key(release) >= version_key(first)


def nearest_known(version: str) -> str:
    """The newest known release not newer than `version`, else the oldest known one."""
    key = version_key(version)
    older = [r for r in KNOWN_RELEASES if version_key(r) <= key]
    return older[-1] if older else KNOWN_RELEASES[0]


@cache
def rules_for(version: str) -> Rules:
    """The rules a plan for `version` uses."""
    release = nearest_known(version)

    def since(first: str) -> bool:
        return _at_least(release, first)

    return Rules(
        requested=version.strip().removeprefix("v"),
        release=release,
        budget_ceil=since("0.14.0"),
        cuda_graph_in_budget=since("0.20.0"),
        model_runner_v2=since("0.29.0"),
        full_and_piecewise_graphs=since("0.11.0"),
        capture_stride_16=since("0.11.0"),
        tokens_from_concurrency=since("0.22.0"),
        async_in_flight=since("0.26.0"),
        null_block_reserved=since("0.29.0"),
        pp_checked_per_stage=since("0.17.0"),
        auto_max_model_len=since("0.14.0"),
        batch_tier_160=since("0.28.0"),
        performance_mode=since("0.17.0"),
        online_fp8_per_tensor=since("0.32.0"),
        bitsandbytes=not since("0.28.0"),
        refusal_wording="model's" if since("0.22.0") else "models's",
        default_utilization=0.92 if since("0.20.0") else 0.90,
        v0_engine=version_key(version) < version_key(V1_DEFAULT_SINCE),
        lean_v1_sampler=since("0.17.0") and not since("0.29.0"),
        larger_non_torch_tp=since("0.17.0"),
        larger_non_torch_tp1=since("0.18.0") and not since("0.27.0"),
        fi_allreduce_fusion=since("0.17.0"),
        fi_fusion_single_stage_only=since("0.17.0") and not since("0.21.0"),
        fi_standalone_allreduce=since("0.29.0"),
        fi_mnnvl_first=since("0.26.0"),
        fi_buffers_multicast_granular=since("0.17.0") and not since("0.27.0"),
    )
