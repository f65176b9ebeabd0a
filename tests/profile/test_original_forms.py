"""Spellings profiles written for the original CLI use: `tp_size: auto` and an interconnect in
any case (`NVLink`). Both load, mean what they say, and the published JSON Schema agrees."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from vllm_wizard.commands.common import cli_context
from vllm_wizard.lsp.hover import field_choices
from vllm_wizard.pipeline import analyze
from vllm_wizard.profile.text_stages import analyze_text
from wizard_testing import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "schemas" / "profile.schema.json").read_text())

PROFILE = """\
model:
  id: meta-llama/Llama-3.1-70B-Instruct
  max_model_len: 8192
hardware:
  gpu_name: H100 SXM
  gpus: 4
  tp_size: {tp}
  interconnect: {link}
"""


def _load(tp: str = "null", link: str = "unknown") -> Any:
    return analyze_text(PROFILE.format(tp=tp, link=link))


@pytest.mark.parametrize("written", ["auto", '"auto"'])
def test_tp_size_auto_lets_the_planner_choose_as_null_does(written: str) -> None:
    result = _load(tp=written)
    assert result.diagnostics == []
    assert result.profile is not None and result.profile.hardware.tp_size is None
    context = cli_context(None, offline=True)
    chosen = analyze(PROFILE.format(tp=written, link="unknown"), context).plan
    null = analyze(PROFILE.format(tp="null", link="unknown"), context).plan
    assert chosen is not None and null is not None
    assert (chosen.setup.tp, chosen.setup.pp) == (null.setup.tp, null.setup.pp)
    assert chosen.setup.tp > 1  # 70B in bf16 does not fit one H100: the planner chose


@pytest.mark.parametrize(("written", "expected"), [("4", 4), ("1", 1)])
def test_tp_size_numbers_still_work(written: str, expected: int) -> None:
    result = _load(tp=written)
    assert result.profile is not None and result.profile.hardware.tp_size == expected


@pytest.mark.parametrize("written", ["fast", "0", "2.5"])
def test_a_bad_tp_size_says_auto_is_allowed(written: str) -> None:
    [diagnostic] = _load(tp=written).diagnostics
    assert diagnostic.code.value == "invalid-value"
    assert diagnostic.message.startswith(
        "`hardware.tp_size` must be a whole number of at least 1, `auto` or null; got "
    )
    assert diagnostic.range.start.line == 6


@pytest.mark.parametrize(
    ("written", "expected"),
    [("NVLink", "nvlink"), ("NVLINK", "nvlink"), ("PCIe", "pcie"), ("Unknown", "unknown")],
)
def test_interconnect_in_any_case(written: str, expected: str) -> None:
    result = _load(link=written)
    assert result.diagnostics == []
    assert result.profile is not None and result.profile.hardware.interconnect == expected


def test_an_unknown_interconnect_is_still_an_error() -> None:
    [diagnostic] = _load(link="NVSwitch").diagnostics
    assert diagnostic.message == (
        '`hardware.interconnect` must be one of `pcie`, `nvlink`, `unknown`; got "NVSwitch".'
    )


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("tp_size", "auto", True),
        ("tp_size", 2, True),
        ("tp_size", None, True),
        ("tp_size", "fast", False),
        ("tp_size", 0, False),
        ("interconnect", "NVLink", True),
        ("interconnect", "pcie", True),
        ("interconnect", "NVSwitch", False),
    ],
)
def test_the_published_schema_agrees(field: str, value: Any, valid: bool) -> None:
    document = {"model": {"id": "a/b"}, "hardware": {field: value}}
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(document))
    assert (errors == []) is valid, errors


def test_editors_still_offer_the_canonical_values() -> None:
    assert field_choices(("hardware", "interconnect")) == ("pcie", "nvlink", "unknown")
    assert field_choices(("workload", "mode")) == ("throughput", "latency", "balanced")
