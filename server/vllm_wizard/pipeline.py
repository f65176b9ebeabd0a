"""The whole pipeline for one profile text: syntax → schema → semantic → feasibility.

`vllm-wizard check`, `plan` and the language server all call `analyze`. The first two stages
work on the text alone (`profile.text_stages`); the last two need the model's architecture and the
GPU, which come from resolvers the caller passes in (so the CLI may ask the Hub while the
language server answers from what is local and fetches in the background). An error stops
only the stages that depend on it: an unknown key never hides the VRAM verdict.

Findings from the planner name profile fields; here they become ranges in the text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import FieldPath, Finding, Findings, Fix, fixes_data
from vllm_wizard.profile.diagnostics import (
    Code,
    Diagnostic,
    Listing,
    RelatedInformation,
    Severity,
    sort_key,
)
from vllm_wizard.profile.document import Node, Pair, ParsedDocument, lookup
from vllm_wizard.profile.positions import Range
from vllm_wizard.profile.text_stages import analyze_text
from vllm_wizard.profile.validate import key_or_value_range

if TYPE_CHECKING:
    from vllm_wizard.hardware.nvml import Detection
    from vllm_wizard.hardware.resolve import ResolvedGpu
    from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel
    from vllm_wizard.planning.plan import Plan
    from vllm_wizard.planning.search import PlanOptions
    from vllm_wizard.profile.schema import Profile


@dataclass(frozen=True, slots=True)
class ModelPending:
    """The model is being looked up in the background (language server only)."""

    model_id: str
    message: str


ModelResolver = Callable[[str, "str | None", "Path | None", "float | None"], Any]
"""(model id, revision, base folder, params_b) → ResolvedModel | ModelUnresolved | ModelPending."""


@dataclass(frozen=True, slots=True)
class EngineContext:
    """How the semantic stages reach the outside world."""

    resolve_model: ModelResolver | None = None
    detect: Callable[[], Detection] | None = None
    base_dir: Path | None = None
    """The profile's folder (relative model paths and `outputs.dir` are read from it)."""


@dataclass(slots=True)
class Analysis:
    """Everything known about one version of a profile's text."""

    document: ParsedDocument
    profile: Profile | None
    diagnostics: list[Diagnostic]
    model: Any = None
    """ResolvedModel | ModelUnresolved | ModelPending | None (not reached)."""
    gpu: Any = None
    """ResolvedGpu | GpuUnresolved | None."""
    plan: Plan | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.document.text

    @property
    def pending(self) -> bool:
        return isinstance(self.model, ModelPending)


