"""The sections of a plan, shaped exactly like plan.json (DESIGN §7).

Plain frozen dataclasses, so that planning a profile imports no pydantic (~85 ms) and builds
no validators: the planner makes every value itself. One definition still gives both the
document `plan --json` prints (render/dataclass_json.py walks the annotations) and
`schemas/plan.schema.json` (render/plan_json.py hands these classes to pydantic, imported only
then). Field descriptions are dataclass field metadata (pydantic reads `description` from it).
GiB figures are kept exact in memory and rounded to 3 decimals only when serialized.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal


class _RoundedToThreeDecimals:
    """pydantic's hook for `Annotated` metadata, called only when render/plan_json.py builds
    its TypeAdapter: pydantic then writes a GiB figure with 3 decimals as render/dataclass_json.py
    does (the tests hold one to the other)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        schema = handler(source)
        schema["serialization"] = core_schema.plain_serializer_function_ser_schema(
            _round_gib, return_schema=core_schema.float_schema()
        )
        return schema


def _round_gib(value: float) -> float:
    return round(value, 3)


GiB = Annotated[float, _RoundedToThreeDecimals()]
"""A size in GiB (2^30 bytes), per GPU unless a field says otherwise."""

AttentionKind = Literal["full", "mla", "sliding", "chunked", "hybrid"]
OomRisk = Literal["low", "medium", "high"]


def _about(description: str) -> dict[str, str]:
    """Field metadata: the field's description in schemas/plan.schema.json."""
    return {"description": description}


class _Section:
    """What every section shares: no other keys in plan.json (the schema says so)."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass(frozen=True, slots=True, kw_only=True)
class MoE(_Section):
    """A mixture-of-experts model's routing."""

    experts: int = field(metadata=_about("Routed experts per MoE layer."))
    active: int = field(metadata=_about("Experts each token is routed to."))


@dataclass(frozen=True, slots=True, kw_only=True)
class Architecture(_Section):
    """The facts of the architecture the memory figures rest on."""

    model_type: str = field(metadata=_about("config.json `model_type` (the text model's)."))
    num_layers: int = field(metadata=_about("Decoder layers."))
    num_kv_heads: int = field(
        metadata=_about("KV heads in the config (before tensor parallelism).")
    )
    head_dim: int = field(metadata=_about("Values per head (MLA: the cached latent width)."))
    vocab_size: int
    attention: AttentionKind = field(metadata=_about("full, mla, sliding, chunked or hybrid."))
    sliding_window: int | None = field(metadata=_about("Tokens a sliding-window layer keeps."))
    moe: MoE | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFacts(_Section):
    """The checkpoint planned, and where its parameter count came from."""

    id: str
    revision: str | None
    params: int = field(metadata=_about("Parameters the weights figure is computed from."))
    params_source: str = field(
        metadata=_about("safetensors, model_card, base_model, estimate or params_b.")
    )
    architecture: Architecture


