"""Finding a field's pair in the parse tree, and where its text starts and ends.

Only what is written in the text counts: no alias or merge key is followed, because an
edit can only change what the user wrote.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from vllm_wizard.lsp.edits.text import _Text
from vllm_wizard.profile.document import MERGE_KEY, Node, Pair, ParsedDocument
from vllm_wizard.profile.positions import Position, Range

FieldPath = Sequence[str | int]
"""A field in the profile: mapping keys, and list indices for items of a list."""


DEFAULT_INDENT = 2


@dataclass(slots=True)
class Located:
    """A pair, the mapping that holds it, and the pair whose value that mapping is."""

    mapping: Node
    pair: Pair
    parent: Pair | None


def _own_pair(mapping: Node, key: str | int) -> Pair | None:
    """The last pair written for `key` in this mapping (merged-in keys do not count)."""
    found: Pair | None = None
    for pair in mapping.pairs:
        key_node = pair.key
        plain = key_node.kind == "scalar" and not key_node.is_alias
        if plain and key_node.source != MERGE_KEY and key_node.value == key:
            found = pair
    return found


def _locate(root: Node | None, path: FieldPath) -> Located | None:
    """The pair at `path`, every segment written in the text (no alias or merge followed)."""
    node = root
    parent: Pair | None = None
    for index, segment in enumerate(path):
        if node is None or node.is_alias:
            return None
        if node.kind == "sequence" and isinstance(segment, int):
            if not 0 <= segment < len(node.items) or index == len(path) - 1:
                return None
            node, parent = node.items[segment], None
            continue
        if node.kind != "mapping":
            return None
        pair = _own_pair(node, segment)
        if pair is None:
            return None
        if index == len(path) - 1:
            return Located(node, pair, parent)
        node, parent = pair.value, pair
    return None


def _pairs(node: Node, parent: Pair | None = None) -> Iterator[Located]:
    """Every pair as written, with its mapping and that mapping's own pair."""
    if node.is_alias:
        return
    for pair in node.pairs:
        yield Located(node, pair, parent)
        yield from _pairs(pair.value, pair)
    for item in node.items:
        yield from _pairs(item, None)


def locate(document: ParsedDocument, path: FieldPath) -> Located | None:
    """The pair written at `path` (None when any segment is not written in the text)."""
    return _locate(document.root, path)


def pair_at(document: ParsedDocument, key_range: Range) -> Located | None:
    """The pair whose key is written at `key_range` (how a diagnostic on a key finds it)."""
    if document.root is None:
        return None
    for found in _pairs(document.root):
        if found.pair.key.range == key_range:
            return found
    return None


def _content_end(node: Node) -> Position:
    """Where the value's own text ends (a block's end mark lies past trailing comments)."""
    if node.is_alias or node.kind == "scalar" or node.flow:
        return node.range.start if node.is_missing else node.range.end
    if node.kind == "mapping" and node.pairs:
        last = node.pairs[-1]
        if last.value.is_missing:
            return last.key.range.end
        return _content_end(last.value)
    if node.kind == "sequence" and node.items:
        return _content_end(node.items[-1])
    return node.range.start


def _last_line(text: _Text, pair: Pair) -> int:
    """The last line holding the pair's text (its key line, or its value's block)."""
    first = pair.key.range.start.line
    end = _content_end(pair.value) if not pair.value.is_missing else pair.key.range.end
    line = end.line
    if end.character == 0 and line > first:
        line -= 1
    while line > first and text.lines[line].strip() == "":
        line -= 1
    return max(line, first)


def _indent_step(root: Node | None) -> int:
    """The indentation the file uses for nested mappings (2 when it has none)."""
    if root is None:
        return DEFAULT_INDENT
    for found in _pairs(root):
        value = found.pair.value
        if value.kind == "mapping" and not value.flow and not value.is_alias and value.pairs:
            step = value.pairs[0].key.range.start.character - found.pair.key.range.start.character
            if step > 0:
                return step
    return DEFAULT_INDENT
