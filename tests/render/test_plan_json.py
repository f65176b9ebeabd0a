"""plan.json's values (render/plan_json.py and render/dataclass_json.py over planning/result.py).

The golden files (tests/golden/*/plan.json) pin whole documents. These pin the conversions the
hand-written dump shares with pydantic (which plan.json was written with until it stopped
importing it): the same text as pydantic's `mode="json"` for every example and for plans that
search, GiB figures rounded to 3 decimals (exact in memory), float fields written as floats
even when the planner holds an int.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from planner_testing import make_plan
from vllm_wizard.commands.common import cli_context
from vllm_wizard.pipeline import analyze
from vllm_wizard.planning.memory import GIB
from vllm_wizard.planning.result import FieldEdit, Span
from vllm_wizard.render.dataclass_json import section_data
from vllm_wizard.render.plan_json import (
    memory_section,
    plan_document,
    plan_document_adapter,
    plan_json,
    plan_json_data,
)
from wizard_testing import EXAMPLES

SEARCHING = {
    "70B on one RTX 4090": "model: {id: meta-llama/Llama-3.1-70B-Instruct}\n"
    "hardware: {gpu_name: RTX 4090}\n",
    "8B on an L4 with latency targets": "model: {id: meta-llama/Llama-3.1-8B-Instruct}\n"
    "hardware: {gpu_name: L4}\n"
    "workload: {concurrency: 64, slo: {ttft_ms: 200, tpot_ms: 20}}\n",
    "an unknown GPU": "model: {id: meta-llama/Llama-3.1-8B-Instruct}\n"
    "hardware: {gpu_name: Mystery GPU, vram_gb: 24}\n",
}


def _texts() -> list[tuple[str, str]]:
    examples = [(path.name, path.read_text()) for path in sorted(EXAMPLES.glob("*.yaml"))]
    return examples + list(SEARCHING.items())


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[name for name, _ in _texts()])
def test_the_document_is_what_pydantic_writes(name: str, text: str) -> None:
    analysis = analyze(text, cli_context(EXAMPLES, offline=True))
    assert analysis.plan is not None, name
    document = plan_document(analysis.plan, analysis.diagnostics)
    pydantic_data = plan_document_adapter().dump_python(document, mode="json")
    ours = plan_json_data(analysis.plan, analysis.diagnostics)
    # compared as text: 1 == 1.0 in Python, not in plan.json
    assert json.dumps(ours, indent=2) == json.dumps(pydantic_data, indent=2)


def test_gib_figures_are_exact_in_memory_and_rounded_in_plan_json() -> None:
    plan = make_plan()  # Llama-3.1-8B on one H100 SXM: 52.98785… GiB of KV cache
    exact = plan.memory.stage.kv_cache / GIB
    assert memory_section(plan).kv_cache_gib == exact != round(exact, 3)
    data = plan_json_data(plan, ())
    assert data["memory"]["kv_cache_gib"] == round(exact, 3) == 52.988
    assert data["hardware"]["memory_gib_per_gpu"] == 79.18
    # figures that are not GiB keep every digit
    ttft = plan.performance.ttft_ms
    assert ttft is not None and data["performance"]["ttft_ms"]["point"] == ttft.point


def test_float_fields_are_written_as_floats_when_the_planner_holds_ints() -> None:
    plan = make_plan()
    plan = replace(
        plan, performance=replace(plan.performance, ttft_ms=Span(low=1, high=3, point=2))
    )
    ttft = json.loads(plan_json(plan, ()))["performance"]["ttft_ms"]
    assert ttft == {"low": 1.0, "high": 3.0, "point": 2.0}
    assert '"low": 1.0,' in plan_json(plan, ())


@pytest.mark.parametrize(
    "section",
    [
        FieldEdit(field="x", value=(1, 2.0, {"k": math.inf}, math.nan, None, "s", [True])),
        Span(low=math.nan, high=-math.inf, point=None),
        Span(low=1, high=2, point=1.5),
    ],
)
def test_values_typed_any_and_odd_floats_as_pydantic_writes_them(section: FieldEdit | Span) -> None:
    from pydantic import TypeAdapter

    reference = TypeAdapter(type(section)).dump_python(section, mode="json")
    assert json.dumps(section_data(section)) == json.dumps(reference)
