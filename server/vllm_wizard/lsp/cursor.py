"""Where the cursor is in a profile: the YAML path, read from the text itself.

Completion runs on half-typed text that often does not parse (`  gpu_na`, `dtype: bf`, an
open quote), so the path comes from the current line and the indentation of the lines above
it, never from the parse tree. Block mappings and lists, and flow collections that open and
close on the cursor's line (`model: {id: a/b, dt}`, `emit: [command, pro]`), are understood;
a flow collection spread over several lines is not (the lines inside it read as block lines).

Hover and symbols work on the tree instead; `node_at` finds the node under a position there.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Literal

from vllm_wizard.profile.document import MAX_CHARS, Node, PathSegment
from vllm_wizard.profile.positions import Position, Range, split_lines

Role = Literal["key", "value", "item"]

KEY_CHARS = frozenset(string.ascii_letters + string.digits + "_-.")
"""Characters of a key being typed; profile and vLLM keys use nothing else."""

_FLOW_STOPS = ",]}"

MAX_LINE = 4096
"""Characters of a line read for completion; a profile's lines are far shorter, and reading a
20 MB line character by character would hold up the server for seconds."""


@dataclass(frozen=True, slots=True)
class CursorContext:
    """What is being typed at the cursor, and where in the profile."""

    role: Role
    container: tuple[str, ...]
    """The mapping that holds the key being typed, or the key whose value or item is typed."""
    key: str | None
    """For a value or a list item: the key it belongs to. None while typing a key."""
    prefix: str
    """What is typed of the word, up to the cursor."""
    word: Range
    """The word a completion replaces: never the colon, the quotes or a comment."""
    quote: str = ""
    """The quote the value was opened with (`"` or `'`), else ""."""
    flow: bool = False
    """Inside `{...}` or `[...]`: a completion must stay on one line."""
    siblings: frozenset[str] = frozenset()
    """Keys already in that mapping (items already in that list), the typed one excluded."""
    colon_follows: bool = False
    """A `:` already follows the key being typed, so a completion must not add another."""
    lead: str = ""
    """Text a completion puts before the word: a space right after a bare `key:`."""
    wrap: str = ""
    """The cursor stands before a value already written, quoted with this (`"` or `'`): the
    word is that whole value, quotes included, and a completion writes its own quotes."""

    @property
    def path(self) -> tuple[str, ...]:
        """The field the cursor is in: the container, plus the key for a value or an item."""
        return (*self.container, self.key) if self.key is not None else self.container


@dataclass(frozen=True, slots=True)
class BlockLine:
    """One block line, split into its parts (indices into the line)."""

    indent: int
    """Column of the content after the indentation and any `- ` markers."""
    dash: int | None
    """Column of the (last) `-` list marker, if the line is a list item."""
    key: str | None
    colon: int
    """Index of the key's colon, -1 without a key."""
    value_start: int
    value_end: int
    """The value as written, quotes included, comment and trailing spaces excluded."""

    @property
    def column(self) -> int:
        """The column that decides nesting: the dash of a list item, else the content."""
        return self.dash if self.dash is not None else self.indent

    @property
    def opens_block(self) -> bool:
        """`key:` with nothing after it: the lines below may be its children."""
        return self.key is not None and self.value_start == self.value_end


