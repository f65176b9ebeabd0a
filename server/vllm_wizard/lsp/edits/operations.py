"""Text edits on a profile's YAML that keep everything the user wrote around them.

Quick fixes must not reformat a file: a user's comments, quoting, indentation, blank lines
and line endings survive, and only the value (or the line) a fix concerns changes. Every
operation here works on the original text and its parse tree (exact ranges in code points),
re-parses its result to prove it is still YAML, and is returned as the minimal diff against
the original, so edits never overlap even when one fix sets several fields.

Values are written as a user would write them: `2`, `0.95`, `fp8`, `true`, `null`; a string
is quoted only when YAML needs it, or in the quote style of the value it replaces.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import yaml

from vllm_wizard.lsp.model import TextEdit
from vllm_wizard.profile.document import (
    MERGE_KEY,
    Node,
    Pair,
    ParsedDocument,
    parse_document,
    to_python,
)
from vllm_wizard.profile.positions import Position, Range, split_lines

FieldPath = Sequence[str | int]
"""A field in the profile: mapping keys, and list indices for items of a list."""

DEFAULT_INDENT = 2

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

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class _Remove:
    """The `value` of a change that deletes the field."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Final = _Remove()
"""Pass as the value in `set_fields` to delete a field instead of setting it."""


@dataclass(frozen=True, slots=True)
class Raw:
    """A value already written as YAML (moved verbatim, so `0.90` stays `0.90`)."""

    text: str


Change = tuple[FieldPath, Any]
"""(path, value): set the field to the value, or delete it when the value is `REMOVE`."""


# ----------------------------------------------------------------------------- rendering


