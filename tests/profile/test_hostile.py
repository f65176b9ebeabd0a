"""Hostile text through the whole engine: a clear diagnostic, quickly, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostile_profiles import CASES, LIMIT_S, VALID, Hostile
from vllm_wizard.commands.common import cli_context
from vllm_wizard.pipeline import analyze
from vllm_wizard.profile.diagnostics import MAX_LISTED, Code
from vllm_wizard.profile.document import MAX_DEPTH, MAX_NODES, parse_document
from vllm_wizard.profile.text_stages import analyze_text
from wizard_testing import only, where


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_text_gets_its_diagnostic_within_the_limit(case: Hostile, tmp_path: Path) -> None:
    analyze(VALID, cli_context(tmp_path, offline=True))  # imports and catalogs, once
    started = time.perf_counter()
    analysis = analyze(case.text, cli_context(tmp_path, offline=True))
    elapsed = time.perf_counter() - started
    found = [d for d in analysis.diagnostics if d.code.value == case.code]
    assert found, [(d.code.value, d.message[:80]) for d in analysis.diagnostics]
    if case.line is not None:
        assert found[0].range.start.line == case.line
    assert elapsed < LIMIT_S, f"{case.name}: {elapsed:.2f} s"


def test_duplicate_keys_point_at_the_first_and_stop_listing_after_a_hundred() -> None:
    text = VALID + "".join(f"k: {i}\n" for i in range(MAX_LISTED + 50))
    duplicates = [d for d in analyze_text(text).diagnostics if d.code is Code.DUPLICATE_KEY]
    assert len(duplicates) == MAX_LISTED + 1
    first = duplicates[0]
    assert where(first) == (6, 1, "duplicate-key")
    assert first.related[0].range.start.line == 4
    summary = duplicates[-1]
    assert summary.range.start.line == 4 + MAX_LISTED + 1
    assert summary.message.startswith("49 more duplicate keys")


def test_the_last_of_duplicate_keys_is_the_one_used() -> None:
    analysis = analyze_text("model:\n  id: a/b\n  id: c/d\n")
    assert analysis.profile is not None and analysis.profile.model.id == "c/d"
    assert where(analysis.diagnostics[0]) == (3, 3, "duplicate-key")


def test_number_keys_are_compared_as_values() -> None:
    found = analyze_text(VALID + "1: a\n0x1: b\n'1': c\n").diagnostics
    assert [where(d) for d in found if d.code is Code.DUPLICATE_KEY] == [(6, 1, "duplicate-key")]


def test_a_self_referencing_alias_is_reported_and_read_as_null() -> None:
    analysis = analyze_text("model: &m {id: x, self: *m}\n")
    codes = [where(d) for d in analysis.diagnostics]
    assert (1, 25, "alias-expansion") in codes
    recursive = next(d for d in analysis.diagnostics if d.code is Code.ALIAS_EXPANSION)
    assert "*m" in recursive.message and "mapping" in recursive.message
    assert analysis.profile is not None and analysis.profile.model.id == "x"


def test_an_alias_to_a_finished_anchor_is_not_recursive() -> None:
    analysis = analyze_text("base: &b {id: a/b}\nmodel: *b\n")
    assert Code.ALIAS_EXPANSION not in {d.code for d in analysis.diagnostics}
    assert analysis.profile is not None and analysis.profile.model.id == "a/b"


def test_a_long_list_is_too_large_not_an_alias_bomb() -> None:
    text = VALID + "x: [" + ",".join(["1"] * (MAX_NODES + 1)) + "]\n"
    diagnostic = only(text)
    assert diagnostic.code is Code.DOCUMENT_TOO_LARGE
    assert "alias" not in diagnostic.message.lower()
    assert f"more than {MAX_NODES:,} YAML values" in diagnostic.message


def test_nesting_past_the_limit_through_aliases_is_refused_at_the_alias() -> None:
    deepest = "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)  # in the root: MAX_DEPTH
    diagnostic = only(f"{VALID}a: &a {deepest}\nb: [*a]\n")
    assert where(diagnostic) == (6, 5, "alias-expansion")
    assert f"more than {MAX_DEPTH} levels deep" in diagnostic.message
    as_deep = analyze_text(f"{VALID}a: &a {deepest}\nb: *a\n").diagnostics
    assert Code.ALIAS_EXPANSION not in {d.code for d in as_deep}


def test_a_lone_surrogate_keeps_every_position() -> None:
    text = "model:\n  id: a\ud800b\n  dtype: fp99\n"
    analysis = analyze_text(text)
    assert [where(d) for d in analysis.diagnostics] == [
        (2, 8, "encoding"),
        (3, 10, "invalid-value"),
    ]
    assert analysis.document.text == text.replace("\ud800", "\ufffd")
    assert analysis.profile is None
    assert "U+D800" in analysis.diagnostics[0].message


def test_values_read_are_counted_for_the_cost_of_rereading() -> None:
    assert parse_document("a: [1, 2]\n").values == 5  # the mapping, a, the list, 1, 2


def test_reading_keys_takes_time_linear_in_their_number() -> None:
    """The duplicate-key check compared each key with every earlier one: four times the keys
    took sixteen times as long. Best of three runs, to see through a busy machine."""

    def seconds(keys: int) -> float:
        text = "".join(f"key{i}: {i}\n" for i in range(keys))
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            parse_document(text)
            runs.append(time.perf_counter() - started)
        return min(runs)

    small, large = seconds(1_200), seconds(4_800)
    assert large / small < 8, f"{small:.3f} s for 1,200 keys, {large:.3f} s for 4,800"
