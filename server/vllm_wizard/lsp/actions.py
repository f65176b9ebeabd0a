"""Code actions: the quick fixes carried in `Diagnostic.data`, and the source actions.

Every finding that can be fixed says how in its data (a canonical spelling, a close key,
the planner's `fixes` with the figures they buy); this module only turns that into edits on
the current text (`lsp/edits.py`), so the fix the user picks is the fix the planner computed.
The analysis is current for the text, so its diagnostics (not the copies a client sends
back, which may be stale or stripped of data) decide what is offered.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vllm_wizard.lsp.edits import (
    REMOVE,
    Change,
    locate,
    move_field,
    pair_at,
    remove_field,
    remove_pair_at,
    rename_key,
    rename_key_at,
    render_value,
    set_field,
    set_fields,
    written_value,
)
from vllm_wizard.lsp.model import (
    GENERATE_COMMAND,
    SHOW_PLAN_COMMAND,
    ActionKind,
    ActionResult,
    CommandRef,
    TextEdit,
)
from vllm_wizard.profile.diagnostics import Code, Diagnostic
from vllm_wizard.profile.document import Node, ParsedDocument, to_python
from vllm_wizard.profile.positions import Range

if TYPE_CHECKING:
    from vllm_wizard.pipeline import Analysis
    from vllm_wizard.profile.text_stages import Analysis as TextAnalysis

MAX_CHOICES = 5

FIX_BUDGET_VALUES = 10_000
"""YAML values re-read per code action request (about 10 µs each), fixes of all its
diagnostics together."""
"""At most this many "Use `x`" actions for one invalid enum value."""

CHOICE_CUTOFF = 0.6
"""difflib ratio below which a choice is no correction of what was typed (as in the message)."""

GENERATE_TITLE = "Generate deployment files"
SHOW_PLAN_TITLE = "Show plan.json"

_INDEX = re.compile(r"\[(\d+)\]")


def code_actions(
    analysis: Analysis | TextAnalysis,
    uri: str,
    range: Range,
    context_diagnostics: Sequence[Diagnostic],
    only: Sequence[str] | None = None,
) -> list[ActionResult]:
    """The actions for `range`: quick fixes of the diagnostics there, then source actions.

    `context_diagnostics` are those the client sent (LSP `CodeActionContext.diagnostics`);
    each is matched by code and range to the analysis' own, whose `data` is authoritative.
    With none sent, the analysis' diagnostics that touch `range` are used. `only` is LSP's
    `CodeActionContext.only`: a kind is wanted when it equals one of them or starts with
    one followed by a dot. A text-only analysis (no planner run) gets no source actions.
    """
    actions: list[ActionResult] = []
    if _wanted("quickfix", only):
        targets = _targets(analysis.diagnostics, range, context_diagnostics)
        for diagnostic in targets[: _fix_limit(analysis.document)]:
            for action in quick_fixes(analysis.document, diagnostic):
                _add(actions, action)
    if getattr(analysis, "plan", None) is not None and _wanted("source", only):
        actions.extend(source_actions(uri))
    return actions


def _fix_limit(document: ParsedDocument) -> int:
    """How many diagnostics one request gets fixes for: each fix re-reads the whole text to
    verify its edits, so a select-all in a file of thousands of values stays well under a
    second (a profile of a few hundred values gets fixes for every diagnostic)."""
    return max(1, FIX_BUDGET_VALUES // max(1, document.values))


def source_actions(uri: str) -> list[ActionResult]:
    """Commands on the whole profile, offered whenever there is a plan."""
    return [
        ActionResult(
            GENERATE_TITLE, "source", command=CommandRef(GENERATE_TITLE, GENERATE_COMMAND, (uri,))
        ),
        ActionResult(
            SHOW_PLAN_TITLE,
            "source",
            command=CommandRef(SHOW_PLAN_TITLE, SHOW_PLAN_COMMAND, (uri,)),
        ),
    ]


def quick_fixes(document: ParsedDocument, diagnostic: Diagnostic) -> list[ActionResult]:
    """Every quick fix one diagnostic's data describes, as edits on `document`."""
    data: Mapping[str, Any] = diagnostic.data or {}
    found: list[ActionResult] = []
    fixes = data.get("fixes")
    if isinstance(fixes, list):
        found.extend(_planner_fixes(document, diagnostic, fixes))
    handler = _HANDLERS.get(diagnostic.code)
    if handler is not None:
        found.extend(handler(document, diagnostic, data))
    return found


