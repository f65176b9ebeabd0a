"""Hover: what a key means, which model and GPU the profile names, and where the memory goes.

A pure function of the analysis and a position. Field docs come from the profile's field
declarations (title, description, default, type, bounds), the same text the JSON Schema
carries, so there is one copy; figures come from the plan (`breakdown_rows`, `verdict_line`),
never recomputed. The parse tree locates the hovered node, so a schema error elsewhere does
not stop hovers; on text that does not parse, keys still get their docs from the text-based
cursor reader.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from vllm_wizard.catalog.gpus import GpuSpec
from vllm_wizard.catalog.models import catalog_model
from vllm_wizard.hardware.resolve import (
    GpuUnresolved,
    ResolvedGpu,
    ambiguity_message,
    resolve_gpu,
)
from vllm_wizard.lsp.cursor import TreeHit, locate, node_at
from vllm_wizard.lsp.model import HoverResult
from vllm_wizard.models.arch import ModelArch, arch_from_config
from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel
from vllm_wizard.pipeline import Analysis, ModelPending
from vllm_wizard.planning.recommend import hardware_phrase
from vllm_wizard.planning.result import Performance
from vllm_wizard.profile.diagnostics import Severity
from vllm_wizard.profile.fields import FieldSpec, ProfileField, fields_of
from vllm_wizard.profile.positions import Position, Range
from vllm_wizard.profile.schema import (
    SECTIONS,
    SUBSECTIONS,
    VALUE_ALIASES,
    Profile,
    Section,
    quantization_choices,
)
from vllm_wizard.render.performance import (
    CURVE_HEADER,
    curve_cells,
    has_estimate,
    heading,
    no_estimate,
    sparklines,
    summary,
)
from vllm_wizard.render.report import breakdown_rows, verdict_line
from vllm_wizard.vllm import PINNED_VLLM_VERSION
from vllm_wizard.vllm.args import MODELLED, NOT_MODELLED, PROFILE_FLAGS
from vllm_wizard.vllm.flags import FlagSpec, FlagTable, flag_table

__all__ = [
    "field_choices",
    "field_markdown",
    "flag_doc",
    "flag_markdown",
    "gpu_markdown",
    "hover",
    "memory_markdown",
    "schema_field",
]

MEMORY_FIELDS: frozenset[tuple[str, ...]] = frozenset(
    {("profile_version",), ("model", "max_model_len"), ("workload", "concurrency")}
)
"""Fields whose hover carries the memory breakdown (as does the top line of the file)."""

_VALUE_TOPICS = frozenset({("model", "id"), ("hardware", "gpu_name")})
"""Fields whose value hover shows the thing named rather than the field's docs."""

RULE = "\n\n---\n\n"

_SOURCES = {
    "catalog": "the bundled catalog",
    "local": "a local folder",
    "hf-cache": "the Hugging Face cache",
    "hub": "the Hugging Face Hub",
    "derived": "the catalog model its name (or `model.base_model`) says it derives from",
}


def hover(analysis: Analysis, position: Position) -> HoverResult | None:
    """The hover at `position` (code points), or None where there is nothing to say."""
    root = analysis.document.root
    if root is None:
        return _text_hover(analysis, position)
    hit = node_at(root, position)
    if hit is None:
        if position.line != 0:
            return None
        lines = analysis.document.lines
        return HoverResult(memory_markdown(analysis), Range.at(0, 0, len(lines[0])))
    parts = _topic(analysis, hit)
    fields = _field_path(hit.path)
    if position.line == 0 or fields in MEMORY_FIELDS:
        parts.append(memory_markdown(analysis))
    if not parts:
        return None
    return HoverResult(RULE.join(parts), hit.node.range)


