"""One change on one text: set a value, add a key, remove a pair, rename a key.

Each operation returns the edits for a single change against the current text, or raises
`_Impossible` when the text cannot take it (an alias, a list where a mapping is needed);
`fields` chains them and checks the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from vllm_wizard.lsp.edits.render import Context, Raw, _loads, _quoted, render_value
from vllm_wizard.lsp.edits.text import _Text
from vllm_wizard.lsp.edits.tree import FieldPath, Located, _indent_step, _last_line, _own_pair
from vllm_wizard.lsp.model import TextEdit
from vllm_wizard.profile.document import Node, Pair, ParsedDocument
from vllm_wizard.profile.positions import Position, Range

TOP_LEVEL_ORDER: Final = (
    "profile_version",
    "vllm_version",
    "model",
    "hardware",
    "workload",
    "policy",
    "outputs",
)
"""Where a new top-level key goes: after the nearest of these that precedes it."""


class _Impossible(Exception):
    """The text cannot take this change (a list where a mapping is needed, an alias, ...)."""


def _key_text(segment: str | int) -> str:
    if isinstance(segment, int):
        raise _Impossible("a list index where a key is needed")
    return render_value(segment, context="key")


def _value_text(value: Any, quote: str | None, context: Context) -> str:
    if isinstance(value, Raw) and context == "flow":
        block = _loads(f"k: {value.text}\n")
        if not isinstance(block, dict) or "k" not in block:
            raise _Impossible("a value that is not YAML")
        if _loads(f"{{k: {value.text}}}\n") != block:  # `a, b` is one value only in a block
            return render_value(block["k"], context="flow")
    return render_value(value, quote, context)


def _nested_flow(rest: Sequence[str | int], value: Any) -> str:
    """`{a: {b: value}}` for the keys still to create inside a flow mapping."""
    if not rest:
        return _value_text(value, None, "flow")
    return "{" + f"{_key_text(rest[0])}: {_nested_flow(rest[1:], value)}" + "}"


def _block(keys: Sequence[str | int], value: Any, indent: int, step: int, newline: str) -> str:
    """`key:` lines at `indent`, nested by `step`, the last one holding the value."""
    lines = []
    for depth, segment in enumerate(keys):
        pad = " " * (indent + depth * step)
        if depth < len(keys) - 1:
            lines.append(f"{pad}{_key_text(segment)}:")
        else:
            lines.append(f"{pad}{_key_text(segment)}: {_value_text(value, None, 'block')}")
    return newline.join(lines)


def _quote_of(text: _Text, node: Node) -> str | None:
    if not node.quoted:
        return None
    char = text.text[text.offset(node.range.start)]
    return char if char in "'\"" else '"'


def _replace(text: _Text, key: Node | None, node: Node, value: Any, context: Context) -> TextEdit:
    """The value's own range gets the new value (quotes kept; `key:` alone gets ` value`)."""
    rendered = _value_text(
        value, _quote_of(text, node) if isinstance(value, str) else None, context
    )
    if node.flow or node.is_alias or (node.kind == "scalar" and not node.is_missing):
        return TextEdit(node.range, rendered)
    colon = text.colon_after(key) if key is not None else None
    if colon is None:
        if node.is_missing:
            return TextEdit(Range(node.range.start, node.range.start), rendered)
        raise _Impossible("no `:` after the key")
    start = Position(colon.line, colon.character + 1)
    if node.is_missing:
        rest = text.lines[start.line][start.character :]
        if rest.strip() == "":
            return TextEdit(Range(start, text.line_end(start.line)), " " + rendered)
        return TextEdit(Range(start, start), " " + rendered)
    # a block mapping or list replaced by a scalar: its lines go, the key line stays
    assert key is not None
    last = _last_line(text, Pair(key, node))
    return TextEdit(Range(start, text.line_end(last)), " " + rendered)


def _below_scalar(
    text: _Text, found: Located, rest: Sequence[str | int], value: Any, step: int
) -> list[TextEdit]:
    """`hardware:` or `hardware: null` becomes a mapping holding the new field."""
    pair = found.pair
    if found.mapping.flow:
        nested = _nested_flow(rest, value)
        return [_replace(text, pair.key, pair.value, Raw(nested), "flow")]
    colon = text.colon_after(pair.key)
    if colon is None:
        raise _Impossible("no `:` after the key")
    start = Position(colon.line, colon.character + 1)
    end = start if pair.value.is_missing else pair.value.range.end
    if end.line != start.line:
        raise _Impossible("a multi-line scalar")
    indent = pair.key.range.start.character + step
    block = text.newline + _block(rest, value, indent, step, text.newline)
    tail = text.lines[end.line][end.character :]
    if tail.strip() == "":
        return [TextEdit(Range(start, text.line_end(end.line)), block)]
    line_end = text.line_end(end.line)
    edits = [TextEdit(Range(line_end, line_end), block)]
    if end != start:
        edits.insert(0, TextEdit(Range(start, end), ""))
    return edits


def _anchor_pair(mapping: Node, key: str | int, is_root: bool) -> Pair:
    """The pair a new key goes after: the last one, or at the top level its predecessor."""
    if is_root and key in TOP_LEVEL_ORDER:
        earlier = TOP_LEVEL_ORDER[: TOP_LEVEL_ORDER.index(str(key))]
        for pair in reversed(mapping.pairs):
            if pair.key.value in earlier:
                return pair
    return mapping.pairs[-1]


