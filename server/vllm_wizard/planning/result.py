"""The sections of a plan, shaped exactly like plan.json (DESIGN §7).

pydantic models so that one definition gives both the document `plan --json` prints and
`schemas/plan.schema.json`. GiB figures are kept exact in memory and rounded to 3 decimals
only when serialized.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

GiB = Annotated[float, PlainSerializer(lambda value: round(value, 3), return_type=float)]
"""A size in GiB (2^30 bytes), per GPU unless a field says otherwise."""

AttentionKind = Literal["full", "mla", "sliding", "chunked", "hybrid"]
OomRisk = Literal["low", "medium", "high"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MoE(_Section):
    experts: int = Field(description="Routed experts per MoE layer.")
    active: int = Field(description="Experts each token is routed to.")


class Architecture(_Section):
    model_type: str = Field(description="config.json `model_type` (the text model's).")
    num_layers: int = Field(description="Decoder layers.")
    num_kv_heads: int = Field(description="KV heads in the config (before tensor parallelism).")
    head_dim: int = Field(description="Values per head (MLA: the cached latent width).")
    vocab_size: int
    attention: AttentionKind = Field(description="full, mla, sliding, chunked or hybrid.")
    sliding_window: int | None = Field(description="Tokens a sliding-window layer keeps.")
    moe: MoE | None


class ModelFacts(_Section):
    id: str
    revision: str | None
    params: int = Field(description="Parameters the weights figure is computed from.")
    params_source: str = Field(
        description="safetensors, model_card, base_model, estimate or params_b."
    )
    architecture: Architecture


class HardwareFacts(_Section):
    gpu_name: str
    gpus: int = Field(description="GPUs per node.")
    nodes: int
    memory_gib_per_gpu: GiB = Field(description="Memory per GPU as CUDA reports it.")
    source: Literal["catalog", "nvml", "override"]


class Parallel(_Section):
    tensor_parallel_size: int
    pipeline_parallel_size: int


class Memory(_Section):
    """One GPU's memory, as vLLM sizes it at start-up (the tightest GPU when they differ)."""

    total_gib: GiB
    budget_gib: GiB = Field(description="total × gpu_memory_utilization.")
    weights_gib: GiB
    activation_gib: GiB = Field(description="Peak of the profiling run (estimate).")
    non_torch_gib: GiB = Field(description="CUDA context, cuBLAS and NCCL buffers (estimate).")
    cuda_graph_gib: GiB = Field(description="CUDA-graph memory (estimate); 0 when eager.")
    cuda_graph_in_budget: bool = Field(
        description="Whether the targeted vLLM subtracts the CUDA-graph estimate from the budget."
    )
    kv_cache_gib: GiB = Field(description='vLLM\'s "Available KV cache memory".')
    kv_bytes_per_token: int = Field(description="One token's KV footprint on one GPU.")
    block_size: int
    num_blocks: int
    kv_cache_tokens: int = Field(description='vLLM\'s "GPU KV cache size: N tokens".')
    max_model_len: int
    max_concurrency: float = Field(
        description='vLLM\'s "Maximum concurrency for max_model_len tokens per request".'
    )
    kv_needed_gib: GiB = Field(description="KV the workload needs, with the fragmentation factor.")
    headroom_gib: GiB = Field(description="kv_cache − kv_needed.")
    max_context_at_concurrency: int = Field(
        description="Longest request that still fits when `concurrency` requests run at once."
    )


class Span(_Section):
    low: float
    high: float
    point: float | None = Field(
        default=None, description="The best estimate, inside [low, high]; null for older plans."
    )


class LoadPoint(_Section):
    """Point estimates at one concurrency: where latency breaks down as users are added."""

    concurrency: int = Field(description="Users, each sending its next request when one ends.")
    running: int = Field(
        description="Requests vLLM runs at once (max_num_seqs and the KV cache cap it)."
    )
    output_tokens_per_s: float = Field(description="Output tokens per second, all users.")
    tpot_ms: float = Field(description="Mean time per output token after the first.")
    ttft_ms: float = Field(description="Mean time to first token.")
    ttft_p90_ms: float = Field(description="90th-percentile time to first token.")


