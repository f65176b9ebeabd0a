"""Completion: keys, enum values, GPU names, model ids and vLLM flags at the cursor.

The cursor's place is read from the text (`lsp.cursor`), not the parse tree, so completion
works on half-typed lines, open quotes, flow mappings and documents that do not parse. Item
lists derived from the static catalogs, the schema and the flag table are built once
(`functools.cache`); a request only filters them and attaches the range. No network call:
model ids come from the catalog and a directory scan of the local Hugging Face cache.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, get_origin

import yaml

from vllm_wizard.catalog.gpus import all_gpus
from vllm_wizard.catalog.models import catalog_models
from vllm_wizard.lsp.cursor import CursorContext, locate, read_line
from vllm_wizard.lsp.hover import (
    field_choices,
    field_markdown,
    flag_doc,
    gpu_markdown,
    schema_field,
    yaml_text,
)
from vllm_wizard.lsp.model import CompletionKind, CompletionResult, Completions
from vllm_wizard.models.hub import cached_model_ids
from vllm_wizard.profile.fields import fields_of
from vllm_wizard.profile.positions import Position, split_lines
from vllm_wizard.profile.schema import SECTIONS, SUBSECTIONS, Profile
from vllm_wizard.vllm import PINNED_VLLM_VERSION
from vllm_wizard.vllm.args import PROFILE_FLAGS
from vllm_wizard.vllm.flags import FlagTable, available_versions, flag_table

if TYPE_CHECKING:
    from vllm_wizard.pipeline import Analysis

__all__ = ["complete"]

EXAMPLE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
"""The placeholder of `model.id` in snippets (a catalog model, so the snippet plans at once)."""

SNIPPET_FIELDS: dict[str, tuple[str, ...]] = {
    "model": ("id",),
    "hardware": ("gpu_name", "gpus"),
    "workload": ("prompt_tokens", "gen_tokens", "concurrency"),
    "policy": ("gpu_memory_utilization",),
    "outputs": ("emit",),
}
"""The fields a whole-section snippet writes, with their defaults as placeholders."""

PROFILE_SNIPPET_SECTIONS = ("model", "hardware", "workload")

MAX_SNIPPET_CHOICES = 8
"""Enums up to this size are offered as a snippet choice (`${1|a,b|}`) after their key."""


@dataclass(frozen=True, slots=True)
class _Item:
    """A completion before it knows where it goes."""

    label: str
    kind: CompletionKind
    text: str
    detail: str | None = None
    documentation: str | None = None
    snippet: bool = False
    plain: str | None = None
    sort: str | None = None
    literal: bool = False
    """A YAML literal (`true`, `null`, `1`): never quoted."""
    preselect: bool = False
    filter_text: str | None = None


def complete(text: str, position: Position, analysis: Analysis | None = None) -> Completions:
    """Completion items at `position` (code points) of `text`; `analysis` adds plan figures."""
    context = locate(text, position)
    if context is None:
        return Completions()
    if context.role == "key":
        items = _key_items(text, context, analysis)
    elif context.role == "value":
        items = _value_items(context, analysis)
    else:
        items = _list_items(context)
    return Completions([_result(item, context) for item in items])


def _result(item: _Item, context: CursorContext) -> CompletionResult:
    """Place an item at the cursor's word: quoting, a leading space, one-line inserts."""
    text, snippet, plain = item.text, item.snippet, item.plain
    if context.role == "key":
        if context.colon_follows:
            text, snippet, plain = item.label, False, None
        elif "\n" in text and (context.flow or context.word.start.character > 0):
            text, snippet, plain = f"{item.label}: ", False, None
    else:
        text = context.lead + _scalar(item, context)
    return CompletionResult(
        label=item.label,
        kind=item.kind,
        insert_text=text,
        edit_range=context.word,
        detail=item.detail,
        documentation=item.documentation,
        snippet=snippet,
        plain_text=plain if snippet else None,
        sort_text=item.sort,
        filter_text=item.filter_text,
        preselect=item.preselect,
    )


def _in_quotes(text: str, quote: str) -> str:
    """`text` escaped for the inside of `quote` (`"` or `'`)."""
    if quote == "'":
        return text.replace("'", "''")
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _scalar(item: _Item, context: CursorContext) -> str:
    """The value as it must be written where the cursor is."""
    if context.quote:
        return _in_quotes(item.text, context.quote)
    if context.wrap and not item.literal:
        return context.wrap + _in_quotes(item.text, context.wrap) + context.wrap
    if item.literal or _plain_ok(item.text, context.flow):
        return item.text
    return '"' + _in_quotes(item.text, '"') + '"'


