"""The document as lines and offsets, and edits as the smallest diff between two texts.

Positions are code points, counted as the parser counts them (CRLF, CR and LF all end a
line); every operation is returned as `diff_edits` of the original and the result, so the
edits of one fix never overlap.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from vllm_wizard.lsp.model import TextEdit
from vllm_wizard.profile.document import Node
from vllm_wizard.profile.positions import Position, Range, split_lines

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


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
