"""Small helpers shared by the profile tests."""

from __future__ import annotations

from pathlib import Path

from vllm_wizard.profile.diagnostics import Diagnostic
from vllm_wizard.profile.text_stages import analyze_text

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples" / "profiles"

VALID = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
hardware:
  gpu_name: H100 SXM
"""


def diagnostics(text: str) -> list[Diagnostic]:
    return analyze_text(text).diagnostics


def where(diagnostic: Diagnostic) -> tuple[int, int, str]:
    """(1-based line, 1-based column, code), as `check` prints them."""
    start = diagnostic.range.start
    return (start.line + 1, start.character + 1, diagnostic.code.value)


def only(text: str) -> Diagnostic:
    found = diagnostics(text)
    assert len(found) == 1, [(*where(d), d.message) for d in found]
    return found[0]
