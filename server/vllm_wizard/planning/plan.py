"""`plan_profile`: a validated profile + the resolved model and GPU → the one Plan object.

Pure: no I/O, no clock. The CLI, the language server and `plan.json` all read this object;
hover, code lens and code actions never re-plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from vllm_wizard.findings import Finding, Findings, Fix, fixes_data
from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.models.arch import ModelArch
from vllm_wizard.models.resolve import ResolvedModel
from vllm_wizard.planning.dtypes import served_dtype
from vllm_wizard.planning.memory import (
    GIB,
    GpuInputs,
    MemoryResult,
    ModelInputs,
    Setup,
    Workload,
    batch_defaults,
    compute_memory,
    largest_capture_size,
)
from vllm_wizard.planning.perf import PerfInputs, estimate_performance, unknown_performance
from vllm_wizard.planning.perf.slo import slo_findings
from vllm_wizard.planning.result import Performance, Recommendation
from vllm_wizard.planning.search import PlanOptions
from vllm_wizard.planning.semantic import (
    GPU_FIELD,
    GPUS_FIELD,
    LEN_FIELD,
    PP_FIELD,
    TP_FIELD,
    check_kv_cache_dtype,
    check_max_model_len,
    check_parallel,
    check_quantization,
    valid_tp,
)
from vllm_wizard.planning.versions import LAST_BITSANDBYTES_RELEASE, Rules, rules_for
from vllm_wizard.planning.weights import parameter_counts
from vllm_wizard.profile.diagnostics import Code, Severity
from vllm_wizard.profile.schema import HardwareSection, Profile
from vllm_wizard.vllm.args import CheckedArgs, check_vllm_args
from vllm_wizard.vllm.flags import flag_table

PERFORMANCE_MODES = {"throughput": "throughput", "latency": "interactivity", "balanced": "balanced"}
"""workload.mode → vLLM's `--performance-mode` (0.17+)."""

V0_CHUNKED_PREFILL_FROM = 32768
"""V0 switched chunked prefill on only for a max_model_len above this."""

FP8_COMPUTE = frozenset({"fp8", "fp8_per_tensor", "fp8_per_block", "fp8_per_channel", "modelopt"})


class _Verdict:
    """`starts` and `fits` of a plan: the memory allows it and no rule vLLM checks before
    sizing memory is broken (an error finding)."""

    __slots__ = ()
    memory: MemoryResult
    findings: tuple[Finding, ...]

    @property
    def starts(self) -> bool:
        return self.memory.starts and not any(f.is_error for f in self.findings)

    @property
    def fits(self) -> bool:
        return self.starts and self.memory.fits


@dataclass(frozen=True, slots=True)
class Plan(_Verdict):
    """Everything the planner found for one profile."""

    profile: Profile
    model: ResolvedModel
    gpu: ResolvedGpu
    rules: Rules
    setup: Setup
    memory: MemoryResult
    config: dict[str, Any]
    performance: Performance
    recommendations: tuple[Recommendation, ...]
    findings: tuple[Finding, ...]
    checked_args: CheckedArgs
    tp_chosen: bool
    """True when the profile left tp_size to the planner."""
    longest_max_model_len: int = 0
    """The longest max_model_len that starts on this setup when the profile's does not (else 0);
    the finding, the quick fix, the report and the hover all show this one number."""

    @property
    def arch(self) -> ModelArch:
        return self.model.arch

    @property
    def performance_for(self) -> str | None:
        """When the profile does not start: the recommended setup `performance` is for."""
        return self.performance.for_setup

    @property
    def oom_risk(self) -> Literal["low", "medium", "high"]:
        return self.memory.oom_risk if self.starts else "high"


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What stays fixed while recommendations vary the setup."""

    model: ModelInputs
    gpu: GpuInputs
    workload: Workload
    rules: Rules


@dataclass(frozen=True, slots=True)
class PlanCore(_Verdict):
    """A profile planned up to its memory verdict: no recommendations, no performance.

    The recommendation search re-plans every setup it suggests through `plan_core` on the
    edited profile, so the figures a quick fix states are those the fixed profile gets.
    """

    profile: Profile
    model: ResolvedModel
    gpu: ResolvedGpu
    rules: Rules
    args: CheckedArgs
    context: PlanContext
    setup: Setup
    memory: MemoryResult
    findings: tuple[Finding, ...]
    tp_chosen: bool


def _gpu_inputs(gpu: ResolvedGpu) -> GpuInputs:
    spec = gpu.spec
    names = (spec.name, *spec.nvml_names) if spec is not None else (gpu.name,)
    free = gpu.detected.memory_free_bytes / GIB if gpu.detected is not None else None
    return GpuInputs(
        name=gpu.name,
        memory_gib=gpu.memory_gib,
        capability=gpu.compute_capability,
        is_a100=any("a100" in n.lower() for n in names),
        free_gib=free,
    )


def online_fp8(rules: Rules) -> str:
    """The targeted release's name for fp8 weights quantized at load time."""
    return "fp8_per_tensor" if rules.online_fp8_per_tensor else "fp8"