class PlanCache:
    """Plans by their inputs: an edit that changes no planning input does not re-plan."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._plans: OrderedDict[tuple[object, ...], Plan] = OrderedDict()

    def get_or_plan(self, profile: Profile, model: ResolvedModel, gpu: ResolvedGpu) -> Plan:
        from vllm_wizard.planning.plan import plan_profile

        options = plan_options(model, gpu)
        key = (
            repr(profile),  # every field, in order: the profile is plain dataclasses
            model.model_id,
            model.revision,
            model.source,
            model.source_detail,
            model.params_total,
            model.derived,
            gpu.name,
            gpu.memory_gib,
            gpu.source,
            gpu.detected,
            options.key,
        )
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
            return found
        plan = plan_profile(profile, model, gpu, options)
        self._plans[key] = plan
        if len(self._plans) > self._size:
            self._plans.popitem(last=False)
        return plan


def plan_options(model: ResolvedModel, gpu: ResolvedGpu) -> PlanOptions:
    """What the planner's recommendation search may try besides this model and GPU: quantized
    copies of the model (catalog, local HF cache), the catalog's other GPUs, and for a
    quantized checkpoint the unquantized model it was made from."""
    from vllm_wizard.hardware.candidates import gpu_options_for, gpus_per_node
    from vllm_wizard.models.variants import quantized_variants, unquantized_of
    from vllm_wizard.planning.search import PlanOptions

    return PlanOptions(
        quantized_variants(model),
        gpu_options_for(gpu),
        gpus_per_node(gpu.spec),
        unquantized_of(model),
    )


_DEFAULT_CACHE = PlanCache()


def analyze(
    text: str,
    context: EngineContext | None = None,
    *,
    profile_override: Callable[[Profile], Profile] | None = None,
    cache: PlanCache | None = None,
    flags: Mapping[FieldPath, str] | None = None,
) -> Analysis:
    """Every stage on `text`; never raises. Without a context, only syntax and schema run.

    `flags` names the fields `profile_override` set from command-line flags (field → `--flag`):
    a finding about one of them names the flag instead of pointing at the profile's line.
    """
    base = analyze_text(text)
    analysis = Analysis(base.document, base.profile, list(base.diagnostics))
    if base.profile is None and profile_override is not None and flags:
        analysis.profile, analysis.diagnostics = _without_flagged_values(
            base.document.root, analysis.diagnostics, flags
        )
    if context is None or analysis.profile is None:
        return analysis
    profile = profile_override(analysis.profile) if profile_override else analysis.profile
    findings = Findings()
    if flags:
        _lint_flagged_values(analysis, profile, flags, findings)
    analysis.profile = profile
    _resolve(analysis, profile, context, findings)
    from vllm_wizard.hardware.resolve import ResolvedGpu
    from vllm_wizard.models.resolve import ResolvedModel

    if isinstance(analysis.model, ResolvedModel) and isinstance(analysis.gpu, ResolvedGpu):
        plan = (cache or _DEFAULT_CACHE).get_or_plan(profile, analysis.model, analysis.gpu)
        analysis.plan = plan
        findings.items.extend(plan.findings)
    analysis.findings = findings.items
    root = analysis.document.root
    listed = Listing()
    for finding in findings.items:
        listed.add(to_diagnostic(root, finding, flags))
    analysis.diagnostics.extend(listed.result({}))
    analysis.diagnostics.sort(key=sort_key)
    return analysis


def _without_flagged_values(
    root: Node | None, diagnostics: list[Diagnostic], flags: Mapping[FieldPath, str]
) -> tuple[Profile | None, list[Diagnostic]]:
    """Flags win over the profile: a value a flag replaces cannot make it unusable. Its errors
    go, and when no other error is left, the profile is read without those values (the flags
    then set them)."""
    from vllm_wizard.profile.validate import validate_tree

    spans = [
        Range(key.range.start, value.range.end)
        for path in flags
        if root is not None and _matches(root, path)
        for key, value in [lookup(root, path)]
        if key is not None and value is not None
    ]
    if not spans:
        return None, diagnostics
    kept = [
        d for d in diagnostics if not (d.is_error and any(s.contains(d.range.start) for s in spans))
    ]
    if root is None or any(d.is_error for d in kept):
        return None, kept
    result = validate_tree(_drop_fields(root, set(flags)))
    return result.profile, kept + [d for d in result.diagnostics if d not in kept]


def _lint_flagged_values(
    analysis: Analysis, profile: Profile, flags: Mapping[FieldPath, str], findings: Findings
) -> None:
    """The profile's lints (a risky gpu_memory_utilization, remote code) for the values flags
    set, as for the profile's own; a value a flag replaced loses its warning."""
    from vllm_wizard.profile.validate import profile_lints

    root = analysis.document.root
    if analysis.profile is not None and root is not None:
        replaced = {
            (lint.code, key_or_value_range(*lookup(root, lint.path)))
            for lint in profile_lints(analysis.profile)
            if lint.path in flags
        }
        analysis.diagnostics = [
            d for d in analysis.diagnostics if (d.code, d.range) not in replaced
        ]
    for lint in profile_lints(profile):
        if lint.path in flags:
            findings.warning(lint.code, lint.message, lint.path)


def _drop_fields(node: Node, paths: set[FieldPath]) -> Node:
    """A copy of a mapping node without the pairs at `paths` (relative to it)."""
    mapping = node.resolved
    if mapping.kind != "mapping":
        return node
    pairs = []
    for pair in mapping.pairs:
        below = {p[1:] for p in paths if p and p[0] == pair.key.value}
        if () in below:
            continue
        pairs.append(Pair(pair.key, _drop_fields(pair.value, below)) if below else pair)
    return dataclass_replace(mapping, pairs=pairs, target=None)


# ----------------------------------------------------------------------------- resolution


