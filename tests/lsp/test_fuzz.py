"""Every feature on broken text: mutated example profiles (a deterministic fuzzer) and the
places the cursor reader used to trip on. No exception, and every analysis in time."""

from __future__ import annotations

import random
import time

import pytest

from hostile_profiles import LIMIT_S, VALID
from vllm_wizard.lsp import actions, completion, hover, lens, symbols
from vllm_wizard.lsp.convert import Converter
from vllm_wizard.lsp.cursor import MAX_LINE, locate
from vllm_wizard.lsp.documents import Analyzer
from vllm_wizard.lsp.symbols import MAX_ENTRIES
from vllm_wizard.profile.positions import Position, Range
from wizard_testing import EXAMPLES

SEED = 20261204
MUTANTS = 1500
BUDGET_S = 20.0
"""The whole run: a few seconds on a quiet machine."""

TOKENS = [
    "---", "...", "%YAML 1.1\n", "&a ", "*a", "<<: *a", "&b [*b]", "{", "}", "[", "]", ",",
    ":", ": ", "- ", "? ", "!!str ", "!!binary ", "!foo ", '"', "'", "#", "\t", "\n", "\r",
    "\r\n", "\u2028", "\ufeff", "\ud800", "😀", "中", "|", ">", "null", "~", "~root/", "1e999",
    ".nan", "0x1F", "yes", "2001-12-14", '"\\0"', "a" * 300, "model", "id", "hardware",
    "vllm_args:\n    ", "tp_size: ", "gpus: ", "-1", "0", '""', "[]", "{}", "\n  ", "\n- ",
]  # fmt: skip


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(chars))
        roll = rng.random()
        if roll < 0.45:
            chars[at:at] = list(rng.choice(TOKENS))
        elif roll < 0.7:
            del chars[at : at + rng.randint(1, 8)]
        elif roll < 0.85:
            start = rng.randint(0, len(chars))
            chars[at:at] = chars[start : start + rng.randint(1, 40)]
        else:
            lines = "".join(chars).split("\n")
            index = rng.randrange(len(lines))
            lines[index] = " " * rng.randint(0, 6) + lines[index].lstrip()
            chars = list("\n".join(lines))
    return "".join(chars)


def exercise(analyzer: Analyzer, uri: str, text: str, rng: random.Random) -> float:
    """Analyse `text`, then run every feature at a few places; the analysis' seconds."""
    started = time.perf_counter()
    analysis = analyzer.analysis(uri, text, 1)
    elapsed = time.perf_counter() - started
    if analysis is None:
        return elapsed
    lines = analysis.document.lines
    for encoding in ("utf-16", "utf-8"):
        converter = Converter(lines, encoding)
        for diagnostic in analysis.diagnostics:
            converter.diagnostic(diagnostic, uri)
    symbols.document_symbols(analysis)
    lens.code_lenses(analysis, uri)
    for _ in range(4):
        line = rng.randrange(len(lines))
        position = Position(line, rng.randint(0, len(lines[line]) + 1))
        hover.hover(analysis, position)
        completion.complete(analysis.text, position, analysis)
        actions.code_actions(analysis, uri, Range(position, position), [], None)
    actions.code_actions(analysis, uri, Range(Position(0, 0), Position(len(lines), 0)), [])
    return elapsed


def test_mutated_profiles_never_raise_and_are_analysed_in_time(tmp_path: object) -> None:
    rng = random.Random(SEED)
    bases = [path.read_text() for path in sorted(EXAMPLES.glob("*.yaml"))]
    analyzer = Analyzer()
    analyzer.analysis("file:///warm/profile.yaml", bases[0], 0)
    started = time.perf_counter()
    slow: list[tuple[float, str]] = []
    for index in range(MUTANTS):
        text = mutate(rng, rng.choice(bases))
        uri = f"file:///fuzz/{index}/profile.yaml"
        try:
            elapsed = exercise(analyzer, uri, text, rng)
        except Exception as error:
            pytest.fail(f"mutant {index} raised {error!r} on:\n{text}")
        if elapsed > LIMIT_S:
            slow.append((elapsed, text))
        analyzer.forget(uri)
    assert not slow, slow[:1]
    assert time.perf_counter() - started < BUDGET_S


@pytest.mark.parametrize("marker", ["---", "--- ", "...", "--- !!map", "%YAML 1.1", "%TAG ! x"])
def test_completion_on_a_document_marker_offers_nothing(marker: str) -> None:
    text = VALID + marker + "\n" + VALID
    line = VALID.count("\n")
    for column in range(len(marker) + 1):
        assert locate(text, Position(line, column)) is None
        assert completion.complete(text, Position(line, column)).items == []


def test_a_line_too_long_to_be_a_profile_is_not_read_for_completion() -> None:
    long_line = "model:\n  id: " + "a" * MAX_LINE + "\n"
    assert locate(long_line, Position(1, 10)) is None
    assert locate("model:\n  id: a\n", Position(1, 7)) is not None


def test_the_outline_of_thousands_of_keys_stops_at_its_limit() -> None:
    text = VALID + "outputs:\n  vllm_args:\n" + "".join(f"    k{i}: {i}\n" for i in range(900))
    text += "".join(f"key{i}: {i}\n" for i in range(900))
    analysis = Analyzer().analysis("file:///x/profile.yaml", text, 1)
    assert analysis is not None
    outline = symbols.document_symbols(analysis)
    assert len(outline) == MAX_ENTRIES
    outputs = next(symbol for symbol in outline if symbol.name == "outputs")
    assert len(outputs.children[0].children) == MAX_ENTRIES