# ----------------------------------------------------------------------------- selection


def _wanted(kind: ActionKind, only: Sequence[str] | None) -> bool:
    if only is None:
        return True
    return any(not want or kind == want or kind.startswith(want + ".") for want in only)


def _touches(a: Range, b: Range) -> bool:
    return a.start <= b.end and b.start <= a.end


def _targets(
    own: Sequence[Diagnostic], range_: Range, sent: Sequence[Diagnostic]
) -> list[Diagnostic]:
    """The analysis' diagnostics the request is about (never a stale copy from the client)."""
    if not sent:
        return [d for d in own if _touches(d.range, range_)]
    chosen: list[Diagnostic] = []
    for copy in sent:
        same = [d for d in own if d.code == copy.code and d.range == copy.range]
        exact = [d for d in same if d.message == copy.message]
        candidates = exact or same
        if candidates and not any(candidates[0] is d for d in chosen):
            chosen.append(candidates[0])
    return chosen


def _add(actions: list[ActionResult], action: ActionResult) -> None:
    """Append, merging an identical action offered for a second diagnostic."""
    for index, known in enumerate(actions):
        if known.title == action.title and known.edits == action.edits:
            merged = known.diagnostics + tuple(
                d for d in action.diagnostics if not any(d is k for k in known.diagnostics)
            )
            actions[index] = replace(
                known, diagnostics=merged, preferred=known.preferred or action.preferred
            )
            return
    actions.append(action)


def _fix(
    title: str, diagnostic: Diagnostic, edits: list[TextEdit], preferred: bool = False
) -> Iterator[ActionResult]:
    """One quickfix action, or nothing when the text could not take the edit."""
    if edits:
        yield ActionResult(title, "quickfix", tuple(edits), None, (diagnostic,), preferred)


# ----------------------------------------------------------------------------- helpers


def _path(value: Any) -> tuple[str | int, ...] | None:
    """A path from data: a list of keys, or a dotted field (`outputs.emit[0]`)."""
    if isinstance(value, list | tuple) and value and all(isinstance(s, str | int) for s in value):
        return tuple(value)
    if isinstance(value, str) and value:
        segments: list[str | int] = []
        for part in value.split("."):
            name = _INDEX.split(part)
            if name[0]:
                segments.append(name[0])
            segments.extend(int(index) for index in name[1::2])
        return tuple(segments)
    return None


def _written(document: ParsedDocument, node: Node) -> str:
    """A value as the user wrote it, for a title; `…` for a list or a mapping."""
    raw = written_value(document, node)
    return raw.text if raw is not None else "…"


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(segment) for segment in path)


# ----------------------------------------------------------------------------- fixes by code


def _changes(edits: Any, remove: bool = False) -> list[Change]:
    """Data's `[{path, value}]` as changes (with `remove`, a null value deletes the field);
    none when any is malformed."""
    changes: list[Change] = []
    for edit in edits if isinstance(edits, list) else ():
        path = _path(edit.get("path")) if isinstance(edit, Mapping) else None
        if path is None:
            return []
        value = edit.get("value")
        changes.append((path, REMOVE if remove and value is None else value))
    return changes


def _planner_fixes(
    document: ParsedDocument, diagnostic: Diagnostic, fixes: list[Any]
) -> Iterator[ActionResult]:
    """The planner's fixes (`Fix.as_data`): each sets every path it names."""
    for fix in fixes:
        if not isinstance(fix, Mapping) or not isinstance(fix.get("title"), str):
            continue
        changes = _changes(fix.get("edits"), remove=bool(fix.get("remove")))
        if changes:
            edits = set_fields(document, changes)
            yield from _fix(fix["title"], diagnostic, edits, bool(fix.get("preferred")))