def _resolve(
    analysis: Analysis, profile: Profile, context: EngineContext, findings: Findings
) -> None:
    from vllm_wizard.hardware.resolve import GpuUnresolved, marketing_vram_warning, resolve_gpu
    from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel

    model = None
    if context.resolve_model is not None:
        model = context.resolve_model(
            profile.model.id, profile.model.revision, context.base_dir, profile.model.params_b
        )
        if profile.model.base_model is not None:
            model = _base_model(profile, model, findings)
    analysis.model = model
    if isinstance(model, ModelPending):
        findings.info(Code.MODEL_LOADING, model.message, ("model", "id"))
    elif isinstance(model, ModelUnresolved):
        _model_unresolved(model, findings)
    elif isinstance(model, ResolvedModel) and model.derived and not model.derived.confirmed:
        _model_derived(model, findings)

    hw = profile.hardware
    gpu = resolve_gpu(hw.gpu_name, hw.vram_gb, context.detect)
    analysis.gpu = gpu
    if isinstance(gpu, GpuUnresolved):
        fixes = [
            Fix.set(f"Set gpu_name: {name}", ("hardware", "gpu_name"), name)
            for name in gpu.suggestions
        ]
        if gpu.reason == "unknown-gpu":
            findings.error(
                Code.GPU_UNKNOWN, gpu.message, ("hardware", "gpu_name"), data=fixes_data(fixes)
            )
        else:
            findings.warning(Code.GPU_UNDETECTED, gpu.message, ("hardware", "gpu_name"))
        return
    _gpu_notes(profile, gpu, findings)
    if hw.vram_gb is not None:
        warning = marketing_vram_warning(hw.vram_gb, gpu.spec)
        if warning is not None and gpu.spec is not None:
            value = round(gpu.spec.memory_gib, 2)
            findings.warning(
                Code.VRAM_MARKETING,
                warning,
                ("hardware", "vram_gb"),
                data=fixes_data(
                    [Fix.set(f"Set vram_gb: {value}", ("hardware", "vram_gb"), value, True)]
                ),
            )
    _output_dir(profile, context, findings)


def _base_model(profile: Profile, model: Any, findings: Findings) -> Any:
    """`model.base_model` stands in for what no source has; an unknown one is reported."""
    from vllm_wizard.catalog.models import catalog_model, suggest_models
    from vllm_wizard.models.resolve import pin_base_model
    from vllm_wizard.planning.semantic import BASE_MODEL_FIELD

    base = profile.model.base_model
    assert base is not None
    if catalog_model(base) is None:
        suggestions = suggest_models(base)
        hint = f" (did you mean {', '.join(f'`{s}`' for s in suggestions)}?)" if suggestions else ""
        findings.warning(
            Code.MODEL_DERIVED,
            f"`model.base_model` names `{base}`, which is not in the bundled catalog; name the"
            f" catalog model `model.id` is a copy, quantization or sibling of{hint}",
            BASE_MODEL_FIELD,
            data=fixes_data(
                [Fix.set(f"Use {s}", BASE_MODEL_FIELD, s) for s in suggestions], reason="unknown"
            ),
        )
        return model
    m = profile.model
    return pin_base_model(model, m.id, base, m.revision, m.params_b)


def _model_derived(model: ResolvedModel, findings: Findings) -> None:
    """A plan from the name alone: say what was assumed, offer to confirm it."""
    from vllm_wizard.models.resolve import derived_message
    from vllm_wizard.planning.semantic import BASE_MODEL_FIELD

    assert model.derived is not None
    base = model.derived.base_id
    findings.warning(
        Code.MODEL_DERIVED,
        derived_message(model),
        ("model", "id"),
        data=fixes_data(
            [Fix.set(f"Confirm: set base_model: {base}", BASE_MODEL_FIELD, base, True)],
            reason="derived",
            base_model=base,
        ),
    )


def _model_unresolved(model: ModelUnresolved, findings: Findings) -> None:
    fixes = [Fix.set(f"Use {s}", ("model", "id"), s) for s in model.suggestions]
    if model.reason == "invalid-config":
        findings.error(Code.MODEL_CONFIG, model.message, ("model", "id"), data=fixes_data(fixes))
    else:
        findings.warning(
            Code.MODEL_UNRESOLVED,
            model.message,
            ("model", "id"),
            data=fixes_data(fixes, reason=model.reason, tried=list(model.tried)),
        )