def _effective_quantization(profile: Profile, arch: ModelArch, rules: Rules) -> str | None:
    requested = profile.model.quantization
    declared = arch.quantization.method if arch.quantization is not None else None
    if requested == "none":
        return declared
    if declared is None and requested == "fp8":
        return online_fp8(rules)
    return requested


def batch_for(
    profile: Profile, gpu: GpuInputs, rules: Rules, args: CheckedArgs, max_model_len: int
) -> tuple[int, int, str]:
    """(max_num_seqs, max_num_batched_tokens, performance_mode) as vLLM will settle them."""
    seqs, tokens = batch_defaults(gpu, rules)
    mode = PERFORMANCE_MODES[profile.workload.mode]
    user_mode = args.values.get("performance_mode")
    if isinstance(user_mode, str):
        mode = user_mode
    user_seqs = args.values.get("max_num_seqs")
    user_tokens = args.values.get("max_num_batched_tokens")
    if mode == "throughput":
        seqs, tokens = seqs * 2, tokens * 2
    if isinstance(user_tokens, int):
        tokens = user_tokens
    elif rules.v0_engine and max_model_len <= V0_CHUNKED_PREFILL_FROM:
        tokens = max(max_model_len, tokens)  # V0: no chunked prefill up to 32k tokens
    else:
        tokens = min(seqs * max_model_len, tokens)
    seqs = user_seqs if isinstance(user_seqs, int) else min(seqs, tokens)
    return seqs, tokens, mode