def _closing_quote(line: str, start: int) -> int:
    """Index of the quote closing the one at `start`, or -1 when the line does not close it."""
    quote = line[start]
    i = start + 1
    while i < len(line):
        char = line[i]
        if quote == '"' and char == "\\":
            i += 2
            continue
        if char == quote:
            if quote == "'" and line[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def _comment_start(line: str, start: int) -> int:
    """Index of a `#` comment at or after `start` (outside quotes), else len(line)."""
    i = start
    while i < len(line):
        char = line[i]
        if char in "\"'" and (i == start or line[i - 1] in " \t{[,:"):
            close = _closing_quote(line, i)
            if close < 0:
                return len(line)
            i = close + 1
            continue
        if char == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        i += 1
    return len(line)


def _skip_spaces(line: str, i: int) -> int:
    while i < len(line) and line[i] == " ":
        i += 1
    return i


def _find_colon(line: str, start: int, end: int) -> int:
    """Index of the `:` that ends a key starting at `start`, or -1."""
    if start >= end or line[start] in "{[#&*!|>%@`":
        return -1
    if line[start] in "\"'":
        close = _closing_quote(line, start)
        if close < 0:
            return -1
        after = _skip_spaces(line, close + 1)
        return after if line[after : after + 1] == ":" and _ends_colon(line, after) else -1
    for i in range(start, end):
        if line[i] == ":" and _ends_colon(line, i):
            return i
    return -1


def _ends_colon(line: str, i: int) -> bool:
    return i + 1 >= len(line) or line[i + 1] in " \t"


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _is_marker(line: str) -> bool:
    """A document marker (`---`, `...`, with what may follow them) or a `%` directive."""
    return line.startswith("%") or (line[:3] in ("---", "...") and line[3:4] in ("", " ", "\t"))


def read_line(line: str) -> BlockLine | None:
    """Split a block line; None for a blank line, a comment or a document marker."""
    line = line[:MAX_LINE]
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
        return None
    pos = _skip_spaces(line, 0)
    dash: int | None = None
    while line[pos : pos + 1] == "-" and (pos + 1 == len(line) or line[pos + 1] == " "):
        dash = pos
        pos = _skip_spaces(line, pos + 1)
    end = _comment_start(line, pos)
    colon = _find_colon(line, pos, end)
    if colon < 0:
        value_end = len(line[:end].rstrip())
        return BlockLine(pos, dash, None, -1, pos, max(pos, value_end))
    key = _unquote(line[pos:colon])
    value_start = _skip_spaces(line, colon + 1)
    value_end = max(value_start, len(line[:end].rstrip()))
    return BlockLine(pos, dash, key, colon, min(value_start, value_end), value_end)


# ----------------------------------------------------------------------------- block structure


def _ancestors(lines: list[str], lineno: int, column: int, item: bool) -> tuple[list[str], int]:
    """The keys of the blocks enclosing a line whose content starts at `column`.

    Returns the path (outermost first) and the index of the nearest enclosing `key:` line
    (-1 at the top level). A list item may sit at its key's own column (`emit:\\n- a`).
    """
    path: list[str] = []
    parent = -1
    limit, same_column = column, item
    for i in range(lineno - 1, -1, -1):
        if limit == 0 and not same_column:
            break
        info = read_line(lines[i])
        if info is None:
            continue
        col = info.column
        if col > limit or (col == limit and not (same_column and info.dash is None)):
            continue
        if info.dash is None and info.opens_block and info.key is not None:
            path.append(info.key)
            parent = i if parent < 0 else parent
        limit, same_column = col, False
    path.reverse()
    return path, parent


def _block_children(lines: list[str], lineno: int, parent: int) -> list[tuple[str, BlockLine]]:
    """The direct children of the block opened at line `parent` (-1: the document), as
    (line, parts), the line `lineno` excluded."""
    opener = read_line(lines[parent]) if parent >= 0 else None
    parent_column = opener.column if opener is not None else -1
    found: list[tuple[str, BlockLine]] = []
    for i in range(parent + 1, len(lines)):
        info = read_line(lines[i])
        if info is None:
            continue
        list_item = info.dash is not None and info.column == parent_column
        if info.column < parent_column or (info.column == parent_column and not list_item):
            break
        if i != lineno:
            found.append((lines[i], info))
    if not found:
        return []
    child_column = min(info.column for _, info in found)
    return [(line, info) for line, info in found if info.column == child_column]


def _block_keys(lines: list[str], lineno: int, parent: int) -> frozenset[str]:
    return frozenset(
        info.key
        for _, info in _block_children(lines, lineno, parent)
        if info.key is not None and info.dash is None
    )


def _block_items(lines: list[str], lineno: int, parent: int) -> frozenset[str]:
    return frozenset(
        _unquote(line[info.value_start : info.value_end])
        for line, info in _block_children(lines, lineno, parent)
        if info.dash is not None
    )


# ----------------------------------------------------------------------------- words


@dataclass(frozen=True, slots=True)
class _Word:
    """The token under the cursor: its columns and how it is quoted."""

    start: int
    end: int
    quote: str = ""
    wrap: str = ""


def _key_word(line: str, start: int, col: int) -> _Word | None:
    """The key token around `col`, when only spaces lie between `start` and it."""
    left = col
    while left > start and line[left - 1] in KEY_CHARS:
        left -= 1
    if line[start:left].strip():
        return None
    right = col
    while right < len(line) and line[right] in KEY_CHARS:
        right += 1
    return _Word(left, right)


def _value_word(line: str, start: int, col: int, stops: str = "") -> _Word | None:
    """The scalar written from `start` (just after `key:`, `- ` or `,`) that holds `col`.

    Inside quotes the word is what lies between them; a plain scalar ends before a comment
    and, in a flow collection, before `,`, `]` or `}`. None when the cursor is outside it.
    """
    begin = _skip_spaces(line, start)
    if col < begin:
        return _Word(col, col) if begin == len(line) else _before_value(line, col, begin, stops)
    if begin < len(line) and line[begin] in "\"'":
        close = _closing_quote(line, begin)
        if col == begin:
            return _before_value(line, col, begin, stops)
        if 0 <= close < col:
            return None
        end = close if close >= 0 else max(col, len(line.rstrip()))
        return _Word(begin + 1, end, line[begin])
    if begin < len(line) and line[begin] in "{[|>&*!%@`":
        return None
    limit = _comment_start(line, begin)
    end = begin
    while end < limit and line[end] not in stops:
        end += 1
    end = max(begin, len(line[:end].rstrip()), col)
    return _Word(begin, end)


def _before_value(line: str, col: int, begin: int, stops: str) -> _Word | None:
    """The cursor stands before the value written at `begin`: the word is all of it (its
    quotes too), so a completion chosen there replaces it; before a comment, nothing."""
    char = line[begin]
    if char == "#":
        return _Word(col, col)
    if char in "\"'":
        close = _closing_quote(line, begin)
        return _Word(col, close + 1, wrap=char) if close >= 0 else None
    written = _value_word(line, begin, begin, stops)
    return _Word(col, written.end) if written is not None else None


def _lead(line: str, word: _Word, col: int) -> str:
    """A space to put before a value typed right after `key:`, `-` or `,`."""
    if word.quote or word.start != col or col == 0:
        return ""
    return " " if line[col - 1] in ":-," else ""


def _context(
    role: Role,
    path: tuple[tuple[str, ...], str | None],
    line: tuple[int, str],
    col: int,
    word: _Word,
    *,
    flow: bool = False,
    siblings: frozenset[str] = frozenset(),
    colon_follows: bool = False,
) -> CursorContext:
    (container, key), (lineno, text) = path, line
    return CursorContext(
        role=role,
        container=container,
        key=key,
        prefix=text[word.start : col],
        word=Range(Position(lineno, word.start), Position(lineno, word.end)),
        quote=word.quote,
        flow=flow,
        siblings=siblings,
        colon_follows=colon_follows,
        lead=_lead(text, word, col) if role != "key" else "",
        wrap=word.wrap,
    )


# ----------------------------------------------------------------------------- block lines


def _block_context(
    lines: list[str], lineno: int, col: int, info: BlockLine | None
) -> CursorContext | None:
    line = lines[lineno]
    if not line[:col].strip():
        if info is None or (col == info.indent and info.dash is None):
            typed = _key_word(line, col, col) or _Word(col, col)
            return _key_context(lines, lineno, col, col, typed)
        return None
    if info is None:
        return None  # a document marker (`---`, `...`): nothing to complete there
    if info.dash is not None and col > info.dash and (info.key is None or col <= info.indent):
        return _item_context(lines, lineno, col, info) if info.key is None else None
    if info.dash is not None and info.key is not None:
        return None  # a mapping inside a list: profiles have none
    if info.key is not None and col > info.colon:
        container, _ = _ancestors(lines, lineno, info.indent, item=False)
        value = _value_word(line, info.colon + 1, col)
        if value is None:
            return None
        return _context("value", (tuple(container), info.key), (lineno, line), col, value)
    key = _key_word(line, info.indent, col)
    return _key_context(lines, lineno, col, info.indent, key) if key is not None else None


def _key_context(
    lines: list[str], lineno: int, col: int, indent: int, word: _Word
) -> CursorContext:
    line = lines[lineno]
    container, parent = _ancestors(lines, lineno, indent, item=False)
    return _context(
        "key",
        (tuple(container), None),
        (lineno, line),
        col,
        word,
        siblings=_block_keys(lines, lineno, parent),
        colon_follows=line[word.end :].lstrip().startswith(":"),
    )


def _item_context(lines: list[str], lineno: int, col: int, info: BlockLine) -> CursorContext | None:
    assert info.dash is not None
    path, parent = _ancestors(lines, lineno, info.dash, item=True)
    line = lines[lineno]
    word = _value_word(line, info.dash + 1, col)
    if not path or word is None:
        return None
    return _context(
        "item",
        (tuple(path[:-1]), path[-1]),
        (lineno, line),
        col,
        word,
        siblings=_block_items(lines, lineno, parent),
    )


# ----------------------------------------------------------------------------- flow collections


@dataclass(slots=True)
class _Frame:
    """One open `{` or `[` on the cursor's line."""

    kind: str
    path: tuple[str, ...] | None
    """The collection's own path; None where it sits in a list (profiles have none)."""
    start: int
    """Where the current entry begins."""
    key: str | None = None
    """The current entry's key, once its `:` is read."""
    value_start: int = -1
    entries: list[str] = field(default_factory=list)
    """Keys (or items) of the finished entries, in order."""

    def finish(self, line: str, end: int) -> None:
        if self.kind == "{" and self.key is not None:
            text = self.key
        else:
            text = _unquote(line[self.start : end])
        self.entries.append(text.strip())
        self.start, self.key, self.value_start = end + 1, None, -1


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Where the flow-collection reader stood at one point of the line."""

    frame: _Frame
    index: int
    start: int
    key: str | None
    value_start: int


def _flow_context(
    lines: list[str], lineno: int, col: int, info: BlockLine | None
) -> tuple[bool, CursorContext | None]:
    """(True, context) when the cursor is inside a flow collection of its line."""
    line = lines[lineno]
    if info is None:
        return False, None
    start = info.value_start if info.key is not None else info.indent
    if start >= len(line) or line[start] not in "{[" or col <= start:
        return False, None
    if info.dash is not None:
        return True, None
    base, _ = _ancestors(lines, lineno, info.indent, item=False)
    if info.key is not None:
        base.append(info.key)
    snapshot = _scan_flow(line, start, col, tuple(base))
    if snapshot is None:
        return True, None
    return True, _flow_cursor(lineno, line, col, snapshot)


def _push(stack: list[_Frame], kind: str, at: int, base: tuple[str, ...]) -> None:
    """Open a frame; its path extends the enclosing mapping's by the entry's key."""
    path: tuple[str, ...] | None = base
    if stack:
        parent = stack[-1]
        path = None
        if parent.kind == "{" and parent.key is not None and parent.path is not None:
            path = (*parent.path, parent.key)
    stack.append(_Frame(kind, path, at + 1))


def _scan_flow(line: str, start: int, col: int, base: tuple[str, ...]) -> _Snapshot | None:
    """Read the flow collection opening at `start`; the state of its innermost open frame at
    `col`, with the entries written after the cursor too. None when the cursor lies past it."""
    stack: list[_Frame] = []
    snapshot: _Snapshot | None = None
    i = start
    while i < len(line):
        if i >= col and snapshot is None and stack:
            top = stack[-1]
            snapshot = _Snapshot(top, len(top.entries), top.start, top.key, top.value_start)
        char = line[i]
        if char in "\"'" and i > start and line[i - 1] in " \t{[,:":
            close = _closing_quote(line, i)
            i = len(line) if close < 0 else close + 1
            continue
        if char == "#" and line[i - 1] in " \t":
            break
        if char in "{[":
            _push(stack, char, i, base)
        elif char in "}]" and stack:
            stack.pop().finish(line, i)
            if not stack:
                break
        elif char == "," and stack:
            stack[-1].finish(line, i)
        elif char == ":" and stack and stack[-1].kind == "{" and stack[-1].key is None:
            top = stack[-1]
            if i + 1 >= len(line) or line[i + 1] in " \t,]}" or line[i - 1] in "\"'":
                top.key = _unquote(line[top.start : i])
                top.value_start = i + 1
        i += 1
    if snapshot is None and stack and col >= i:
        top = stack[-1]
        snapshot = _Snapshot(top, len(top.entries), top.start, top.key, top.value_start)
    return snapshot


def _flow_cursor(lineno: int, line: str, col: int, snap: _Snapshot) -> CursorContext | None:
    frame = snap.frame
    if frame.path is None:
        return None
    siblings = frozenset(e for n, e in enumerate(frame.entries) if n != snap.index and e)
    where = (lineno, line)
    if frame.kind == "[":
        word = _value_word(line, snap.start, col, _FLOW_STOPS)
        if word is None or not frame.path:
            return None
        owner = (frame.path[:-1], frame.path[-1])
        return _context("item", owner, where, col, word, flow=True, siblings=siblings)
    if snap.key is None:
        key_word = _key_word(line, snap.start, col)
        if key_word is None:
            return None
        colon = line[key_word.end :].lstrip().startswith(":")
        return _context(
            "key",
            (frame.path, None),
            where,
            col,
            key_word,
            flow=True,
            siblings=siblings,
            colon_follows=colon,
        )
    word = _value_word(line, snap.value_start, col, _FLOW_STOPS)
    if word is None:
        return None
    owner = (frame.path, snap.key)
    return _context("value", owner, where, col, word, flow=True, siblings=siblings)


# ----------------------------------------------------------------------------- entry point


def locate(text: str, position: Position) -> CursorContext | None:
    """What is being typed at `position`; None where nothing can be completed (a comment,
    past a closing quote, a structure this reader does not follow)."""
    if len(text) > MAX_CHARS:  # no profile (its analysis says so): nothing to offer
        return None
    lines = split_lines(text)
    if position.line >= len(lines):
        return None
    line = lines[position.line]
    col = min(position.character, len(line))
    if len(line) > MAX_LINE or _comment_start(line, 0) < col or _is_marker(line):
        return None
    info = read_line(line)
    handled, context = _flow_context(lines, position.line, col, info)
    if handled:
        return context
    return _block_context(lines, position.line, col, info)


# ----------------------------------------------------------------------------- the parse tree


@dataclass(frozen=True, slots=True)
class TreeHit:
    """The key, value or list item under a position in the parse tree."""

    path: tuple[PathSegment, ...]
    """Keys from the top, with an index for a list item: `('outputs', 'emit', 1)`."""
    node: Node
    """The key node, or the value node, under the position."""
    on_key: bool
    value: Node | None
    """The value of the hovered key (the hovered value itself when not on a key)."""


def node_at(root: Node | None, position: Position) -> TreeHit | None:
    """The innermost key or scalar whose range holds `position` (aliases are not followed)."""
    if root is None:
        return None
    return _hit_in(root, (), position)


def _hit_in(node: Node, path: tuple[PathSegment, ...], position: Position) -> TreeHit | None:
    if node.is_alias:
        return None
    if node.kind == "sequence":
        for index, item in enumerate(node.items):
            if item.range.contains(position):
                inner = _hit_in(item, (*path, index), position)
                if inner is not None or item.kind != "scalar":
                    return inner
                return TreeHit((*path, index), item, on_key=False, value=item)
        return None
    for pair in node.mapping_pairs():
        name = pair.key.resolved.value
        if not isinstance(name, str):
            continue
        where = (*path, name)
        if pair.key.range.contains(position):
            return TreeHit(where, pair.key, on_key=True, value=pair.value)
        value = pair.value
        if not value.range.contains(position):
            continue
        if value.kind == "scalar" or value.is_alias:
            return TreeHit(where, value, on_key=False, value=value)
        inner = _hit_in(value, where, position)
        if inner is not None:
            return inner
    return None