def _topic(analysis: Analysis, hit: TreeHit) -> list[str]:
    """The sections about the hovered key or value itself."""
    path = hit.path
    if len(path) >= 3 and path[:2] == ("outputs", "vllm_args") and isinstance(path[2], str):
        return [flag_markdown(_flag_table(analysis), path[2])]
    fields = _field_path(path)
    docs = field_markdown(fields)
    head = [docs] if docs is not None and (hit.on_key or fields not in _VALUE_TOPICS) else []
    node = hit.value.resolved if hit.value is not None else None
    value = node.value if node is not None and node.kind == "scalar" else None
    written = None if value is None else str(value)
    if fields == ("model", "id"):
        return [*head, model_markdown(analysis, written)]
    if fields == ("hardware", "gpu_name"):
        return [*head, _gpu_section(analysis, written)]
    if not hit.on_key and isinstance(value, str):
        alias = _aliases(fields).get(value)
        if alias is not None:
            note = (
                f"`{value}` is an old spelling: vLLM calls it `{alias}`. It still works, with"
                f" a warning; write `{alias}`."
            )
            return [note, *head]
    return head


def _aliases(path: tuple[str, ...]) -> Mapping[str, str]:
    """Deprecated spellings of a field's values → vLLM's spelling."""
    if len(path) != 2:
        return {}
    return VALUE_ALIASES.get((path[0], path[1]), {})


def _field_path(path: tuple[Any, ...]) -> tuple[str, ...]:
    """The schema field a tree path lands in: list indices and deeper keys dropped."""
    fields: list[str] = []
    for segment in path[:2]:
        if not isinstance(segment, str):
            break
        fields.append(segment)
    return tuple(fields)


def _text_hover(analysis: Analysis, position: Position) -> HoverResult | None:
    """Docs of the key under the cursor when the YAML does not parse (and, on the top line,
    why there is no plan)."""
    lines = analysis.document.lines
    context = locate(analysis.text, position)
    docs: str | None = None
    if context is not None:
        line = lines[position.line]
        word = line[context.word.start.character : context.word.end.character]
        path = context.path if context.role != "key" else (*context.container, word)
        docs = field_markdown(_field_path(path)) if word else None
    parts = [docs] if docs is not None else []
    if position.line == 0:
        parts.append(memory_markdown(analysis))
    if not parts:
        return None
    where = context.word if docs is not None and context is not None else None
    return HoverResult(RULE.join(parts), where or Range.at(0, 0, len(lines[0])))


# ----------------------------------------------------------------------------- schema docs


def schema_field(path: tuple[str, ...]) -> ProfileField | None:
    """The declared field at `path` (`('model', 'dtype')`, `('hardware',)`), if any."""
    if len(path) == 1:
        return fields_of(Profile).get(path[0])
    if len(path) == 2 and path[0] in SECTIONS:
        return fields_of(SECTIONS[path[0]]).get(path[1])
    nested = SUBSECTIONS.get((path[0], path[1])) if len(path) == 3 else None
    return fields_of(nested).get(path[2]) if nested is not None else None


@functools.cache
def field_choices(path: tuple[str, ...]) -> tuple[str, ...]:
    """The values a field allows, as YAML spells them; () for free-form fields."""
    if path == ("model", "quantization"):
        return quantization_choices()
    info = schema_field(path)
    if info is None:
        return ()
    return _choices(info.annotation) or _published_choices(info.spec.json_schema)


def _published_choices(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The words a field's own JSON Schema adds to its Python type (`tp_size: auto`, which
    the validator reads as null), and `null` when that schema allows it."""
    if schema is None:
        return ()
    options = schema.get("anyOf", [schema])
    words = [str(word) for option in options for word in option.get("enum", ())]
    if words and any(option.get("type") == "null" for option in options):
        words.append("null")
    return tuple(words)


def _choices(annotation: Any) -> tuple[str, ...]:
    if annotation is bool:
        return ("true", "false")
    origin = get_origin(annotation)
    if origin is Literal:
        return tuple(yaml_text(arg) for arg in get_args(annotation))
    if origin is list:
        return _choices(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        found = [c for arg in args if arg is not type(None) for c in _choices(arg)]
        if found and type(None) in args:
            found.append("null")
        return tuple(found)
    return ()


def yaml_text(value: Any) -> str:
    """A default or an allowed value as it is written in a profile."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def _published_type_text(schema: Mapping[str, Any] | None) -> str | None:
    """The type a field's own JSON Schema states (`whole number ≥ 1 or `auto` or `null``),
    where it says more than the Python type; None when it is not that simple."""
    parts: list[str] = []
    for option in (schema or {}).get("anyOf", []):
        if option.get("type") == "integer":
            bound = f" ≥ {option['minimum']}" if "minimum" in option else ""
            parts.append(f"whole number{bound}")
        elif "enum" in option:
            parts.extend(f"`{word}`" for word in option["enum"])
        elif option.get("type") == "null":
            parts.append("`null`")
        else:
            return None
    return " or ".join(parts) or None