_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()


@functools.cache
def _plain_ok(text: str, flow: bool) -> bool:
    """Whether `text` reads back as the same string when written without quotes."""
    if not text or text != text.strip() or text[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


# ----------------------------------------------------------------------------- snippets


def _escape(text: str) -> str:
    """Text inside a snippet placeholder: `$`, `}` and `\\` escaped."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _placeholder(section: str, name: str) -> str:
    info = schema_field((section, name))
    if info is None or info.is_required():
        return EXAMPLE_MODEL
    return yaml_text(info.get_default())


def _section_body(section: str, first: int) -> tuple[list[str], list[str]]:
    """(snippet lines, plain lines) of a section's fields, tab stops from `first`."""
    snippet, plain = [f"{section}:"], [f"{section}:"]
    for offset, name in enumerate(SNIPPET_FIELDS[section]):
        value = _placeholder(section, name)
        snippet.append(f"  {name}: ${{{first + offset}:{_escape(value)}}}")
        plain.append(f"  {name}: {value}")
    return snippet, plain


@functools.cache
def _profile_snippet() -> _Item:
    snippet, plain = ["profile_version: 1"], ["profile_version: 1"]
    stop = 1
    for section in PROFILE_SNIPPET_SECTIONS:
        lines, flat = _section_body(section, stop)
        snippet += lines
        plain += flat
        stop += len(SNIPPET_FIELDS[section])
    return _Item(
        label="vLLM Wizard profile",
        kind="snippet",
        text="\n".join(snippet),
        detail="a whole profile: model, hardware, workload",
        snippet=True,
        plain="\n".join(plain),
        sort="~",
        filter_text="profile",
    )


def _field_snippet(section: str, name: str) -> tuple[str, str] | None:
    """(snippet, plain) for `name: <default>` with the default (or the choices) to type over."""
    info = schema_field((section, name))
    if info is None or info.is_required():
        return None
    default = info.get_default()
    if default is None:
        return None
    value = yaml_text(default)
    choices = field_choices((section, name))
    is_list = get_origin(info.annotation) is list
    if choices and not is_list and len(choices) <= MAX_SNIPPET_CHOICES:
        ordered = [value, *(c for c in choices if c != value)]
        escaped = ",".join(
            c.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|") for c in ordered
        )
        return f"{name}: ${{1|{escaped}|}}", f"{name}: {value}"
    return f"{name}: ${{1:{_escape(value)}}}", f"{name}: {value}"


# ----------------------------------------------------------------------------- keys


def _key_items(text: str, context: CursorContext, analysis: Analysis | None) -> list[_Item]:
    container = context.container
    if container == ("outputs", "vllm_args"):
        table = _table(analysis)
        present = {spec.dest for s in context.siblings if (spec := table.get(s)) is not None}
        return [i for i in _flag_keys(table.version) if i.label not in present]
    if container == ():
        items = [i for i in _top_keys() if i.label not in context.siblings]
        if not context.flow and _otherwise_empty(text, context.word.start.line):
            items.append(_profile_snippet())
        return items
    if len(container) == 1 and container[0] in SECTIONS:
        return [i for i in _section_keys(container[0]) if i.label not in context.siblings]
    if len(container) == 2 and (container[0], container[1]) in SUBSECTIONS:
        nested = _subsection_keys(container[0], container[1])
        return [i for i in nested if i.label not in context.siblings]
    return []


def _otherwise_empty(text: str, lineno: int) -> bool:
    """True when every line but the cursor's is blank or a comment."""
    return all(read_line(line) is None for n, line in enumerate(split_lines(text)) if n != lineno)


@functools.cache
def _top_keys() -> tuple[_Item, ...]:
    items: list[_Item] = []
    for index, (name, info) in enumerate(fields_of(Profile).items()):
        docs = field_markdown((name,))
        sort = f"{index:02d}"
        if name in SECTIONS:
            lines, plain = _section_body(name, 1)
            items.append(
                _Item(
                    name, "module", "\n".join(lines), info.title, docs, True, "\n".join(plain), sort
                )
            )
        elif name == "profile_version":
            items.append(_Item(name, "property", "profile_version: 1", info.title, docs, sort=sort))
        else:
            value = f'"{PINNED_VLLM_VERSION}"'
            items.append(
                _Item(
                    name,
                    "property",
                    f"{name}: ${{1:{value}}}",
                    info.title,
                    docs,
                    True,
                    f"{name}: {value}",
                    sort,
                )
            )
    return tuple(items)


@functools.cache
def _section_keys(section: str) -> tuple[_Item, ...]:
    items: list[_Item] = []
    for index, (name, info) in enumerate(fields_of(SECTIONS[section]).items()):
        docs = field_markdown((section, name))
        snippet = _field_snippet(section, name)
        if name == "vllm_args":
            snippet = ("vllm_args: {$1}", "vllm_args: {}")
        if snippet is None:
            item = _Item(name, "property", f"{name}: ", info.title, docs, sort=f"{index:02d}")
        else:
            item = _Item(
                name, "property", snippet[0], info.title, docs, True, snippet[1], f"{index:02d}"
            )
        items.append(item)
    return tuple(items)


@functools.cache
def _subsection_keys(section: str, name: str) -> tuple[_Item, ...]:
    """Keys of a mapping nested in a section (`workload.slo`)."""
    model = SUBSECTIONS[(section, name)]
    return tuple(
        _Item(
            key,
            "property",
            f"{key}: ",
            info.title,
            field_markdown((section, name, key)),
            sort=f"{index:02d}",
        )
        for index, (key, info) in enumerate(fields_of(model).items())
    )


def _table(analysis: Analysis | None) -> FlagTable:
    profile = analysis.profile if analysis is not None else None
    try:
        return flag_table(profile.target_vllm_version if profile is not None else None)
    except ValueError:
        return flag_table()


@functools.cache
def _flag_keys(version: str) -> tuple[_Item, ...]:
    """`vllm serve` flags as snake_case keys, those a profile field sets left out."""
    items: list[_Item] = []
    for spec in flag_table(version).flags:
        if spec.dest in PROFILE_FLAGS:
            continue
        detail = f"{spec.type} · default {yaml_text(spec.default)}"
        if spec.deprecated:
            detail = f"deprecated · {detail}"
        text, snippet, plain = f"{spec.dest}: ", False, None
        if spec.is_bool:
            text, snippet, plain = f"{spec.dest}: ${{1|true,false|}}", True, f"{spec.dest}: true"
        items.append(
            _Item(
                label=spec.dest,
                kind="property",
                text=text,
                detail=detail,
                documentation=flag_doc(version, spec.dest),
                snippet=snippet,
                plain=plain,
                sort=f"{int(spec.deprecated)}{spec.dest}",
            )
        )
    return tuple(items)


# ----------------------------------------------------------------------------- values


def _value_items(context: CursorContext, analysis: Analysis | None) -> list[_Item]:
    path = context.path
    if len(path) == 3 and path[:2] == ("outputs", "vllm_args"):
        table = _table(analysis)
        spec = table.get(path[2])
        return list(_flag_values(table.version, spec.dest)) if spec is not None else []
    if path == ("hardware", "gpu_name"):
        return list(_gpu_values())
    if path == ("model", "id"):
        return _model_values()
    if path == ("model", "base_model"):
        return _base_model_values(analysis)
    if path == ("vllm_version",):
        return list(_version_values())
    info = schema_field(path)
    if info is None or get_origin(info.annotation) is list:
        return []
    items = list(_enum_values(path))
    if path == ("model", "max_model_len"):
        items += _length_values(analysis)
    elif path == ("hardware", "tp_size"):
        items += _tp_values(analysis)
    return items


def _list_items(context: CursorContext) -> list[_Item]:
    if context.path != ("outputs", "emit"):
        return []
    return [i for i in _enum_values(context.path) if i.label not in context.siblings]


@functools.cache
def _enum_values(path: tuple[str, ...]) -> tuple[_Item, ...]:
    info = schema_field(path)
    default = None
    if info is not None and not info.is_required():
        default = yaml_text(info.get_default())
    deprecated: frozenset[str] = frozenset()
    if path == ("model", "quantization"):
        deprecated = frozenset(flag_table().deprecated_quantization_methods())
    items: list[_Item] = []
    for index, choice in enumerate(field_choices(path)):
        literal = choice in ("true", "false", "null") or choice.isdigit()
        detail = "default" if choice == default else None
        if choice in deprecated:
            detail = "deprecated in vLLM"
        kind: CompletionKind = "keyword" if literal else "enum"
        sort = f"{int(choice in deprecated)}{index:03d}"
        items.append(_Item(choice, kind, choice, detail, sort=sort, literal=literal))
    return tuple(items)


def _length_values(analysis: Analysis | None) -> list[_Item]:
    """The model's own limit, and the longest request that fits the workload's concurrency."""
    plan = analysis.plan if analysis is not None else None
    if plan is None:
        return []
    limit, fits = plan.arch.max_model_len, plan.memory.max_context_at_concurrency
    items = [_Item(str(limit), "value", str(limit), "the model's limit", sort="2", literal=True)]
    if 0 < fits < limit:
        concurrency = plan.profile.workload.concurrency
        detail = f"longest request that fits at concurrency {concurrency}"
        items.append(_Item(str(fits), "value", str(fits), detail, sort="3", literal=True))
    return items


def _tp_values(analysis: Analysis | None) -> list[_Item]:
    """The sizes vLLM accepts for this model (`valid_tp`: they divide the attention heads and
    split or replicate the KV heads evenly) within the profile's GPUs; `auto`'s pick marked."""
    from vllm_wizard.planning.semantic import valid_tp

    plan = analysis.plan if analysis is not None else None
    if plan is None:
        return []
    hw, setup, heads = plan.profile.hardware, plan.setup, plan.arch.num_attention_heads
    items = []
    for tp in range(1, hw.gpus * hw.nodes // setup.pp + 1):
        if not valid_tp(plan.arch, tp):
            continue
        detail = f"{heads // tp} of the {heads} attention heads per GPU"
        if tp > hw.gpus:
            detail += "; across nodes (slow)"
        if plan.tp_chosen and tp == setup.tp:
            detail += "; what `auto` picks"
        items.append(_Item(str(tp), "value", str(tp), detail, sort=f"2{tp:04d}", literal=True))
    return items


@functools.cache
def _gpu_values() -> tuple[_Item, ...]:
    items = [_Item("auto", "keyword", "auto", "detect the local GPU through NVML", sort="0000")]
    for index, spec in enumerate(all_gpus(), start=1):
        items.append(
            _Item(
                spec.name,
                "value",
                spec.name,
                f"{spec.memory_gib:.2f} GiB · {spec.name}",
                gpu_markdown(spec),
                sort=f"{index:04d}",
            )
        )
    return tuple(items)


def _billions(count: int) -> str:
    value = count / 1e9
    return f"{value:,.0f}B" if value >= 100 else f"{value:.3g}B"


@functools.cache
def _catalog_values() -> dict[str, _Item]:
    items: dict[str, _Item] = {}
    for index, model in enumerate(catalog_models()):
        params = _billions(model.params_total)
        if model.params_active is not None:
            params += f" ({_billions(model.params_active)} active)"
        detail = f"{params} params · catalog"
        items[model.id] = _Item(model.id, "value", model.id, detail, sort=f"0{index:04d}")
    return items


def _model_values() -> list[_Item]:
    """Catalog ids, then ids found in the local Hugging Face cache (a directory scan)."""
    catalog = _catalog_values()
    items = dict(catalog)
    for model_id in cached_model_ids():
        known = catalog.get(model_id)
        if known is not None:
            detail = f"{known.detail} · in the Hugging Face cache"
            items[model_id] = _Item(model_id, "value", model_id, detail, sort=known.sort)
        else:
            detail = "Hugging Face cache"
            items[model_id] = _Item(model_id, "value", model_id, detail, sort=f"1{model_id}")
    return list(items.values())


def _base_model_values(analysis: Analysis | None) -> list[_Item]:
    """Catalog ids only (`model.base_model` must name one); the one `model.id` is planned as
    from its name, when there is one, preselected."""
    items = list(_catalog_values().values())
    derived = getattr(analysis.model if analysis is not None else None, "derived", None)
    base = derived.base_id if derived is not None else None
    return [
        replace(item, detail=f"{item.detail} · planned as this", preselect=True)
        if item.label == base
        else item
        for item in items
    ]


@functools.cache
def _version_values() -> tuple[_Item, ...]:
    items: list[_Item] = []
    for version in reversed(available_versions()):
        pinned = version == PINNED_VLLM_VERSION
        detail = "the pinned release" if pinned else "a release with a flag table"
        items.append(_Item(version, "value", version, detail, sort=version, preselect=pinned))
    return tuple(items)


@functools.cache
def _flag_values(version: str, dest: str) -> tuple[_Item, ...]:
    """`true`/`false` for a boolean flag, else the values vLLM lists for it."""
    spec = flag_table(version)[dest]
    values: tuple[object, ...] = (True, False) if spec.is_bool else spec.allowed_values or ()
    default = yaml_text(spec.default)
    items: list[_Item] = []
    for index, value in enumerate(values):
        text = yaml_text(value)
        literal = not isinstance(value, str)
        detail = "vLLM's default" if text == default else None
        kind: CompletionKind = "keyword" if literal else "enum"
        items.append(_Item(text, kind, text, detail, sort=f"{index:03d}", literal=literal))
    return tuple(items)
