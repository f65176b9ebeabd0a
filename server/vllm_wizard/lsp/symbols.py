"""Document symbols: the outline of a profile (sections, their fields, vllm_args, emit items).

Ranges come from the parse tree. A document that does not parse is outlined from the longest
prefix of its lines that does (those before the syntax error), so the outline does not
vanish while a line is half typed; [] when nothing parses.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from vllm_wizard.lsp.model import SymbolKind, SymbolResult
from vllm_wizard.profile.document import Node, Pair, ParsedDocument, parse_document
from vllm_wizard.profile.positions import Position, Range

if TYPE_CHECKING:
    from vllm_wizard.pipeline import Analysis

__all__ = ["document_symbols"]

MAX_REPARSES = 4
"""Prefixes tried on a document that does not parse, each ending before the last error."""

MAX_DETAIL = 80
"""Longer values (a long flow mapping) are cut in the outline."""

MAX_ENTRIES = 500
"""Entries outlined per mapping or list: a profile has a few dozen; thousands (a pasted log)
took the better part of a second to convert and send."""


def document_symbols(analysis: Analysis) -> list[SymbolResult]:
    """One symbol per top-level key, its fields (and their entries or items) as children."""
    document = analysis.document
    root = document.root if document.root is not None else prefix_root(document)
    if root is None or root.is_alias or root.kind != "mapping":
        return []
    lines = document.lines
    return list(_pair_symbols(root, lines, ()))


def _pair_symbols(
    mapping: Node, lines: list[str], parents: tuple[str, ...]
) -> Iterator[SymbolResult]:
    pairs = (p for p in mapping.mapping_pairs() if p.key.resolved.kind == "scalar")
    for pair in islice(pairs, MAX_ENTRIES):
        yield _pair_symbol(pair, lines, parents)


def prefix_root(document: ParsedDocument) -> Node | None:
    """The tree of the lines before the syntax error, when they parse on their own."""
    if document.syntax_ok or not document.diagnostics:
        return None
    lines = document.lines
    end = document.diagnostics[0].range.start.line
    for _ in range(MAX_REPARSES):
        if end <= 0:
            return None
        parsed = parse_document("\n".join(lines[:end]))
        if parsed.syntax_ok:
            return parsed.root
        end = min(end - 1, parsed.diagnostics[0].range.start.line)
    return None


def _pair_symbol(pair: Pair, lines: list[str], parents: tuple[str, ...]) -> SymbolResult:
    key, value = pair.key, pair.value
    name = str(key.resolved.value)
    path = (*parents, name)
    children: tuple[SymbolResult, ...] = ()
    if not value.is_alias and value.kind == "mapping":
        children = tuple(_pair_symbols(value, lines, path))
    elif not value.is_alias and value.kind == "sequence":
        items = islice(enumerate(value.items), MAX_ENTRIES)
        children = tuple(_item_symbol(item, index, lines) for index, item in items)
    end = _trim(value.range.end, lines, key.range.end)
    return SymbolResult(
        name=name,
        kind=_kind(path, value),
        range=Range(key.range.start, end),
        selection_range=key.range,
        detail=_detail(value, lines),
        children=children,
    )


def _item_symbol(item: Node, index: int, lines: list[str]) -> SymbolResult:
    written = _detail(item, lines)
    scalar = item.resolved.kind == "scalar" and not item.is_alias
    name = str(item.value) if scalar and item.value is not None else written or f"[{index}]"
    end = _trim(item.range.end, lines, item.range.start)
    return SymbolResult(
        name=name,
        kind=_scalar_kind(item) if scalar else "array",
        range=Range(item.range.start, end),
        selection_range=Range(item.range.start, end),
        detail=written if written != name else None,
    )


def _kind(path: tuple[str, ...], value: Node) -> SymbolKind:
    if len(path) == 1 and value.kind == "mapping":
        return "namespace"
    if path[:2] == ("outputs", "vllm_args") and len(path) > 2:
        return "property"
    return "array" if value.kind == "sequence" else "field"


def _scalar_kind(node: Node) -> SymbolKind:
    value = node.value
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


def _detail(node: Node, lines: list[str]) -> str | None:
    """The value as written, for scalars and one-line flow collections (quotes kept)."""
    if node.is_missing:
        return None
    start, end = node.range.start, node.range.end
    if start.line != end.line or start.line >= len(lines):
        return None
    if node.kind != "scalar" and not node.flow and not node.is_alias:
        return None
    text = lines[start.line][start.character : end.character]
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _trim(end: Position, lines: list[str], floor: Position) -> Position:
    """A block's end marks the start of the next key; move it back to the block's last text."""
    if end.line <= floor.line or end.line >= len(lines) or lines[end.line][: end.character].strip():
        return end
    line = end.line - 1
    while line > floor.line and not lines[line].strip():
        line -= 1
    trimmed = Position(line, len(lines[line].rstrip()))
    return max(trimmed, floor)
