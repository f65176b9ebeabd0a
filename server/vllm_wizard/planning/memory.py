"""The memory model (DESIGN §3): one GPU's budget and KV cache as vLLM sizes them at start-up.

Pure. `compute_memory(context, setup)` is called once per plan and once per candidate fix
(recommendations re-run it with one knob changed), so it stays in the tens of microseconds.

    budget      = ceil(total × gpu_memory_utilization)          (total × util before 0.14)
    kv_cache    = budget − weights − activation − non_torch [− cuda_graph where it is in the budget]
    num_blocks  = kv_cache // bytes per block id                (see kv.py)
    starts      = kv_cache − (one block from 0.29) ≥ what one max_model_len request needs

Estimates, with their evidence:

* activation: the profiling run's transient peak. vLLM ≤ 0.16 (V1 model runner): the sampler
  warm-up over fp32 logits and the sort-based top-k/top-p, ≈ 38.7 bytes × max_num_seqs × vocab
  (H100 logs of Qwen3-0.6B/32B, Llama-3.1-8B, gpt-oss-20b in llm-d's empirical table: within
  2.2 %). vLLM 0.17–0.28 (V1 runner, lean warm-up): (15 + model dtype bytes) × max_num_seqs ×
  vocab plus the hidden states, an upper envelope of twelve 0.19.0 H100 logs (Llama-3.1-8B in
  bf16 and fp32, Qwen2.5-7B, Gemma 2/3, Mistral-Small-3.1, Llama-3.3-70B at tp 2: 15.0–17.4 B
  per entry in bf16, the multimodal checkpoints highest; 18.1 in fp32) and of Qwen3-14B's
  2.23 GiB on 0.17.0. vLLM ≥ 0.29 (Model Runner V2):
  bf16 logits + an fp32 copy + FlashInfer's masked logits and probabilities, 14 bytes × rows
  × vocab (6 without FlashInfer, below compute capability 8.0), plus the hidden states; read
  from the 0.33.0 source, not yet from a log. Whichever is larger of that and the forward
  pass over max_num_batched_tokens.
* non_torch: CUDA context growth, NCCL and custom all-reduce buffers after vLLM's snapshot:
  0.13 GiB at tp 1, 0.55 with tensor parallelism (llm-d's H100 logs at tp 2: 0.54 and 0.55;
  an A100 tp-4 and an RTX A5000 tp-8 start-up imply less). From 0.17 with tensor
  parallelism: 0.60 GiB at tp 2 and 0.71 from tp 4, plus FlashInfer's all-reduce workspace
  on Hopper and Blackwell (allreduce.py: 1.5 GiB on 0.17–0.26, about 0.5 GiB after); the
  0.19.0 H100 logs show 2.07 and 2.10 GiB at tp 2, 2.21 at tp 4. Releases after 0.28 have no
  log: they keep these figures, the workspace's read from their source. At tp 1, 0.25 on
  0.18–0.26 (0.19.0 H100 logs: 0.24–0.26), which measure the CUDA-graph profiling inside the
  window (versions.py). From 0.29 the V2 sampler's persistent per-sequence state (an int32
  [max_num_seqs, vocab] count table and two bit masks, 4.25 bytes × max_num_seqs × vocab) is
  consumed memory as well.
* cuda_graph: graphs × layers per GPU × 0.27 MiB (0.36 with tp on one node, 0.55 across
  nodes), fitted to vLLM 0.10's "Graph capturing finished … took X GiB" lines (A100,
  Qwen2-7B at tp 1/2, gpt-oss-120b at tp 4). Subtracted from the budget since 0.20.
* startup reserve: memory in use before vLLM's snapshot (CUDA context, NCCL, cuBLAS, custom
  all-reduce buffers) is not in the budget but must be free: 0.61 GiB on an H100 at tp 1
  (79.18 − 78.57 GiB free at start-up), 1.55 with tensor parallelism (77.64 and 77.66 GiB
  free at tp 2 on 0.11 and 0.19, 77.64 at tp 4 on 0.19).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from vllm_wizard.models.arch import LayerKind, ModelArch
from vllm_wizard.planning.allreduce import flashinfer_workspace_bytes
from vllm_wizard.planning.kv import (
    KvLayout,
    build_layout,
    default_block_size,
    stage_layer_kinds,
)
from vllm_wizard.planning.versions import Rules
from vllm_wizard.planning.weights import DTYPE_BYTES, estimate_weights

GIB = float(2**30)
MIB = float(2**20)

SAMPLER_BYTES_V1_RUNNER = 38.7
SAMPLER_BYTES_V2_FLASHINFER = 14.0
SAMPLER_BYTES_V2_NATIVE = 6.0
PERSISTENT_SAMPLER_BYTES = 4.25
SAMPLER_BYTES_V1_LEAN_BASE = 15.0
NON_TORCH_TP1_GIB = 0.13
NON_TORCH_TP_GIB = 0.55
NON_TORCH_TP1_GIB_V018 = 0.25
NON_TORCH_TP2_GIB_V017 = 0.60
NON_TORCH_TP4_GIB_V017 = 0.71
GRAPH_MIB_PER_LAYER = {"single": 0.27, "tp": 0.36, "cross-node": 0.55}
STARTUP_RESERVE_GIB = 0.61
STARTUP_RESERVE_TP_GIB = 1.55

KV_DTYPE_BYTES = {"fp8": 1.0, "fp8_e4m3": 1.0, "fp8_e5m2": 1.0, "fp8_inc": 1.0}


@dataclass(frozen=True, slots=True)
class GpuInputs:
    """What the memory model needs to know about the GPU."""

    name: str
    memory_gib: float
    capability: tuple[int, int] | None
    is_a100: bool
    free_gib: float | None = None
    """Free memory NVML reported (gpu_name: auto), else None."""


@dataclass(frozen=True, slots=True)
class ModelInputs:
    """What the memory model needs of a model: its architecture and parameter counts."""

    arch: ModelArch
    params_total: int
    params_by_dtype: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class Setup:
    """Every knob the plan depends on; a recommendation changes one and re-runs."""

    tp: int
    pp: int
    nodes: int
    gpus_per_node: int
    dtype: str
    """Served dtype: float16, bfloat16 or float32."""
    quantization: str | None
    """The effective method (the checkpoint's, or one applied on the fly), or None."""
    kv_cache_dtype: str
    max_model_len: int | Literal["auto"]
    gpu_memory_utilization: float
    max_num_seqs: int
    max_num_batched_tokens: int
    block_size: int | None
    """A `--block-size` the user set, else None (the backend's default)."""
    enforce_eager: bool
    performance_mode: str
    kv_cache_memory_bytes: int | None = None
    cpu_offload_gb: float = 0.0
    overhead_gb: float | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    """What the workload asks of the KV cache, and the margins it must leave."""

    concurrency: int
    prompt_tokens: int
    gen_tokens: int
    fragmentation_factor: float
    headroom_gb: float


RefusalKind = Literal["no-kv-memory", "max-model-len", "startup-free-memory", "auto-fit"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why vLLM refuses to start, with the figures of its own message."""

    kind: RefusalKind
    needed_gib: float = 0.0
    available_gib: float = 0.0
    longest: int = 0
    """The longest max_model_len that would start (vLLM's own estimate)."""


@dataclass(frozen=True, slots=True)
class StageMemory:
    """One pipeline stage's GPU."""

    index: int
    weights: float
    activation: float
    non_torch: float
    cuda_graph: float
    kv_cache: float
    layout: KvLayout
    num_blocks: int
    allreduce_workspace: float = 0.0
    """FlashInfer's all-reduce workspace, part of `non_torch` (allreduce.py)."""


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """The tightest GPU's figures (bytes) and the verdict."""

    setup: Setup
    total: float
    budget: float
    stage: StageMemory
    stages: tuple[StageMemory, ...]
    cuda_graph_in_budget: bool
    max_model_len: int
    block_size: int
    num_blocks: int
    kv_tokens: int
    max_concurrency: float
    kv_needed: float
    headroom: float
    max_context_at_concurrency: int
    starts: bool
    fits: bool
    oom_risk: Literal["low", "medium", "high"]
    refusal: Refusal | None
    graphs: int
    weights_how: str
    quantized_fraction: float
    derivations: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def kv_gib(self) -> float:
        return self.stage.kv_cache / GIB

    @property
    def graph_spare(self) -> float:
        """What gpu_memory_utilization leaves free for CUDA graphs captured outside the budget:
        the rest of the GPU, less the CUDA context and communicators already there when vLLM
        takes its snapshot. Graphs larger than this make the OOM risk medium."""
        return graph_spare(self.total, self.budget, self.setup.tp)


def kv_dtype_bytes(kv_cache_dtype: str, model_dtype: str) -> float:
    """`auto` follows the model dtype; fp8 variants store one byte."""
    if kv_cache_dtype in KV_DTYPE_BYTES:
        return KV_DTYPE_BYTES[kv_cache_dtype]
    if kv_cache_dtype in ("float16", "bfloat16"):
        return 2.0
    return DTYPE_BYTES.get(model_dtype, 2.0)


def batch_defaults(gpu: GpuInputs, rules: Rules) -> tuple[int, int]:
    """(max_num_seqs, max_num_batched_tokens) of `EngineArgs.get_batch_defaults` for the API
    server: ≥ 160 GiB → 1024 / 16384 (0.28+); ≥ 70 GiB and not an A100 → 1024 / 8192; else
    256 / 2048. DGX Spark (GB10, compute capability 12.1) stays on the small tier."""
    memory = gpu.memory_gib
    if gpu.capability == (12, 1):
        return 256, 2048
    if rules.batch_tier_160 and memory >= 160:
        return 1024, 16384
    if memory >= 70 and not gpu.is_a100:
        return 1024, 8192
    return 256, 2048


def largest_capture_size(
    arch: ModelArch, capability: tuple[int, int] | None, setup: Setup, rules: Rules
) -> int:
    """The largest batch vLLM captures a CUDA graph for (0 with enforce_eager)."""
    if setup.enforce_eager:
        return 0
    if not rules.capture_stride_16:
        return 512
    default_max = 1024 if capability is not None and capability[0] == 10 else 512
    if arch.text_model_type == "gpt_oss":
        default_max = 1024
    return min(setup.max_num_seqs * 2, default_max, setup.max_num_batched_tokens)


def capture_sizes(arch: ModelArch, gpu: GpuInputs, setup: Setup, rules: Rules) -> tuple[int, int]:
    """(piecewise graphs, full graphs) vLLM captures (`VllmConfig._set_cudagraph_sizes`)."""
    if setup.enforce_eager:
        return 0, 0
    if not rules.capture_stride_16:
        return 3 + len(range(8, 513, 8)), 0
    largest = largest_capture_size(arch, gpu.capability, setup, rules)
    small = (
        list(range(1, min(largest, 32) + 1))
        if setup.performance_mode == "interactivity"
        else [s for s in (1, 2, 4) if s <= largest]
    )
    sizes = set(small)
    sizes.update(range(8, min(largest + 1, 256), 8))
    sizes.update(range(256, largest + 1, 16))
    if setup.max_num_batched_tokens <= largest:
        sizes.add(setup.max_num_batched_tokens)
    if setup.max_num_seqs <= largest:
        sizes.add(setup.max_num_seqs)
    full = (
        sum(1 for s in sizes if s <= setup.max_num_seqs) if rules.full_and_piecewise_graphs else 0
    )
    return len(sizes), full


def _activation(
    arch: ModelArch, gpu: GpuInputs, setup: Setup, rules: Rules, dtype_bytes: float, last: bool
) -> float:
    """Transient peak of the profiling run on one GPU, in bytes."""
    tokens = setup.max_num_batched_tokens
    rows = min(tokens, setup.max_num_seqs)
    vocab = arch.vocab_size
    width = arch.intermediate_size
    if arch.moe is not None:
        width = max(
            arch.moe.dense_intermediate_size,
            arch.moe.experts_per_token * arch.moe.moe_intermediate_size,
        )
    forward = tokens * (3 * width / setup.tp + 4 * arch.hidden_size) * dtype_bytes
    if not last:
        return forward
    per_entry = sampler_bytes_per_entry(rules, gpu.capability, dtype_bytes)
    sampler = per_entry * rows * vocab
    if rules.model_runner_v2 or rules.lean_v1_sampler:
        sampler += tokens * arch.hidden_size * dtype_bytes
    return max(forward, sampler)


def sampler_bytes_per_entry(
    rules: Rules, capability: tuple[int, int] | None, dtype_bytes: float
) -> float:
    """Bytes per (sequence × vocab entry) of the sampler warm-up in vLLM's profiling run."""
    if rules.model_runner_v2:
        flashinfer = capability is None or capability >= (8, 0)
        return SAMPLER_BYTES_V2_FLASHINFER if flashinfer else SAMPLER_BYTES_V2_NATIVE
    if rules.lean_v1_sampler:
        return SAMPLER_BYTES_V1_LEAN_BASE + dtype_bytes
    return SAMPLER_BYTES_V1_RUNNER


def non_torch_gib(rules: Rules, tp: int) -> float:
    """Non-torch memory per GPU after vLLM's snapshot, without FlashInfer's all-reduce
    workspace and V2's persistent sampler state."""
    if tp > 1:
        if not rules.larger_non_torch_tp:
            return NON_TORCH_TP_GIB
        return NON_TORCH_TP2_GIB_V017 if tp == 2 else NON_TORCH_TP4_GIB_V017
    return NON_TORCH_TP1_GIB_V018 if rules.larger_non_torch_tp1 else NON_TORCH_TP1_GIB


def startup_reserve_gib(tp: int) -> float:
    """Memory in use on each GPU before vLLM's snapshot (it must be free besides the budget)."""
    return STARTUP_RESERVE_TP_GIB if tp > 1 else STARTUP_RESERVE_GIB


def graph_spare(total: float, budget: float, tp: int) -> float:
    """Bytes outside the budget once the start-up reserve is taken (see MemoryResult)."""
    return total - budget - startup_reserve_gib(tp) * GIB


def _non_torch(
    arch: ModelArch, gpu: GpuInputs, setup: Setup, rules: Rules, dtype_bytes: float, last: bool
) -> tuple[float, float]:
    """(non-torch bytes, the FlashInfer all-reduce workspace among them)."""
    workspace = flashinfer_workspace_bytes(
        rules,
        gpu.capability,
        tp=setup.tp,
        pp=setup.pp,
        hidden_size=arch.hidden_size,
        dtype_bytes=dtype_bytes,
        max_num_batched_tokens=setup.max_num_batched_tokens,
    )
    persistent = 0.0
    if rules.model_runner_v2 and last:
        persistent = PERSISTENT_SAMPLER_BYTES * setup.max_num_seqs * arch.vocab_size
    return non_torch_gib(rules, setup.tp) * GIB + workspace + persistent, float(workspace)


def _cuda_graph(arch: ModelArch, setup: Setup, graphs: int, layers: int) -> float:
    if graphs == 0:
        return 0.0
    if setup.tp == 1:
        per_layer = GRAPH_MIB_PER_LAYER["single"]
    elif setup.tp > setup.gpus_per_node:
        per_layer = GRAPH_MIB_PER_LAYER["cross-node"]
    else:
        per_layer = GRAPH_MIB_PER_LAYER["tp"]
    return graphs * layers * per_layer * MIB


def compute_memory(
    model: ModelInputs, gpu: GpuInputs, setup: Setup, workload: Workload, rules: Rules
) -> MemoryResult:
    """The start-up memory of the tightest GPU for `setup`."""
    arch = model.arch
    dtype_bytes = DTYPE_BYTES.get(setup.dtype, 2.0)
    kv_bytes = kv_dtype_bytes(setup.kv_cache_dtype, setup.dtype)
    total = gpu.memory_gib * GIB
    raw_budget = total * setup.gpu_memory_utilization
    budget = float(math.ceil(raw_budget)) if rules.budget_ceil else raw_budget
    weights = estimate_weights(
        arch,
        params_total=model.params_total,
        params_by_dtype=model.params_by_dtype,
        dtype=setup.dtype,
        method=setup.quantization,
        tp=setup.tp,
        pp=setup.pp,
    )
    offload = setup.cpu_offload_gb * GIB
    block_size = setup.block_size or default_block_size(arch, gpu.capability, setup.kv_cache_dtype)
    piecewise, full = capture_sizes(arch, gpu, setup, rules)
    graphs = piecewise + full
    in_budget = rules.cuda_graph_in_budget

    limit = arch.derived_max_model_len
    requested_len = setup.max_model_len
    sized: list[tuple[int, float, float, float, float, float, KvLayout, float]] = []
    kinds_by_stage = stage_layer_kinds(arch, setup.pp)
    layouts: dict[tuple[LayerKind, ...], KvLayout] = {}  # stages of equal layers share one
    for index, kinds in enumerate(kinds_by_stage):
        last = index == setup.pp - 1
        layout = layouts.get(kinds) or build_layout(
            arch,
            kinds,
            tp=setup.tp,
            pp=setup.pp,
            kv_dtype_bytes=kv_bytes,
            model_dtype_bytes=dtype_bytes,
            block_size=block_size,
            block_size_forced=setup.block_size is not None,
            max_num_batched_tokens=setup.max_num_batched_tokens,
            rules=rules,
        )
        layouts[kinds] = layout
        stage_weights = max(0.0, weights.bytes_per_gpu - offload)
        workspace = 0.0
        if setup.overhead_gb is not None:
            activation, non_torch, graph = setup.overhead_gb * GIB, 0.0, 0.0
        else:
            activation = _activation(arch, gpu, setup, rules, dtype_bytes, last)
            non_torch, workspace = _non_torch(arch, gpu, setup, rules, dtype_bytes, last)
            graph = _cuda_graph(arch, setup, graphs, len(kinds))
        if setup.kv_cache_memory_bytes is not None:
            kv = float(setup.kv_cache_memory_bytes)
        else:
            kv = budget - stage_weights - activation - non_torch - (graph if in_budget else 0.0)
        sized.append((index, stage_weights, activation, non_torch, graph, kv, layout, workspace))

    null_block = rules.null_block_reserved
    num_blocks = min(layout.num_blocks(kv) for *_, kv, layout, _ in sized)
    stages = [
        StageMemory(index, weights_, act, non_torch, graph, kv, layout, num_blocks, workspace)
        for index, weights_, act, non_torch, graph, kv, layout, workspace in sized
    ]

    def check_memory(stage: StageMemory) -> float:
        return stage.kv_cache - (stage.layout.bytes_per_block if null_block else 0)

    refusal: Refusal | None = None
    if requested_len == "auto":
        longest = min(s.layout.longest_request(check_memory(s), limit) for s in stages)
        max_model_len = longest if longest > 0 else min(limit, arch.max_model_len)
        if longest == 0:
            refusal = Refusal("auto-fit")
    else:
        max_model_len = requested_len

    def concurrency(stage: StageMemory) -> float:
        return stage.layout.max_concurrency(num_blocks, max_model_len)

    # ties (stages of one layout share num_blocks): the stage with the least KV memory
    tight = min(stages, key=lambda stage: (concurrency(stage), stage.kv_cache))
    reserve = startup_reserve_gib(setup.tp) * GIB
    free = (gpu.free_gib * GIB) if gpu.free_gib is not None else total - reserve
    if setup.kv_cache_memory_bytes is None and budget > free:
        refusal = Refusal("startup-free-memory", needed_gib=budget / GIB, available_gib=free / GIB)
    if refusal is None:
        for stage in stages:
            available = check_memory(stage)
            if available <= 0 or (stage.layout.attention_free and stage.kv_cache <= 0):
                refusal = Refusal("no-kv-memory", available_gib=stage.kv_cache / GIB)
                tight = stage
                break
            if stage.layout.attention_free:
                continue
            needed = stage.layout.needed_bytes(max_model_len)
            if not rules.pp_checked_per_stage and setup.pp > 1:
                needed = sum(s.layout.needed_bytes(max_model_len) for s in stages)
            if needed > available:
                refusal = Refusal(
                    "max-model-len",
                    needed_gib=needed / GIB,
                    available_gib=available / GIB,
                    longest=stage.layout.longest_request(available, max_model_len),
                )
                tight = stage
                break
    starts = refusal is None

    layout = tight.layout
    kv_tokens = layout.kv_tokens(num_blocks, max_model_len, rules) if starts else 0
    max_conc = concurrency(tight) if starts else 0.0
    request_tokens = min(workload.prompt_tokens + workload.gen_tokens, max_model_len)
    kv_needed = (
        workload.concurrency * layout.request_bytes(request_tokens) * workload.fragmentation_factor
    )
    headroom = tight.kv_cache - kv_needed
    fits = starts and headroom >= workload.headroom_gb * GIB
    room = tight.kv_cache - workload.headroom_gb * GIB
    # a refused start holds no request at all (as its 0 blocks and 0 tokens say)
    max_context = _longest_at_concurrency(layout, workload, room, max_model_len) if starts else 0

    graph_outside = tight.cuda_graph if not in_budget else 0.0
    if not starts:
        risk: Literal["low", "medium", "high"] = "high"
    elif (
        not fits
        or headroom < 2 * workload.headroom_gb * GIB
        or graph_outside > graph_spare(total, budget, setup.tp)
    ):
        risk = "medium"
    else:
        risk = "low"

    return MemoryResult(
        setup=setup,
        total=total,
        budget=budget,
        stage=tight,
        stages=tuple(stages),
        cuda_graph_in_budget=in_budget,
        max_model_len=max_model_len,
        block_size=layout.block_size,
        num_blocks=num_blocks if starts else 0,
        kv_tokens=kv_tokens,
        max_concurrency=max_conc,
        kv_needed=kv_needed,
        headroom=headroom,
        max_context_at_concurrency=max_context,
        starts=starts,
        fits=fits,
        oom_risk=risk,
        refusal=refusal,
        graphs=graphs,
        weights_how=weights.how,
        quantized_fraction=weights.quantized_fraction,
    )


def _longest_at_concurrency(
    layout: KvLayout, workload: Workload, room: float, max_model_len: int
) -> int:
    """The longest request such that `concurrency` of them fit in `room` bytes."""

    def need(tokens: int) -> float:
        return workload.concurrency * layout.request_bytes(tokens) * workload.fragmentation_factor

    if room <= 0 or need(1) > room:
        return 0
    low, high = 1, max_model_len
    while low < high:
        middle = (low + high + 1) // 2
        if need(middle) <= room:
            low = middle
        else:
            high = middle - 1
    return low
