"""plan.json's values (render/plan_json.py over planning/result.py's dataclasses).

The golden files (tests/golden/*/plan.json) pin whole documents; these pin the two
conversions pydantic makes only when plan.json is written: GiB figures rounded to 3 decimals
(exact in memory), and numbers of float fields written as floats even when the planner holds
an int.
"""

from __future__ import annotations

import json
from dataclasses import replace

from planner_testing import make_plan
from vllm_wizard.planning.memory import GIB
from vllm_wizard.planning.result import Span
from vllm_wizard.render.plan_json import memory_section, plan_json, plan_json_data


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