_TYPE_NAMES: dict[Any, str] = {
    int: "whole number",
    float: "number",
    str: "text",
    bool: "true or false",
    type(None): "`null`",
}
_BOUND_SIGNS = {"gt": ">", "ge": "≥", "le": "≤"}


def _type_text(annotation: Any, spec: FieldSpec | None = None) -> str:
    """`whole number > 0 or `auto` or `null``: the type as a user reads it."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_text(arg, spec) for arg in get_args(annotation))
    if origin is Literal:
        return " or ".join(f"`{yaml_text(arg)}`" for arg in get_args(annotation))
    name = _TYPE_NAMES.get(annotation) or str(getattr(origin or annotation, "__name__", "value"))
    numeric = annotation in (int, float)
    limits = spec.bounds if spec is not None and numeric else ()
    bounds = [f"{_BOUND_SIGNS[bound]} {yaml_text(annotation(limit))}" for bound, limit in limits]
    return " ".join([name, ", ".join(bounds)]).strip()


@functools.cache
def field_markdown(path: tuple[str, ...]) -> str | None:
    """Title, description, type, default and allowed values of a profile field, in Markdown."""
    info = schema_field(path)
    if info is None:
        return None
    title = info.title or path[-1]
    lines = [f"**{title}** · `{'.'.join(path)}`", "", info.description or ""]
    annotation = info.annotation
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return "\n".join([*lines, "", _section_fields(path[0], annotation)])
    nested = SUBSECTIONS.get((path[0], path[1])) if len(path) == 2 else None
    if nested is not None:
        fields = ", ".join(f"`{name}`" for name in fields_of(nested))
        return "\n".join([*lines, "", f"- Fields: {fields}, each optional.", "- Default: `null`"])
    choices = field_choices(path)
    facts: list[str] = []
    if not choices or get_origin(annotation) in (Union, types.UnionType):
        typed = _published_type_text(info.spec.json_schema) or _type_text(annotation, info.spec)
        facts.append(f"Type: {typed}")
    facts.append(
        "Required." if info.is_required() else f"Default: `{yaml_text(info.get_default())}`"
    )
    if choices:
        facts.append("Allowed: " + ", ".join(f"`{c}`" for c in choices))
    aliases = _aliases(path)
    if aliases:
        spelled = ", ".join(f"`{old}` → `{new}`" for old, new in aliases.items())
        facts.append(f"Old spellings (accepted with a warning): {spelled}")
    return "\n".join([*lines, "", *(f"- {fact}" for fact in facts)])


def _section_fields(name: str, model: type[Section]) -> str:
    listed = [
        f"`{field}`" + (" (required)" if info.is_required() else "")
        for field, info in fields_of(model).items()
    ]
    required = " Required." if fields_of(Profile)[name].is_required() else ""
    return f"Fields: {', '.join(listed)}.{required}"


# ----------------------------------------------------------------------------- the model


def model_markdown(analysis: Analysis, model_id: str | None) -> str:
    """The architecture of the model named at `model.id`, or why it is not known."""
    found = analysis.model
    if model_id is None or not model_id.strip():
        return "`model.id` is empty: write a Hugging Face repo id (`org/name`) or a folder."
    same = getattr(found, "model_id", "").casefold() == model_id.strip().casefold()
    if isinstance(found, ResolvedModel) and same:
        return _arch_markdown(found.model_id, found.arch, _params_line(found), _source(found))
    if isinstance(found, ModelPending) and same:
        return f"**`{model_id}`**: {found.message}"
    if isinstance(found, ModelUnresolved) and same:
        return _unresolved_markdown(found)
    entry = catalog_model(model_id)
    if entry is not None:
        params = f"{_billions(entry.params_total)} ({entry.params_source})"
        source = "the bundled catalog"
        return _arch_markdown(entry.id, _catalog_arch(entry.id), params, source)
    return (
        f"**`{model_id}`**: not looked up yet; its architecture shows once the profile has no"
        " errors."
    )


@functools.cache
def _catalog_arch(model_id: str) -> ModelArch:
    entry = catalog_model(model_id)
    assert entry is not None
    return arch_from_config(entry.config)


def _unresolved_markdown(model: ModelUnresolved) -> str:
    lines = [f"**`{model.model_id}`** is not resolved: {model.message}."]
    if model.tried:
        lines += ["", "Tried: " + "; ".join(model.tried) + "."]
    if model.suggestions:
        lines += ["", "Did you mean " + ", ".join(f"`{s}`" for s in model.suggestions) + "?"]
    return "\n".join(lines)


def _billions(count: int) -> str:
    value = count / 1e9
    return f"{value:,.0f} B" if value >= 100 else f"{value:.3g} B"


def _params_line(model: ResolvedModel) -> str:
    text = f"{_billions(model.params_total)} ({model.params_source})"
    if model.params_active is not None:
        text += f", {_billions(model.params_active)} active"
    return text


def _source(model: ResolvedModel) -> str:
    where = _SOURCES.get(model.source, model.source)
    detail = "" if model.source == "catalog" else f" (`{model.source_detail}`)"
    notes = "".join(f"\n- _{note}_" for note in model.notes)
    return f"{where}{detail}{notes}"


def _attention_line(arch: ModelArch) -> str:
    kind = arch.attention
    text = f"{kind}"
    if arch.sliding_window is not None and arch.count_layers("sliding"):
        text += (
            f" · sliding window {arch.sliding_window:,} tokens in"
            f" {arch.count_layers('sliding')} of {arch.num_layers} layers"
        )
    if arch.attention_chunk_size is not None and arch.count_layers("chunked"):
        text += f" · chunks of {arch.attention_chunk_size:,} tokens"
    if kind == "hybrid":
        text += f" · {arch.kv_layers} attention layers of {arch.num_layers}"
    return text


def _arch_markdown(model_id: str, arch: ModelArch, params: str, source: str) -> str:
    head_dim = f"{arch.head_dim}"
    if arch.mla is not None:
        head_dim += (
            f" (MLA latent: kv_lora_rank {arch.mla.kv_lora_rank}"
            f" + rope {arch.mla.qk_rope_head_dim})"
        )
    rows = [
        f"parameters: {params}",
        f"layers: {arch.num_layers} · hidden size: {arch.hidden_size:,}",
        f"attention heads / KV heads: {arch.num_attention_heads} / {arch.num_kv_heads}"
        f" · head_dim: {head_dim}",
        f"attention: {_attention_line(arch)}",
    ]
    if arch.moe is not None:
        rows.append(f"MoE: {arch.moe.num_experts} experts, {arch.moe.experts_per_token} per token")
    key = f" (`{arch.max_len_key}`)" if arch.max_len_key else ""
    rows.append(f"max length: {arch.max_model_len:,} tokens{key}")
    quant = arch.quantization
    method = "none" if quant is None else quant.method
    if quant is not None and quant.bits:
        method += f", {quant.bits}-bit"
    rows += [f"quantization: {method}", f"from: {source}"]
    names = ", ".join(arch.architectures)
    head = f"**`{model_id}`** · " + (f"{names} " if names else "") + f"(`{arch.text_model_type}`)"
    return "\n".join([head, "", *(f"- {row}" for row in rows)])


# ----------------------------------------------------------------------------- the GPU


def _gpu_section(analysis: Analysis, written: str | None) -> str:
    """The GPU the plan runs on (ambiguity and detection included), or why there is none."""
    gpu = analysis.gpu
    if isinstance(gpu, GpuUnresolved):
        return gpu.message
    if isinstance(gpu, ResolvedGpu):
        return _resolved_gpu(gpu, written)
    if written is None or written.strip().casefold() == "auto":
        return "`auto`: the GPU is detected through NVML once the profile has no errors."
    resolved = resolve_gpu(written, None)
    if isinstance(resolved, GpuUnresolved):
        return f"Unknown GPU `{written}`: set `hardware.vram_gb` to plan for it anyway."
    return _resolved_gpu(resolved, written)


def _resolved_gpu(gpu: ResolvedGpu, written: str | None) -> str:
    notes = ""
    if gpu.detected is not None:
        count = f"{gpu.detected_count} × " if gpu.detected_count > 1 else ""
        notes += f"\n\nDetected through NVML: {count}`{gpu.detected.name}`."
    if gpu.source == "override":
        notes += f"\n\nMemory set by `hardware.vram_gb`: {gpu.memory_gib:,.2f} GiB per GPU."
    if gpu.ambiguous and gpu.spec is not None:
        notes += "\n\n" + ambiguity_message(written or gpu.name, gpu)
    if gpu.spec is None:
        return f"**{gpu.name}** is not in the GPU catalog.{notes}"
    return gpu_markdown(gpu.spec) + notes


@functools.cache
def gpu_markdown(spec: GpuSpec) -> str:
    """One catalog GPU: memory as CUDA reports it, NVML names, bandwidth, TFLOP/s, links."""
    cc = spec.compute_capability
    fp8 = f"{spec.fp8_tflops:,.0f} TFLOP/s" if spec.fp8_tflops is not None else "none"
    link = next((s for s in spec.sources if s.startswith("https://")), None)
    shown = link or (spec.sources[0] if spec.sources else None)
    first = f", e.g. {shown}" if shown else ""
    rows = [
        f"memory: {spec.memory_gib:.2f} GiB as CUDA reports it"
        f" ({spec.marketing_memory_gb} GB on the box)",
        "NVML names: " + (", ".join(f"`{n}`" for n in spec.nvml_names) or "none"),
        f"bandwidth: {spec.bandwidth_gb_s:,.0f} GB/s",
        f"BF16: {spec.bf16_tflops:,.0f} TFLOP/s · FP8: {fp8} (dense)",
        f"compute capability: {f'{cc[0]}.{cc[1]}' if cc else 'n/a'} (`{spec.arch}`)",
        f"interconnect: {spec.interconnect} ({spec.interconnect_detail})",
        f"sources: {len(spec.sources)}{first}",
    ]
    head = f"**{spec.name}** · {spec.vendor.upper()} {spec.family}"
    return "\n".join([head, "", *(f"- {row}" for row in rows)])


# ----------------------------------------------------------------------------- the memory plan


def memory_markdown(analysis: Analysis) -> str:
    """The per-GPU memory breakdown, KV figures, verdict and performance; or why none."""
    plan = analysis.plan
    if plan is None:
        return _no_plan(analysis)
    memory, setup = plan.memory, plan.setup
    rows = [
        f"| {label.replace('|', '/')} | {value:,.2f} | {note} |"
        for label, value, note in breakdown_rows(plan)
    ]
    perf = plan.performance
    lines = [
        f"**Memory per GPU** · {hardware_phrase(plan.profile.hardware, plan.gpu.name)}"
        f" · tp {setup.tp}"
        f" · pp {setup.pp} · vLLM {plan.rules.requested}",
        "",
        verdict_line(plan) + f" · OOM risk {plan.oom_risk}",
        "",
        "| per GPU | GiB | |",
        "|---|---:|---|",
        *rows,
        "",
        f"- KV bytes per token: {memory.stage.layout.bytes_per_token:,}",
        f"- KV cache tokens: {memory.kv_tokens:,}",
        f"- max concurrency: {memory.max_concurrency:,.2f}× at {memory.max_model_len:,} tokens",
        f"- block size: {memory.block_size} · blocks: {memory.num_blocks:,}",
        *(
            [f"- longest max_model_len that starts: {plan.longest_max_model_len:,}"]
            if plan.longest_max_model_len
            else []
        ),
        "",
        *performance_markdown(perf, plan.performance_for),
    ]
    return "\n".join(lines)


def performance_markdown(perf: Performance, for_setup: str | None = None) -> list[str]:
    """The estimates at the workload's concurrency and a table of them as users grow;
    `for_setup` names the recommended setup they are for when the profile does not start."""
    if not has_estimate(perf):
        return [no_estimate(perf)]
    lines = [
        f"**Performance** {heading(perf)} (estimates)"
        + (f", for the recommended setup: {for_setup}" if for_setup else ""),
        "",
        *(f"- {label.strip()}: {value}" for label, value in summary(perf)),
    ]
    if perf.curve:
        lines += [
            "",
            "| " + " | ".join(CURVE_HEADER) + " |",
            "|" + "---:|" * len(CURVE_HEADER),
        ]
        for point in perf.curve:
            cells = curve_cells(point)
            if point.concurrency == perf.concurrency:
                cells = tuple(f"**{c}**" for c in cells)
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", sparklines(perf)]
    return lines


def _no_plan(analysis: Analysis) -> str:
    """One line on why there is no plan to show."""
    document = analysis.document
    errors = [d for d in analysis.diagnostics if d.severity == Severity.ERROR]
    if not document.syntax_ok and errors:
        return f"No memory plan: the YAML does not parse (line {errors[0].range.start.line + 1})."
    if analysis.profile is None:
        if errors:
            first = errors[0]
            return f"No memory plan: line {first.range.start.line + 1}: {first.message}"
        return "No memory plan: this is not a complete profile yet."
    model, gpu = analysis.model, analysis.gpu
    if isinstance(model, ModelPending):
        return f"No memory plan yet: {model.message}"
    if isinstance(model, ModelUnresolved):
        return f"No memory plan: {model.message}."
    if isinstance(gpu, GpuUnresolved):
        return f"No memory plan: {gpu.message}"
    return "No memory plan: the model and GPU were not looked up."


# ----------------------------------------------------------------------------- vLLM flags


def _flag_table(analysis: Analysis) -> FlagTable:
    profile = analysis.profile
    version = profile.target_vllm_version if profile is not None else PINNED_VLLM_VERSION
    try:
        return flag_table(version)
    except ValueError:
        return flag_table()


def flag_markdown(table: FlagTable, key: str) -> str:
    """A `vllm serve` flag: help, type, default, choices, and how the profile treats it."""
    spec = table.get(key)
    if spec is None:
        close = table.suggest(key)
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        return f"`{key}` is not a `vllm serve` flag in vLLM {table.version}.{hint}"
    return flag_doc(table.version, spec.dest)


@functools.cache
def flag_doc(version: str, dest: str) -> str:
    """The Markdown of one flag of a shipped table, by its snake_case name."""
    spec = flag_table(version)[dest]
    deprecated = " · **deprecated**" if spec.deprecated else ""
    lines = [f"**`{spec.name}`** · vLLM {version}{deprecated}", "", spec.help, ""]
    kind = spec.type
    if spec.is_bool and spec.negative_forms:
        kind += f" (`true` → `{spec.name}`, `false` → `{spec.negative_forms[0]}`)"
    if spec.human_readable:
        kind += " (accepts `1k`, `1K`, …)"
    lines.append(f"- type: {kind}")
    default = "none (vLLM decides)" if spec.default is None else f"`{yaml_text(spec.default)}`"
    lines.append(f"- default: {default}")
    values = spec.allowed_values
    if values:
        label = "choices" if spec.choices is not None else "known values"
        lines.append(f"- {label}: " + ", ".join(f"`{yaml_text(v)}`" for v in values))
    if spec.constraints:
        bounds = ", ".join(f"{k} {v}" for k, v in spec.constraints.items())
        lines.append(f"- bounds: {bounds}")
    lines += _flag_notes(spec)
    return "\n".join(lines)


def _flag_notes(spec: FlagSpec) -> list[str]:
    field = PROFILE_FLAGS.get(spec.dest)
    if field is not None:
        return [f"- set by the profile's `{'.'.join(field)}`: write it there, not here"]
    if spec.dest in NOT_MODELLED:
        return [f"- not modelled by the planner: {NOT_MODELLED[spec.dest]}"]
    if spec.dest in MODELLED:
        return ["- the memory plan takes it into account"]
    return []
