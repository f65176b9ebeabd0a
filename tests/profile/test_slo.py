"""`workload.slo`: validated where written, and checked against the estimate at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vllm_wizard.cli import main
from vllm_wizard.lsp.completion import complete
from vllm_wizard.lsp.hover import field_markdown
from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.positions import Position
from wizard_testing import VALID, diagnostics, only, where

WORKLOAD = "workload:\n  concurrency: 64\n  prompt_tokens: 1024\n  slo:\n"


def test_targets_are_optional_and_profiles_without_them_load() -> None:
    assert parse_profile({"model": {"id": "x/y"}}).workload.slo is None
    profile = parse_profile(
        {"model": {"id": "x/y"}, "workload": {"slo": {"ttft_ms": 2000, "tpot_ms": 50.5}}}
    )
    assert profile.workload.slo is not None
    assert (profile.workload.slo.ttft_ms, profile.workload.slo.tpot_ms) == (2000, 50.5)
    assert diagnostics(VALID + "workload:\n  slo: null\n") == []


def test_a_target_must_be_positive_and_is_reported_on_its_value() -> None:
    diagnostic = only(VALID + WORKLOAD + "    ttft_ms: -5\n")
    assert where(diagnostic) == (9, 14, "invalid-value")
    assert "`workload.slo.ttft_ms`" in diagnostic.message


def test_an_unknown_target_gets_a_did_you_mean() -> None:
    diagnostic = only(VALID + WORKLOAD + "    tpot: 50\n")
    assert where(diagnostic) == (9, 5, "unknown-key")
    assert "Did you mean `tpot_ms`?" in diagnostic.message


def test_check_reports_a_missed_target_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(VALID + WORKLOAD + "    ttft_ms: 300\n    tpot_ms: 500\n")
    code = main(["check", str(profile)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    assert line.startswith(f"{profile}:9:14: warning[slo-missed] At concurrency 64 the estimated")
    assert "p90 time to first token" in line and "(target 300 ms)" in line
    assert "tpot" not in line.split(":", 3)[3].lower()


def test_a_target_is_quoted_as_written_not_rounded_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(VALID + WORKLOAD + "    ttft_ms: 0.5\n    tpot_ms: 0.25\n")
    main(["check", str(profile)])
    [line] = capsys.readouterr().out.splitlines()
    assert "(target 0.5 ms)" in line and "(target 0.25 ms)" in line


def test_the_editor_completes_and_explains_the_targets() -> None:
    text = VALID + "workload:\n  slo:\n    ttft_ms: 500\n    \n"
    labels = [item.label for item in complete(text, Position(7, 4)).items]
    assert labels == ["tpot_ms"]
    docs = field_markdown(("workload", "slo", "tpot_ms"))
    assert docs is not None and docs.startswith(
        "**Time per output token (ms)** · `workload.slo.tpot_ms`"
    )
    section = field_markdown(("workload", "slo"))
    assert section is not None and "- Fields: `ttft_ms`, `tpot_ms`, each optional." in section