def _insert(
    text: _Text,
    mapping: Node,
    keys: Sequence[str | int],
    value: Any,
    step: int,
    is_root: bool,
) -> list[TextEdit]:
    """A new `key: value` at the end of a mapping (before the next section's comments)."""
    if mapping.flow:
        item = f"{_key_text(keys[0])}: {_nested_flow(keys[1:], value)}"
        if not mapping.pairs:
            inner = Range(
                Position(mapping.range.start.line, mapping.range.start.character + 1),
                Position(mapping.range.end.line, mapping.range.end.character - 1),
            )
            return [TextEdit(inner, item)]
        last = mapping.pairs[-1]
        if last.value.is_missing:
            colon = text.colon_after(last.key)
            end = Position(colon.line, colon.character + 1) if colon else last.key.range.end
        else:
            end = last.value.range.end
        return [TextEdit(Range(end, end), ", " + item)]
    if not mapping.pairs:
        raise _Impossible("an empty block mapping")
    anchor = _anchor_pair(mapping, keys[0], is_root)
    line = _last_line(text, anchor)
    indent = mapping.pairs[0].key.range.start.character
    block = text.newline + _block(keys, value, indent, step, text.newline)
    if is_root and text.is_blank(line + 1):
        block = text.newline + block  # the file separates its sections with blank lines
    end = text.line_end(line)
    return [TextEdit(Range(end, end), block)]


def _set(document: ParsedDocument, path: FieldPath, value: Any) -> list[TextEdit]:
    text = _Text(document.text)
    root = document.root
    step = _indent_step(root)
    if not path:
        raise _Impossible("an empty path")
    if root is None:
        if document.text.strip() and not all(
            line.strip().startswith("#") or not line.strip() for line in text.lines
        ):
            raise _Impossible("the text has no usable document")
        block = _block(path, value, 0, step, text.newline) + text.newline
        at = Position(len(text.lines) - 1, len(text.lines[-1]))
        if text.lines[-1]:
            block = text.newline + block
        return [TextEdit(Range(at, at), block)]
    node = root
    parent: Pair | None = None
    for index, segment in enumerate(path):
        rest = path[index + 1 :]
        if node.is_alias:
            raise _Impossible("an alias")
        if node.kind == "sequence":
            if not isinstance(segment, int) or not 0 <= segment < len(node.items):
                raise _Impossible("no such list item")
            item = node.items[segment]
            if not rest:
                return [_replace(text, None, item, value, "flow" if node.flow else "block")]
            node, parent = item, None
            continue
        if node.kind != "mapping":
            raise _Impossible("a scalar where a mapping is needed")
        pair = _own_pair(node, segment)
        if pair is None:
            return _insert(text, node, path[index:], value, step, node is root)
        if not rest:
            return [_replace(text, pair.key, pair.value, value, "flow" if node.flow else "block")]
        child = pair.value
        if child.is_alias:
            raise _Impossible("an alias")
        if child.kind == "scalar":
            return _below_scalar(text, Located(node, pair, parent), rest, value, step)
        node, parent = child, pair
    raise _Impossible("unreachable")


def _remove_found(text: _Text, found: Located, root: Node | None) -> list[TextEdit]:
    """A block pair's whole lines (its value's block included); a flow item and its comma."""
    mapping, pair = found.mapping, found.pair
    index = next(i for i, p in enumerate(mapping.pairs) if p is pair)
    if mapping.flow:
        if len(mapping.pairs) == 1:
            inner = Range(
                Position(mapping.range.start.line, mapping.range.start.character + 1),
                Position(mapping.range.end.line, mapping.range.end.character - 1),
            )
            return [TextEdit(inner, "")]
        if index < len(mapping.pairs) - 1:
            return [
                TextEdit(Range(pair.key.range.start, mapping.pairs[index + 1].key.range.start), "")
            ]
        previous = mapping.pairs[index - 1]
        start = _flow_end(text, previous)
        return [TextEdit(Range(start, _flow_end(text, pair)), "")]
    first = pair.key.range.start.line
    last = _last_line(text, pair)
    before = text.lines[first][: pair.key.range.start.character]
    if before.strip():  # `- key: value`: the key shares its line with a list dash
        if index < len(mapping.pairs) - 1:
            following = mapping.pairs[index + 1].key.range.start
            return [TextEdit(Range(pair.key.range.start, following), "")]
        return [TextEdit(Range(pair.key.range.start, text.line_end(last)), "{}")]
    if last + 1 < len(text.lines):
        lines = Range(Position(first, 0), Position(last + 1, 0))
    elif first > 0:
        lines = Range(text.line_end(first - 1), text.line_end(last))
    else:
        lines = Range(Position(0, 0), text.line_end(last))
    edits = [TextEdit(lines, "")]
    if len(mapping.pairs) == 1 and mapping is not root and found.parent is not None:
        colon = text.colon_after(found.parent.key)
        if colon is None:
            raise _Impossible("no `:` after the key")
        at = Position(colon.line, colon.character + 1)
        if at == lines.start:
            return [TextEdit(lines, " {}")]
        edits.insert(0, TextEdit(Range(at, at), " {}"))
    return edits


def _flow_end(text: _Text, pair: Pair) -> Position:
    if not pair.value.is_missing:
        return pair.value.range.end
    colon = text.colon_after(pair.key)
    return Position(colon.line, colon.character + 1) if colon else pair.key.range.end


def _rename(text: _Text, key: Node, new_name: str) -> list[TextEdit]:
    quote = _quote_of(text, key)
    rendered = _quoted(new_name, quote) if quote else render_value(new_name, context="key")
    return [TextEdit(key.range, rendered)]