class SloCheck(_Section):
    """The workload's latency targets (`workload.slo`) against the point estimates."""

    ttft_ms: float | None = Field(description="Target for the p90 time to first token.")
    tpot_ms: float | None = Field(description="Target for the mean time per output token.")
    met: bool = Field(description="Both targets met at the workload's concurrency.")
    max_concurrency: int | None = Field(
        description="Largest concurrency that meets both targets; null when even 1 misses."
    )


class Performance(_Section):
    decode_tokens_per_s: Span | None = Field(
        description=(
            "Output tokens per second across all concurrent requests (one replica), prefill"
            " time included, as `vllm bench serve` reports it."
        )
    )
    inter_token_latency_ms: Span | None = Field(
        description="One decode step of the running batch: the gap between two tokens."
    )
    prefill_tokens_per_s: Span | None = Field(description="Prompt tokens per second, one prompt.")
    ttft_ms: Span | None = Field(
        description="Mean time to first token at the workload's concurrency, queueing included."
    )
    tpot_ms: Span | None = Field(
        default=None,
        description="Mean time per output token after the first, prefill stalls included.",
    )
    ttft_p90_ms: Span | None = Field(
        default=None, description="90th-percentile time to first token at that concurrency."
    )
    concurrency: int | None = Field(default=None, description="The concurrency these are for.")
    running: int | None = Field(
        default=None, description="Requests running at once at that concurrency; others queue."
    )
    curve: list[LoadPoint] = Field(
        default_factory=list, description="Point estimates as concurrency grows."
    )
    slo: SloCheck | None = Field(default=None, description="`workload.slo` checked.")
    assumptions: list[str]


class FieldEdit(_Section):
    field: str = Field(description="A profile field (dotted path).")
    value: Any = Field(description="The value to set; null removes the field.")


class Recommendation(_Section):
    """A setup the planner re-planned and verified: every edit applied, it starts (or fits)."""

    field: str = Field(description="The first profile field to change (dotted path).")
    value: Any = Field(description="Its value.")
    reason: str
    effect: str = Field(description="What it buys, in figures.")
    title: str = Field(description="What to do and what it buys, as the quick fix reads.")
    goal: Literal["start", "fit", "workload"] = Field(
        description="What it was chosen for: to start, to fit the workload, or a smaller"
        " workload that fits."
    )
    edits: list[FieldEdit] = Field(description="Every field to set, `field`/`value` first.")
    starts: bool = Field(description="The profile with these edits starts.")
    fits: bool = Field(description="The profile with these edits fits the workload.")
    gpu_name: str
    gpus: int = Field(description="GPUs of the deployment (per node × nodes).")
    nodes: int
    tensor_parallel_size: int
    pipeline_parallel_size: int
    kv_cache_gib: GiB = Field(description="KV cache per GPU with these edits.")
    kv_cache_tokens: int = Field(description='vLLM\'s "GPU KV cache size" with these edits.')


class PlanWarning(_Section):
    code: str
    message: str


class Derivation(_Section):
    figure: str
    value: str
    how: str


class Commands(_Section):
    serve: str
    docker_run: str


class PlanDocument(_Section):
    """plan.json, version 1."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="vLLM Wizard plan")

    plan_version: Literal[1] = 1
    tool_version: str
    vllm_version: str
    vllm_rules: str = Field(
        description="The vLLM release whose rules were applied (the nearest known one)."
    )
    model: ModelFacts
    hardware: HardwareFacts
    parallel: Parallel
    memory: Memory
    starts: bool = Field(description="vLLM starts: KV memory > 0 and one max-length request fits.")
    fits: bool = Field(description="Starts, and the workload leaves at least headroom_gb.")
    oom_risk: OomRisk
    config: dict[str, Any] = Field(
        description="Engine arguments the serve command passes (vLLM's snake_case names)."
    )
    commands: Commands
    performance: Performance
    recommendations: list[Recommendation]
    warnings: list[PlanWarning] = Field(
        description="Every error and warning of the analysis behind the plan, each once: the"
        " profile's text, the model and GPU look-ups (model-derived, gpu-ambiguous, ...) and"
        " the planner's."
    )
    explain: list[Derivation] = Field(description="How each memory figure was derived.")