@dataclass(frozen=True, slots=True, kw_only=True)
class HardwareFacts(_Section):
    """The GPUs planned for, and where their memory figure came from."""

    gpu_name: str
    gpus: int = field(metadata=_about("GPUs per node."))
    nodes: int
    memory_gib_per_gpu: GiB = field(metadata=_about("Memory per GPU as CUDA reports it."))
    source: Literal["catalog", "nvml", "override"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Parallel(_Section):
    """How one copy of the model is split across GPUs."""

    tensor_parallel_size: int
    pipeline_parallel_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Memory(_Section):
    """One GPU's memory, as vLLM sizes it at start-up (the tightest GPU when they differ)."""

    total_gib: GiB
    budget_gib: GiB = field(metadata=_about("total × gpu_memory_utilization."))
    weights_gib: GiB
    activation_gib: GiB = field(metadata=_about("Peak of the profiling run (estimate)."))
    non_torch_gib: GiB = field(metadata=_about("CUDA context, cuBLAS and NCCL buffers (estimate)."))
    cuda_graph_gib: GiB = field(metadata=_about("CUDA-graph memory (estimate); 0 when eager."))
    cuda_graph_in_budget: bool = field(
        metadata=_about(
            "Whether the targeted vLLM subtracts the CUDA-graph estimate from the budget."
        )
    )
    kv_cache_gib: GiB = field(metadata=_about('vLLM\'s "Available KV cache memory".'))
    kv_bytes_per_token: int = field(metadata=_about("One token's KV footprint on one GPU."))
    block_size: int
    num_blocks: int
    kv_cache_tokens: int = field(metadata=_about('vLLM\'s "GPU KV cache size: N tokens".'))
    max_model_len: int
    max_concurrency: float = field(
        metadata=_about('vLLM\'s "Maximum concurrency for max_model_len tokens per request".')
    )
    kv_needed_gib: GiB = field(
        metadata=_about("KV the workload needs, with the fragmentation factor.")
    )
    headroom_gib: GiB = field(metadata=_about("kv_cache − kv_needed."))
    max_context_at_concurrency: int = field(
        metadata=_about("Longest request that still fits when `concurrency` requests run at once.")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Span(_Section):
    """A range of estimates, with the best estimate inside it."""

    low: float
    high: float
    point: float | None = field(
        default=None,
        metadata=_about("The best estimate, inside [low, high]; null for older plans."),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadPoint(_Section):
    """Point estimates at one concurrency: where latency breaks down as users are added."""

    concurrency: int = field(metadata=_about("Users, each sending its next request when one ends."))
    running: int = field(
        metadata=_about("Requests vLLM runs at once (max_num_seqs and the KV cache cap it).")
    )
    output_tokens_per_s: float = field(metadata=_about("Output tokens per second, all users."))
    tpot_ms: float = field(metadata=_about("Mean time per output token after the first."))
    ttft_ms: float = field(metadata=_about("Mean time to first token."))
    ttft_p90_ms: float = field(metadata=_about("90th-percentile time to first token."))


@dataclass(frozen=True, slots=True, kw_only=True)
class SloCheck(_Section):
    """The workload's latency targets (`workload.slo`) against the point estimates."""

    ttft_ms: float | None = field(metadata=_about("Target for the p90 time to first token."))
    tpot_ms: float | None = field(metadata=_about("Target for the mean time per output token."))
    met: bool = field(metadata=_about("Both targets met at the workload's concurrency."))
    max_concurrency: int | None = field(
        metadata=_about("Largest concurrency that meets both targets; null when even 1 misses.")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance(_Section):
    """Performance estimates for one replica at the workload's concurrency."""

    decode_tokens_per_s: Span | None = field(
        metadata=_about(
            "Output tokens per second across all concurrent requests (one replica), prefill"
            " time included, as `vllm bench serve` reports it."
        )
    )
    inter_token_latency_ms: Span | None = field(
        metadata=_about("One decode step of the running batch: the gap between two tokens.")
    )
    prefill_tokens_per_s: Span | None = field(
        metadata=_about("Prompt tokens per second, one prompt.")
    )
    ttft_ms: Span | None = field(
        metadata=_about(
            "Mean time to first token at the workload's concurrency, queueing included."
        )
    )
    tpot_ms: Span | None = field(
        default=None,
        metadata=_about("Mean time per output token after the first, prefill stalls included."),
    )
    ttft_p90_ms: Span | None = field(
        default=None,
        metadata=_about("90th-percentile time to first token at that concurrency."),
    )
    concurrency: int | None = field(default=None, metadata=_about("The concurrency these are for."))
    running: int | None = field(
        default=None,
        metadata=_about("Requests running at once at that concurrency; others queue."),
    )
    curve: list[LoadPoint] = field(
        default_factory=list, metadata=_about("Point estimates as concurrency grows.")
    )
    slo: SloCheck | None = field(default=None, metadata=_about("`workload.slo` checked."))
    for_setup: str | None = field(
        default=None,
        metadata=_about(
            "null when the figures are for the profile as written; when it does not start,"
            " the recommended setup (its quick fix's title) they are estimated for."
        ),
    )
    assumptions: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldEdit(_Section):
    """One profile field to set."""

    # `field` names a field here, so the function is spelled `dataclasses.field`
    field: str = dataclasses.field(metadata=_about("A profile field (dotted path)."))
    value: Any = dataclasses.field(metadata=_about("The value to set; null removes the field."))


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation(_Section):
    """A setup the planner re-planned and verified: every edit applied, it starts (or fits)."""

    # `field` names a field here, so the function is spelled `dataclasses.field`

    field: str = dataclasses.field(
        metadata=_about("The first profile field to change (dotted path).")
    )
    value: Any = dataclasses.field(metadata=_about("Its value."))
    reason: str
    effect: str = dataclasses.field(metadata=_about("What it buys, in figures."))
    title: str = dataclasses.field(
        metadata=_about("What to do and what it buys, as the quick fix reads.")
    )
    goal: Literal["start", "fit", "workload"] = dataclasses.field(
        metadata=_about(
            "What it was chosen for: to start, to fit the workload, or a smaller"
            " workload that fits."
        )
    )
    edits: list[FieldEdit] = dataclasses.field(
        metadata=_about("Every field to set, `field`/`value` first.")
    )
    starts: bool = dataclasses.field(metadata=_about("The profile with these edits starts."))
    fits: bool = dataclasses.field(
        metadata=_about("The profile with these edits fits the workload.")
    )
    gpu_name: str
    gpus: int = dataclasses.field(metadata=_about("GPUs of the deployment (per node × nodes)."))
    nodes: int
    tensor_parallel_size: int
    pipeline_parallel_size: int
    kv_cache_gib: GiB = dataclasses.field(metadata=_about("KV cache per GPU with these edits."))
    kv_cache_tokens: int = dataclasses.field(
        metadata=_about('vLLM\'s "GPU KV cache size" with these edits.')
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanWarning(_Section):
    """An error or a warning of the analysis behind the plan."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Derivation(_Section):
    """How one memory figure was derived."""

    figure: str
    value: str
    how: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Commands(_Section):
    """The commands that start vLLM with this plan."""

    serve: str
    docker_run: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDocument(_Section):
    """plan.json, version 1."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "extra": "forbid",
        "title": "vLLM Wizard plan",
    }

    plan_version: Literal[1] = 1
    tool_version: str
    vllm_version: str
    vllm_rules: str = field(
        metadata=_about("The vLLM release whose rules were applied (the nearest known one).")
    )
    model: ModelFacts
    hardware: HardwareFacts
    parallel: Parallel
    memory: Memory
    starts: bool = field(
        metadata=_about("vLLM starts: KV memory > 0 and one max-length request fits.")
    )
    fits: bool = field(metadata=_about("Starts, and the workload leaves at least headroom_gb."))
    oom_risk: OomRisk
    config: dict[str, Any] = field(
        metadata=_about("Engine arguments the serve command passes (vLLM's snake_case names).")
    )
    commands: Commands
    performance: Performance
    recommendations: list[Recommendation]
    warnings: list[PlanWarning] = field(
        metadata=_about(
            "Every error and warning of the analysis behind the plan, each once: the"
            " profile's text, the model and GPU look-ups (model-derived, gpu-ambiguous, ...)"
            " and the planner's."
        )
    )
    explain: list[Derivation] = field(metadata=_about("How each memory figure was derived."))
