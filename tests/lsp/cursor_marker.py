"""Test texts with a `<CURSOR>` marker: the text without it, and the marker's position.

Positions are (0-based line, code-point column), as the feature modules take them; an emoji
before the marker counts one column here (two UTF-16 units in VS Code).
"""

from __future__ import annotations

from vllm_wizard.models.resolve import resolve_model_locally
from vllm_wizard.pipeline import Analysis, EngineContext, analyze
from vllm_wizard.profile.positions import Position

CURSOR = "<CURSOR>"

OFFLINE = EngineContext(
    resolve_model=lambda i, r, b, p: resolve_model_locally(i, r, base_dir=b, params_b=p)
)
"""Every stage, models resolved from the catalog, a local folder or the HF cache only."""


def at_cursor(marked: str) -> tuple[str, Position]:
    """Remove the one `<CURSOR>` from `marked`; return the text and the marker's position."""
    assert marked.count(CURSOR) == 1, f"need exactly one {CURSOR} in {marked!r}"
    index = marked.index(CURSOR)
    text = marked.replace(CURSOR, "", 1)
    before = text[:index]
    line = before.count("\n")
    return text, Position(line, index - (before.rfind("\n") + 1))


def analyzed(marked: str, context: EngineContext = OFFLINE) -> tuple[Analysis, Position]:
    """A full offline analysis of the marked text, and the cursor's position."""
    text, position = at_cursor(marked)
    return analyze(text, context), position
