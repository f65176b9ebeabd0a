"""Plain-text rendering of the Markdown the feature modules write, for clients that do not
render Markdown.

LSP clients say which markup they render (`hover.contentFormat`,
`completionItem.documentationFormat`); one that does not list `markdown` (eglot without
markdown-mode, Kate's completion popup) shows Markdown as written: `**`, backticks, table pipes.
The feature modules write one text, in Markdown; this turns it into the same content as plain
text. It knows the subset they write: bold, emphasis, code spans, `-` lists, `---` rules and
pipe tables, which it lays out in aligned columns (a row in bold gets a ◀).
"""

from __future__ import annotations

import functools
import re

RULE = "─" * 24
"""A `---` rule in plain text."""

_CODE = re.compile(r"`([^`]*)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_HIDDEN = re.compile("\x00([0-9]+)\x00")
_HEADING = re.compile(r"^#{1,6}\s+")
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")
_WHOLLY_BOLD = re.compile(r"^\*\*.+\*\*$")

MARK = "  ◀"
"""After a table row written in bold (the row that is the user's own case), in plain text."""


def _inline(text: str) -> str:
    """Bold and emphasis dropped (also around a code span); code spans kept verbatim,
    without their backticks."""
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match.group(1))
        return f"\x00{len(spans) - 1}\x00"

    hidden = _EMPHASIS.sub(r"\1", _BOLD.sub(r"\1", _CODE.sub(hide, text)))
    return _HIDDEN.sub(lambda match: spans[int(match.group(1))], hidden)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def _is_table_line(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 2 and stripped[0] == "|" and stripped[-1] == "|"


def _table(lines: list[str]) -> list[str]:
    """A pipe table in aligned columns: the header, a dashed line, the rows."""
    rows = [_cells(line) for line in lines]
    right: list[bool] = []
    if len(rows) >= 2 and all(_SEPARATOR_CELL.match(cell) for cell in rows[1]):
        right = [cell.endswith(":") and not cell.startswith(":") for cell in rows[1]]
        rows = [rows[0], *rows[2:]]
    marked = [any(_WHOLLY_BOLD.match(cell) for cell in row) for row in rows]
    rows = [[_inline(cell) for cell in row] for row in rows]
    count = max(len(row) for row in rows)
    rows = [row + [""] * (count - len(row)) for row in rows]
    right += [False] * (count - len(right))
    widths = [max(len(row[column]) for row in rows) for column in range(count)]

    def layout(row: list[str]) -> str:
        cells = [
            cell.rjust(width) if aligned else cell.ljust(width)
            for cell, width, aligned in zip(row, widths, right, strict=True)
        ]
        return "  ".join(cells).rstrip()

    dashes = "  ".join("-" * width for width in widths).rstrip()
    body = [layout(row) + (MARK if mark else "") for row, mark in zip(rows, marked, strict=True)]
    return [body[0], dashes, *body[1:]]


@functools.lru_cache(maxsize=2048)
def plain_text(markdown: str) -> str:
    """`markdown` (the subset the feature modules write) as plain text."""
    lines = markdown.split("\n")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_table_line(line):
            end = index
            while end < len(lines) and _is_table_line(lines[end]):
                end += 1
            out += _table(lines[index:end])
            index = end
            continue
        if line.strip() in ("---", "***", "___"):
            out.append(RULE)
        else:
            out.append(_inline(_HEADING.sub("", line)))
        index += 1
    return "\n".join(out)