def _gpu_notes(profile: Profile, gpu: ResolvedGpu, findings: Findings) -> None:
    field_path: FieldPath = ("hardware", "gpu_name")
    if gpu.ambiguous:
        from vllm_wizard.hardware.resolve import ambiguity_message

        findings.warning(
            Code.GPU_AMBIGUOUS,
            ambiguity_message(profile.hardware.gpu_name, gpu),
            field_path,
            data=fixes_data(
                [Fix.set(f"Set gpu_name: {name}", field_path, name) for name in gpu.candidates]
            ),
        )
    if gpu.detected is not None:
        from vllm_wizard.hardware.nvml import free_memory_warning

        count = f"{gpu.detected_count} × " if gpu.detected_count > 1 else ""
        where = "from the catalog" if gpu.spec is not None else "NVML's total less 2 %"
        findings.info(
            Code.GPU_DETECTED,
            f"Detected {count}{gpu.detected.name}: planning for {gpu.name},"
            f" {gpu.memory_gib:.2f} GiB as CUDA reports it ({where}).",
            field_path,
            data=fixes_data([Fix.set(f"Pin gpu_name: {gpu.name}", field_path, gpu.name, True)]),
        )
        warning = free_memory_warning(gpu.detected, profile.policy.gpu_memory_utilization)
        if warning is not None:
            findings.warning(
                Code.GPU_FREE_MEMORY, warning, ("policy", "gpu_memory_utilization"), field_path
            )
        if gpu.detected_count and profile.hardware.gpus > gpu.detected_count:
            findings.warning(
                Code.PARALLEL_LAYOUT,
                f"The profile plans for {profile.hardware.gpus} GPUs; this machine has"
                f" {gpu.detected_count}.",
                ("hardware", "gpus"),
            )
    if gpu.is_amd:
        findings.warning(
            Code.AMD_ARTIFACTS,
            f"{gpu.name} is an AMD GPU: the plan applies, but the generated files target"
            " NVIDIA images (vllm/vllm-openai); use a ROCm build of vLLM to serve it.",
            field_path,
        )


def _output_dir(profile: Profile, context: EngineContext, findings: Findings) -> None:
    from vllm_wizard.profile.io import outside_profile_folder

    written = profile.outputs.dir
    if written is None or context.base_dir is None:
        return
    try:
        target = outside_profile_folder(context.base_dir, written)
    except (OSError, RuntimeError, ValueError) as error:  # a NUL byte, an unknown ~user, a loop
        findings.warning(
            Code.OUTPUT_DIR,
            f"`outputs.dir` is not a usable path: {str(error).rstrip('.')}.",
            ("outputs", "dir"),
        )
        return
    if target is not None:
        findings.warning(
            Code.OUTPUT_DIR,
            f"`outputs.dir` resolves to {target}, outside the profile's folder"
            f" {context.base_dir.resolve()}.",
            ("outputs", "dir"),
        )


# ----------------------------------------------------------------------------- ranges


def field_range(root: Node | None, path: FieldPath, point_at: str = "value") -> Range | None:
    """The range of a written field, or None when the profile does not write it."""
    if root is None:
        return None
    key, value = lookup(root, path)
    if key is None or not _matches(root, path):
        return None
    if point_at == "key":
        return key.range
    return key_or_value_range(key, value)


def _matches(root: Node, path: FieldPath) -> bool:
    """`lookup` skips segments it cannot follow; here every segment must exist."""
    node: Node | None = root
    for segment in path:
        if node is None or node.resolved.kind != "mapping":
            return False
        pair = node.get(segment)
        if pair is None:
            return False
        node = pair.value
    return True


def _fallback_range(root: Node | None, path: FieldPath) -> Range:
    """The nearest written ancestor's key, else the top of the file."""
    for depth in range(len(path) - 1, 0, -1):
        found = field_range(root, path[:depth], "key")
        if found is not None:
            return found
    return Range.at(0, 0)


def to_diagnostic(
    root: Node | None, finding: Finding, flags: Mapping[FieldPath, str] | None = None
) -> Diagnostic:
    """Place a finding on the first of its fields the profile writes.

    A field a command-line flag set (`flags`) is not the profile's: when the finding's own
    field is one, the diagnostic names the flag; other such fields are passed over.
    """
    flags = flags or {}
    data = dict(finding.data) if finding.data else None
    if finding.fields and finding.fields[0] in flags:
        flag = flags[finding.fields[0]]
        return Diagnostic(
            Range.at(0, 0), finding.severity, finding.code, finding.message, data, flag=flag
        )
    range_: Range | None = None
    for path in finding.fields:
        if path not in flags:
            range_ = field_range(root, path, finding.point_at)
        if range_ is not None:
            break
    if range_ is None:
        range_ = _fallback_range(root, finding.fields[0]) if finding.fields else Range.at(0, 0)
    related = tuple(
        RelatedInformation(where, message)
        for path, message in finding.related
        if path not in flags and (where := field_range(root, path)) is not None and where != range_
    )
    return Diagnostic(range_, finding.severity, finding.code, finding.message, data, related)


__all__ = [
    "Analysis",
    "EngineContext",
    "ModelPending",
    "PlanCache",
    "Severity",
    "analyze",
    "field_range",
    "plan_options",
    "to_diagnostic",
]