def _deprecated_alias(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    replacement, path = data.get("replacement"), _path(data.get("field"))
    if isinstance(replacement, str) and path is not None:
        edits = set_field(document, path, replacement)
        yield from _fix(f"Use `{replacement}` (vLLM's spelling)", diagnostic, edits, True)


def _unknown_key(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    found = pair_at(document, diagnostic.range)
    if found is None:
        return
    replacement, section = data.get("replacement"), data.get("section")
    if isinstance(replacement, str):
        if any(p.key.value == replacement for p in found.mapping.pairs):
            edits = remove_pair_at(document, diagnostic.range)
            title = f"Remove `{found.pair.key.source}` (`{replacement}` is already set)"
            yield from _fix(title, diagnostic, edits)
            return
        edits = rename_key_at(document, diagnostic.range, replacement)
        yield from _fix(f"Did you mean `{replacement}`?", diagnostic, edits, True)
    elif isinstance(section, str) and found.mapping is document.root:
        key = found.pair.key.value
        yield from _move(document, diagnostic, (key,), (section, key), f"under `{section}:`")


def _vllm_arg_unknown(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    key, replacement = data.get("key"), data.get("replacement")
    if not isinstance(key, str) or not isinstance(replacement, str):
        return
    spelled = _in_style_of(key, replacement)
    edits = rename_key(document, ("outputs", "vllm_args", key), spelled)
    yield from _fix(f"Did you mean `{spelled}`?", diagnostic, edits, True)


def _in_style_of(written: str, flag: str) -> str:
    """`max-num-seqs` as the user spells flags: snake_case when they wrote snake_case."""
    dashes = written[: len(written) - len(written.lstrip("-"))]
    bare = flag.lstrip("-")
    name = written.lstrip("-")
    if "_" in name and "-" not in name:
        bare = bare.replace("-", "_")
    return dashes + bare


def _vllm_arg_duplicate(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    key, target = data.get("key"), _path(data.get("move_to"))
    if not isinstance(key, str) or target is None:
        return
    source = ("outputs", "vllm_args", key)
    found = locate(document, source)
    if found is None:
        return
    value = _profile_value(target, to_python(found.pair.value))
    spelled = "" if value is REMOVE else f": {render_value(value)}"
    where = f"to `{_dotted(target)}{spelled}`"
    also = _changes(data.get("also"))
    if also:  # a tp or pp the profile's GPUs cannot hold: set gpus in the same fix
        sets = " and ".join(f"`{_dotted(path)}: {render_value(v)}`" for path, v in also)
        where += f" and set {sets}" + (
            f" ({data['why']})" if isinstance(data.get("why"), str) else ""
        )
    yield from _move(document, diagnostic, source, target, where, value, also)


def _profile_value(target: Sequence[str | int], value: Any) -> Any:
    """A vLLM argument's value as the profile field spells it (REMOVE: move it as written)."""
    if tuple(target) == ("model", "max_model_len"):
        if value == -1:
            return "auto"
        if isinstance(value, str):
            from vllm_wizard.vllm.args import parse_human_int

            parsed = parse_human_int(value)
            if parsed is not None:
                return "auto" if parsed == -1 else parsed
    return REMOVE


def _move(
    document: ParsedDocument,
    diagnostic: Diagnostic,
    source: tuple[str | int, ...],
    target: tuple[str | int, ...],
    where: str,
    value: Any = REMOVE,
    also: Sequence[Change] = (),
) -> Iterator[ActionResult]:
    """Move a value to where the profile wants it (setting `also` with it); when the target
    is already written, say what the move replaces and offer to drop the duplicate instead."""
    found = locate(document, source)
    if found is None:
        return
    key = found.pair.key.source
    moved = _written(document, found.pair.value)
    existing = locate(document, target)
    if existing is None:
        edits = move_field(document, source, target, value, also)
        yield from _fix(f"Move `{key}: {moved}` {where}", diagnostic, edits, True)
        return
    there = _written(document, existing.pair.value)
    wanted = to_python(found.pair.value) if value is REMOVE else value
    if to_python(existing.pair.value) == wanted:
        edits = remove_field(document, source)
        title = f"Remove `{key}` (`{_dotted(target)}` is already {there})"
        yield from _fix(title, diagnostic, edits, True)
        return
    edits = move_field(document, source, target, value, also)
    yield from _fix(f"Move `{key}: {moved}` {where} (replaces {there})", diagnostic, edits)
    edits = remove_field(document, source)
    yield from _fix(f"Remove `{key}` (keep `{_dotted(target)}: {there}`)", diagnostic, edits)


def _invalid_value(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    path, choices = _path(data.get("field")), data.get("choices")
    if path is None or not isinstance(choices, list) or not choices:
        return
    options = [str(choice) for choice in choices]
    found = locate(document, path)
    typed = ""
    if found is not None and found.pair.value.kind == "scalar":
        typed = found.pair.value.source
    elif path and isinstance(path[-1], int):
        typed = _item_source(document, path)
    close = _closest(typed, options)
    confident = len(close) == 1
    if not close and len(options) <= MAX_CHOICES:
        close = options
    for index, choice in enumerate(c for c in close if c != typed):
        edits = set_field(document, path, choice)
        yield from _fix(f"Use `{choice}`", diagnostic, edits, confident and index == 0)


def _item_source(document: ParsedDocument, path: Sequence[str | int]) -> str:
    parent = locate(document, path[:-1])
    index = path[-1]
    if parent is None or not isinstance(index, int):
        return ""
    items = parent.pair.value.resolved.items
    if 0 <= index < len(items) and items[index].kind == "scalar":
        return items[index].source
    return ""


def _closest(typed: str, options: list[str]) -> list[str]:
    """Choices close to what was typed, the closest first, ties in the schema's order
    (difflib's ratio, case ignored)."""
    scored = []
    for index, option in enumerate(options):
        matcher = difflib.SequenceMatcher(None, typed.lower(), option.lower())
        if matcher.real_quick_ratio() < CHOICE_CUTOFF:  # lengths rule it out; saves seconds
            continue  # on a value thousands of characters long
        ratio = matcher.ratio()
        if ratio >= CHOICE_CUTOFF:
            scored.append((-ratio, index, option))
    return [option for _, _, option in sorted(scored)[:MAX_CHOICES]]


def _duplicate_key(
    document: ParsedDocument, diagnostic: Diagnostic, data: Mapping[str, Any]
) -> Iterator[ActionResult]:
    """Drop the later pair (the diagnostic's); or the earlier, keeping what YAML uses now."""
    del data
    later = pair_at(document, diagnostic.range)
    if later is None:
        return
    key = later.pair.key.source
    edits = remove_pair_at(document, diagnostic.range)
    yield from _fix(
        f"Remove this `{key}: {_written(document, later.pair.value)}`", diagnostic, edits
    )
    for related in diagnostic.related:
        earlier = pair_at(document, related.range)
        if earlier is not None and earlier.mapping is later.mapping:
            edits = remove_pair_at(document, related.range)
            value = _written(document, earlier.pair.value)
            title = f"Remove the first `{key}: {value}` (keeps the value YAML uses)"
            yield from _fix(title, diagnostic, edits)
            break


_Handler = Callable[[ParsedDocument, Diagnostic, Mapping[str, Any]], Iterator[ActionResult]]
_HANDLERS: Mapping[Code, _Handler] = {
    Code.DEPRECATED_ALIAS: _deprecated_alias,
    Code.UNKNOWN_KEY: _unknown_key,
    Code.VLLM_ARG_UNKNOWN: _vllm_arg_unknown,
    Code.VLLM_ARG_DUPLICATE: _vllm_arg_duplicate,
    Code.INVALID_VALUE: _invalid_value,
    Code.DUPLICATE_KEY: _duplicate_key,
}
"""Fixes for the schema stage's findings, whose data is not a list of planner fixes."""


__all__ = ["code_actions", "quick_fixes", "source_actions"]