def default_pp(gpus: int, nodes: int, tp: int | None) -> int:
    """`hardware.pp_size` when the profile leaves it out: one stage per node, unless tp
    already spans nodes; then the stages that fill the GPUs (tp × pp = GPUs used, as vLLM's
    world size is tp × pp)."""
    if tp is None or tp <= gpus:
        return nodes
    return max(1, gpus * nodes // tp)


def _choose_tp(context: PlanContext, base: Setup, limit: int) -> tuple[Setup, MemoryResult | None]:
    """The smallest valid tp that fits; else the smallest that starts; else the largest
    (with its memory when it was computed on the way)."""
    arch = context.model.arch
    candidates = [t for t in range(1, limit + 1) if valid_tp(arch, t)]
    if not candidates:
        return base, None
    starting: tuple[Setup, MemoryResult] | None = None
    last: MemoryResult | None = None
    for tp in candidates:
        setup = replace(base, tp=tp)
        last = compute_memory(context.model, context.gpu, setup, context.workload, context.rules)
        if last.fits:
            return setup, last
        if last.starts and starting is None:
            starting = (setup, last)
    return starting or (replace(base, tp=candidates[-1]), last)


def plan_core(profile: Profile, model: ResolvedModel, gpu: ResolvedGpu) -> PlanCore:
    """The setup vLLM would run for `profile`, its memory and the rules it breaks."""
    findings = Findings()
    rules = rules_for(profile.target_vllm_version)
    if not rules.exact:
        newer = " (newer than any this wizard knows)" if rules.newer_than_known else ""
        findings.info(
            Code.VLLM_VERSION,
            f"vLLM {rules.requested}{newer} is planned with the memory rules of vLLM"
            f" {rules.release}, the nearest release this wizard has read.",
            ("vllm_version",),
        )
    table = flag_table(rules.requested)
    args = check_vllm_args(profile.outputs.vllm_args, table)
    _arg_findings(args, profile, findings)

    arch = model.arch
    hw = profile.hardware
    dtype = served_dtype(
        profile.model.dtype,
        arch.torch_dtype,
        arch.text_model_type,
        gpu.compute_capability,
        gpu.name,
    )
    if dtype.error is not None:
        fix_to = "float16" if profile.model.dtype == "bfloat16" else "bfloat16"
        findings.error(
            Code.DTYPE_UNSUPPORTED,
            dtype.error,
            ("model", "dtype"),
            related=((GPU_FIELD, gpu.name),),
            data=fixes_data([Fix.set(f"Set dtype: {fix_to}", ("model", "dtype"), fix_to, True)]),
        )
    method = _effective_quantization(profile, arch, rules)
    removed = {} if rules.bitsandbytes else {"bitsandbytes": LAST_BITSANDBYTES_RELEASE}
    check_quantization(
        profile, arch, gpu, method, findings, online_fp8=online_fp8(rules), removed=removed
    )
    check_kv_cache_dtype(profile, dtype.dtype, gpu, findings)
    check_max_model_len(profile, arch, findings)

    requested_len = profile.model.max_model_len
    if requested_len == "auto" and not rules.auto_max_model_len:
        findings.error(
            Code.MAX_MODEL_LEN,
            f"vLLM {rules.requested} cannot fit max_model_len to memory (`-1`/`auto` arrived in"
            " 0.14): give a number.",
            LEN_FIELD,
        )
        requested_len = None
    max_model_len: int | Literal["auto"] = (
        requested_len if requested_len is not None else arch.max_model_len
    )
    gpu_inputs = _gpu_inputs(gpu)
    length_for_batch = arch.max_model_len if max_model_len == "auto" else max_model_len
    seqs, tokens, mode = batch_for(profile, gpu_inputs, rules, args, length_for_batch)

    pp = hw.pp_size or default_pp(hw.gpus, hw.nodes, hw.tp_size)
    offload = args.values.get("cpu_offload_gb")
    kv_bytes = args.values.get("kv_cache_memory_bytes")
    block = args.values.get("block_size")
    base = Setup(
        tp=hw.tp_size or 1,
        pp=pp,
        nodes=hw.nodes,
        gpus_per_node=hw.gpus,
        dtype=dtype.dtype,
        quantization=method,
        kv_cache_dtype=profile.model.kv_cache_dtype,
        max_model_len=max_model_len,
        gpu_memory_utilization=profile.policy.gpu_memory_utilization,
        max_num_seqs=seqs,
        max_num_batched_tokens=tokens,
        block_size=block if isinstance(block, int) else None,
        enforce_eager=args.values.get("enforce_eager") is True,
        performance_mode=mode,
        kv_cache_memory_bytes=kv_bytes if isinstance(kv_bytes, int) else None,
        cpu_offload_gb=float(offload) if isinstance(offload, int | float) else 0.0,
        overhead_gb=profile.policy.overhead_gb,
    )
    workload = Workload(
        concurrency=profile.workload.concurrency,
        prompt_tokens=profile.workload.prompt_tokens,
        gen_tokens=profile.workload.gen_tokens,
        fragmentation_factor=profile.policy.fragmentation_factor,
        headroom_gb=profile.policy.headroom_gb,
    )
    context = PlanContext(
        ModelInputs(
            arch, model.params_total, dict(model.params_by_dtype) if model.params_by_dtype else None
        ),
        gpu_inputs,
        workload,
        rules,
    )
    tp_chosen = hw.tp_size is None
    setup, memory = (
        _choose_tp(context, base, max(1, hw.gpus * hw.nodes // pp)) if tp_chosen else (base, None)
    )
    check_parallel(profile, arch, setup.tp, setup.pp, findings)
    if memory is None:
        memory = compute_memory(context.model, context.gpu, setup, context.workload, rules)
    return PlanCore(
        profile=profile,
        model=model,
        gpu=gpu,
        rules=rules,
        args=args,
        context=context,
        setup=setup,
        memory=memory,
        findings=tuple(findings.items),
        tp_chosen=tp_chosen,
    )


def plan_profile(
    profile: Profile,
    model: ResolvedModel,
    gpu: ResolvedGpu,
    options: PlanOptions | None = None,
) -> Plan:
    """Plan `profile` for the resolved model and GPU.

    `options` hands in what the recommendation search may try besides the profile's own model
    and GPU (quantized copies of the model, other catalog GPUs); the caller builds it at the
    edge (`models/variants.py`, `hardware/candidates.py`), as planning reads no catalog.
    """
    from vllm_wizard.planning.recommend import feasibility_findings, recommend

    core = plan_core(profile, model, gpu)
    advice = recommend(core, options or PlanOptions(), plan_core)
    findings = Findings(list(core.findings))
    feasibility_findings(core, advice, findings)
    setup, memory = core.setup, core.memory
    if core.starts:
        inputs = performance_inputs(profile, model, gpu, setup, memory, core.rules)
        performance = _performance(inputs, gpu.name)
        slo_findings(profile, performance, findings)
    elif advice.best is not None:
        best = advice.best.core
        inputs = performance_inputs(
            best.profile, best.model, best.gpu, best.setup, best.memory, best.rules
        )
        performance = _performance(inputs, best.gpu.name)
        performance = replace(
            performance,
            for_setup=advice.best_action,
            assumptions=[
                f"For the recommended setup ({advice.best_action}), not the profile as"
                " written, which does not start.",
                *performance.assumptions,
            ],
        )
    else:
        performance = unknown_performance(
            "no performance estimate: the profile does not start and no setup the planner"
            " tried does"
        )
    return Plan(
        profile=profile,
        model=model,
        gpu=gpu,
        rules=core.rules,
        setup=setup,
        memory=memory,
        config=engine_config(profile, model, setup, core.args, core.rules),
        performance=performance,
        recommendations=advice.recommendations,
        findings=tuple(findings.items),
        checked_args=core.args,
        tp_chosen=core.tp_chosen,
        longest_max_model_len=advice.longest_max_model_len,
    )


def _gpus_for_moved_layout(
    hw: HardwareSection, field: tuple[str, ...], value: Any
) -> dict[str, Any] | None:
    """The GPUs per node a tp or pp moved from vllm_args to `field` needs, and why, when the
    profile has fewer (the move alone would trade one error for a world-size one)."""
    if field not in (TP_FIELD, PP_FIELD) or type(value) is not int or value < 1:
        return None
    if field == TP_FIELD:
        tp = value
        pp = hw.pp_size or default_pp(hw.gpus, hw.nodes, tp)
    else:
        tp, pp = hw.tp_size or 1, value
    needed = -(-tp * pp // hw.nodes)
    if needed <= hw.gpus:
        return None
    where = f" per node on {hw.nodes} nodes" if hw.nodes > 1 else ""
    return {
        "also": [{"path": list(GPUS_FIELD), "value": needed}],
        "why": f"tp {tp} × pp {pp} needs {tp * pp} GPUs" + (f", {needed}{where}" if where else ""),
    }


def _arg_findings(args: CheckedArgs, profile: Profile, findings: Findings) -> None:
    codes = {
        "unknown": (Code.VLLM_ARG_UNKNOWN, Severity.ERROR),
        "duplicate": (Code.VLLM_ARG_DUPLICATE, Severity.ERROR),
        "invalid": (Code.VLLM_ARG_INVALID, Severity.ERROR),
        "not-modelled": (Code.VLLM_ARG_NOT_MODELLED, Severity.WARNING),
    }
    for problem in args.problems:
        code, severity = codes[problem.kind]
        path = ("outputs", "vllm_args", problem.key)
        data: dict[str, Any] | None = None
        if problem.kind == "unknown" and problem.replacement:
            data = {"key": problem.key, "replacement": problem.replacement}
        elif problem.kind == "duplicate" and problem.profile_field is not None:
            data = {"key": problem.key, "move_to": list(problem.profile_field)}
            value = profile.outputs.vllm_args.get(problem.key)
            data |= _gpus_for_moved_layout(profile.hardware, problem.profile_field, value) or {}
        findings.add(
            code,
            severity,
            problem.message,
            path,
            data=data,
            point_at="key" if problem.point_at_key else "value",
        )


def engine_config(
    profile: Profile, model: ResolvedModel, setup: Setup, args: CheckedArgs, rules: Rules
) -> dict[str, Any]:
    """The engine arguments the serve command passes, vLLM's snake_case names and spellings."""
    config: dict[str, Any] = {"model": profile.model.id}
    if profile.model.revision:
        config["revision"] = profile.model.revision
    if profile.model.dtype != "auto":
        config["dtype"] = profile.model.dtype
    declared = model.arch.quantization.method if model.arch.quantization else None
    if profile.model.quantization != "none" and profile.model.quantization != declared:
        config["quantization"] = setup.quantization
    if profile.model.kv_cache_dtype != "auto":
        config["kv_cache_dtype"] = profile.model.kv_cache_dtype
    if profile.model.max_model_len == "auto":
        config["max_model_len"] = -1
    elif isinstance(profile.model.max_model_len, int):
        config["max_model_len"] = profile.model.max_model_len
    config["tensor_parallel_size"] = setup.tp
    if setup.pp > 1:
        config["pipeline_parallel_size"] = setup.pp
    if profile.hardware.nodes > 1:
        config["distributed_executor_backend"] = "ray"
    config["gpu_memory_utilization"] = setup.gpu_memory_utilization
    if profile.model.trust_remote_code:
        config["trust_remote_code"] = True
    if setup.performance_mode != "balanced" and "performance_mode" not in args.values:
        if rules.performance_mode:
            config["performance_mode"] = setup.performance_mode
        elif setup.performance_mode == "throughput":
            config["max_num_seqs"] = setup.max_num_seqs
            config["max_num_batched_tokens"] = setup.max_num_batched_tokens
    for dest, value in args.values.items():
        config[dest] = value
    return config


def _performance(inputs: PerfInputs | None, gpu_name: str) -> Performance:
    if inputs is None:
        return unknown_performance(
            f"no performance estimate: {gpu_name} is not in the GPU catalog (bandwidth and"
            " FLOP/s unknown)"
        )
    return estimate_performance(inputs)


def performance_inputs(
    profile: Profile,
    model: ResolvedModel,
    gpu: ResolvedGpu,
    setup: Setup,
    memory: MemoryResult,
    rules: Rules,
) -> PerfInputs | None:
    """What the performance model needs from a plan; None for a GPU outside the catalog."""
    spec = gpu.spec
    if spec is None:
        return None
    arch = model.arch
    active = model.params_active or parameter_counts(arch).active
    total = max(1, model.params_total)
    moe = arch.moe
    fp8 = (setup.quantization in FP8_COMPUTE) and spec.fp8 and spec.fp8_tflops is not None
    peak = spec.fp8_tflops if fp8 and spec.fp8_tflops is not None else spec.bf16_tflops
    workload, slo = profile.workload, profile.workload.slo
    return PerfInputs(
        bandwidth_gb_s=spec.bandwidth_gb_s,
        peak_tflops=peak,
        weights_bytes=memory.stage.weights,
        active_fraction=min(1.0, active / total) if moe is not None else 1.0,
        experts_per_token=moe.experts_per_token if moe is not None else 0,
        num_experts=moe.num_experts if moe is not None else 0,
        kv_bytes_per_token=memory.stage.layout.bytes_per_token,
        active_params=float(active),
        num_layers=arch.num_layers,
        hidden_size=arch.hidden_size,
        attention_width=arch.num_attention_heads * arch.head_dim,
        tp=setup.tp,
        pp=setup.pp,
        nodes=profile.hardware.nodes,
        interconnect=profile.hardware.interconnect,
        concurrency=workload.concurrency,
        prompt_tokens=min(workload.prompt_tokens, memory.max_model_len),
        gen_tokens=workload.gen_tokens,
        embedding_params=float(arch.vocab_size * arch.hidden_size),
        tied_embeddings=arch.tie_word_embeddings,
        moe_layers=moe.num_moe_layers if moe is not None else 0,
        catalog_link=spec.interconnect,
        max_num_seqs=setup.max_num_seqs,
        max_num_batched_tokens=setup.max_num_batched_tokens,
        kv_tokens=memory.kv_tokens,
        enforce_eager=setup.enforce_eager,
        cudagraph_max_batch=largest_capture_size(arch, gpu.compute_capability, setup, rules),
        slo_ttft_ms=slo.ttft_ms if slo is not None else None,
        slo_tpot_ms=slo.tpot_ms if slo is not None else None,
    )


__all__ = [
    "Plan",
    "PlanContext",
    "PlanCore",
    "batch_for",
    "default_pp",
    "engine_config",
    "performance_inputs",
    "plan_core",
    "plan_profile",
]