def _loads(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader (CSafeLoader)
    except yaml.YAMLError:
        return _Unparsable


class _Unparsable:
    """Marker: the probe did not parse."""


Context = Literal["block", "flow", "key"]


def _plain_ok(text: str, context: Context) -> bool:
    """True when `text` reads back as this very string written without quotes."""
    if not text or text != text.strip() or any(c in text for c in "\r\n\t"):
        return False
    if context == "key":
        return bool(_loads(f"{text}: 0\n") == {text: 0})
    if context == "flow":
        return bool(_loads(f"{{k: {text}}}\n") == {"k": text})
    return bool(_loads(f"k: {text}\n") == {"k": text})


def _quoted(text: str, quote: str) -> str:
    if quote == "'" and not any(c in text for c in "\r\n"):
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


def _float(value: float) -> str:
    """A float as YAML 1.1 (PyYAML) reads it back: `0.95`, `1.0e-05`, `.inf`."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def render_value(value: Any, quote: str | None = None, context: Context = "block") -> str:
    """`value` as a YAML scalar (or a flow collection) a user would type.

    `quote` ('"' or "'") keeps the quote style of the value being replaced; it applies to
    strings only, so a number never turns into a quoted string.
    """
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        if quote in ('"', "'"):
            return _quoted(value, quote)
        return value if _plain_ok(value, context) else _quoted(value, '"')
    if isinstance(value, dict):
        items = (
            f"{render_value(k, context='key')}: {render_value(v, context='flow')}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v, context="flow") for v in value) + "]"
    return _quoted(str(value), '"')


# ----------------------------------------------------------------------------- text


class _Text:
    """The document's lines, line endings and offsets, counted as the parser counts them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        self.starts = [0]
        for match in _LINE.finditer(text):
            if match.group().endswith(("\n", "\r")):
                self.starts.append(match.end())
        first = re.search(r"\r\n|\r|\n", text)
        self.newline = first.group() if first else "\n"

    def offset(self, position: Position) -> int:
        if position.line >= len(self.lines):
            return len(self.text)
        length = len(self.lines[position.line])
        return self.starts[position.line] + min(max(position.character, 0), length)

    def position(self, offset: int) -> Position:
        line = max(0, _bisect(self.starts, offset))
        return Position(line, offset - self.starts[line])

    def line_end(self, line: int) -> Position:
        return Position(line, len(self.lines[line]))

    def colon_after(self, key: Node) -> Position | None:
        """The `:` that ends a key (spaces may precede it), on the key's last line."""
        end = key.range.end
        line = self.lines[end.line] if end.line < len(self.lines) else ""
        column = end.character
        while column < len(line) and line[column] in " \t":
            column += 1
        if column < len(line) and line[column] == ":":
            return Position(end.line, column)
        return None

    @property
    def real_lines(self) -> int:
        """Lines holding text (the empty string after a final newline is not one)."""
        return len(self.lines) - (1 if self.lines[-1] == "" and len(self.lines) > 1 else 0)

    def is_blank(self, line: int) -> bool:
        return line < self.real_lines and self.lines[line].strip() == ""


def _bisect(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts)
    while low < high:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle + 1
        else:
            high = middle
    return low - 1


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """The text after `edits` (non-overlapping, positions in code points)."""
    lines = _Text(text)
    spans = sorted(
        ((lines.offset(e.range.start), lines.offset(e.range.end), e.new_text) for e in edits),
        key=lambda span: (span[0], span[1]),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def diff_edits(old: str, new: str) -> list[TextEdit]:
    """The smallest line-aligned edits that turn `old` into `new`, trimmed to what changed."""
    if old == new:
        return []
    source = _Text(old)
    old_lines = _LINE.findall(old)
    new_lines = _LINE.findall(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    edits: list[TextEdit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = sum(len(line) for line in old_lines[:i1])
        before = "".join(old_lines[i1:i2])
        after = "".join(new_lines[j1:j2])
        prefix = _common_prefix(before, after)
        suffix = _common_prefix(before[prefix:][::-1], after[prefix:][::-1], reverse=True)
        prefix = _word_start(before, after, prefix)
        suffix = len(before) - _word_end(before, after, len(before) - suffix, len(after) - suffix)
        edits.append(
            TextEdit(
                Range(
                    source.position(start + prefix),
                    source.position(start + len(before) - suffix),
                ),
                after[prefix : len(after) - suffix],
            )
        )
    return edits


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "_.-+"


def _word_start(before: str, after: str, cut: int) -> int:
    """Move a cut back to the start of the word it falls in, so a value is replaced whole."""
    while (
        cut > 0
        and _is_word(before[cut - 1])
        and (
            (cut < len(before) and _is_word(before[cut]))
            or (cut < len(after) and _is_word(after[cut]))
        )
    ):
        cut -= 1
    return cut


def _word_end(before: str, after: str, cut: int, cut_after: int) -> int:
    """Move a cut (at `cut` in before, `cut_after` in after) forward to the end of its word."""
    while (
        cut < len(before)
        and _is_word(before[cut])
        and (
            (cut > 0 and _is_word(before[cut - 1]))
            or (cut_after > 0 and _is_word(after[cut_after - 1]))
        )
    ):
        cut += 1
        cut_after += 1
    return cut


def _common_prefix(a: str, b: str, reverse: bool = False) -> int:
    """How many leading characters `a` and `b` share, never ending inside a CRLF."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    pair = "\n\r" if reverse else "\r\n"
    for text in (a, b):
        if 0 < count < len(text) and text[count - 1 : count + 1] == pair:
            count -= 1
    return count


# ----------------------------------------------------------------------------- the tree


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


# ----------------------------------------------------------------------------- operations


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


def _transform(document: ParsedDocument, changes: Sequence[Change]) -> list[TextEdit]:
    """Apply the changes one after another, re-parsing between them; diff the result."""
    current = document
    try:
        for path, value in changes:
            text = _Text(current.text)
            if value is REMOVE:
                found = _locate(current.root, path)
                edits = _remove_found(text, found, current.root) if found is not None else []
            else:
                edits = _set(current, path, value)
            if edits:
                current = parse_document(apply_edits(current.text, edits))
                if not current.syntax_ok or current.root is None:
                    return []
    except _Impossible:
        return []
    return diff_edits(document.text, current.text)


def _verified(document: ParsedDocument, edits: list[TextEdit]) -> list[TextEdit]:
    new = apply_edits(document.text, edits)
    parsed = parse_document(new)
    if not parsed.syntax_ok or parsed.root is None:
        return []
    return diff_edits(document.text, new)


# ----------------------------------------------------------------------------- public


def set_field(document: ParsedDocument, path: FieldPath, value: Any) -> list[TextEdit]:
    """Set the field at `path`: its value replaced in place, or `key: value` added to its
    section (the section created when missing). [] when the text cannot take it."""
    return _transform(document, [(path, value)])


def set_fields(document: ParsedDocument, changes: Sequence[Change]) -> list[TextEdit]:
    """Several fields at once (one quick fix may set gpus and tp_size), as one set of
    non-overlapping edits; `REMOVE` as a value deletes that field."""
    return _transform(document, changes)


def remove_field(document: ParsedDocument, path: FieldPath) -> list[TextEdit]:
    """Delete the field at `path`: a block pair's lines, or a flow item and its comma."""
    return _transform(document, [(path, REMOVE)])


def remove_pair_at(document: ParsedDocument, key_range: Range) -> list[TextEdit]:
    """Delete the pair whose key is at `key_range`; of two duplicate keys, exactly that one."""
    found = pair_at(document, key_range)
    if found is None:
        return []
    try:
        edits = _remove_found(_Text(document.text), found, document.root)
    except _Impossible:
        return []
    return _verified(document, edits)


def rename_key(document: ParsedDocument, path: FieldPath, new_name: str) -> list[TextEdit]:
    """Rename the key at `path` in place, keeping its quotes, value and comments."""
    found = _locate(document.root, path)
    if found is None:
        return []
    return _verified(document, _rename(_Text(document.text), found.pair.key, new_name))


def rename_key_at(document: ParsedDocument, key_range: Range, new_name: str) -> list[TextEdit]:
    """Rename the key written at `key_range`."""
    found = pair_at(document, key_range)
    if found is None:
        return []
    return _verified(document, _rename(_Text(document.text), found.pair.key, new_name))


def written_value(document: ParsedDocument, node: Node) -> Raw | None:
    """A scalar exactly as written (quotes included), to move it without rewriting it."""
    if node.kind != "scalar" or node.is_alias or node.is_missing:
        return None
    if node.range.start.line != node.range.end.line:
        return None
    text = _Text(document.text)
    return Raw(document.text[text.offset(node.range.start) : text.offset(node.range.end)])


def move_field(
    document: ParsedDocument,
    from_path: FieldPath,
    to_path: FieldPath,
    value: Any = REMOVE,
    also: Sequence[Change] = (),
) -> list[TextEdit]:
    """Remove the field at `from_path` and set `to_path` to its value (and `also`'s fields,
    in the same edits).

    The value moves as written (`0.90` stays `0.90`) unless `value` gives the one to write
    (when the target spells it differently, e.g. vLLM's `-1` is the profile's `auto`).
    """
    found = _locate(document.root, from_path)
    if found is None:
        return []
    if value is REMOVE:
        value = written_value(document, found.pair.value)
        if value is None:
            value = to_python(found.pair.value)
    return _transform(document, [(from_path, REMOVE), (to_path, value), *also])


__all__ = [
    "REMOVE",
    "Change",
    "FieldPath",
    "Located",
    "Raw",
    "apply_edits",
    "diff_edits",
    "locate",
    "move_field",
    "pair_at",
    "remove_field",
    "remove_pair_at",
    "rename_key",
    "rename_key_at",
    "render_value",
    "set_field",
    "set_fields",
    "written_value",
]
