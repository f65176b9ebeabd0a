"""Positions and ranges in a document, and their conversion between encodings.

PyYAML marks count code points; the LSP counts UTF-16 units (VS Code) or UTF-8 bytes
(Neovim offers it first). We keep code points inside the engine and convert at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PositionEncoding = Literal["utf-8", "utf-16", "utf-32"]
"""The LSP's names; utf-32 means code points, which is what the CLI reports."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 0-based line and a 0-based column counted in code points."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    """A half-open span [start, end) in code points."""

    start: Position
    end: Position

    @staticmethod
    def at(line: int, character: int, length: int = 0) -> Range:
        """A range on one line, `length` code points long."""
        return Range(Position(line, character), Position(line, character + length))

    def contains(self, position: Position) -> bool:
        """True when the position lies inside the range (its end included, as editors do)."""
        return self.start <= position <= self.end


def _units(char: str, encoding: PositionEncoding) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    return len(char.encode("utf-8", "surrogatepass"))


def column_to_units(line_text: str, character: int, encoding: PositionEncoding) -> int:
    """Convert a code-point column on `line_text` into `encoding` units."""
    if encoding == "utf-32":
        return character
    prefix = line_text[:character]
    past_end = max(0, character - len(line_text))
    if prefix.isascii():
        return character
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2 + past_end
    return len(prefix.encode("utf-8", "surrogatepass")) + past_end


def units_to_column(line_text: str, units: int, encoding: PositionEncoding) -> int:
    """Convert a column in `encoding` units on `line_text` back into code points.

    A column that falls inside a character (half a surrogate pair) snaps to that character.
    """
    if encoding == "utf-32" or line_text.isascii():
        return units
    count = 0
    for index, char in enumerate(line_text):
        if count >= units:
            return index
        count += _units(char, encoding)
    return len(line_text) + max(0, units - count)


def split_lines(text: str) -> list[str]:
    """Lines as YAML and the LSP count them: \\r\\n, \\r and \\n each end one line."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
