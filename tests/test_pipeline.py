"""The staged pipeline (pipeline.py): planner findings → diagnostics at exact ranges.

Models resolve with the real offline resolver (`resolve_model_locally`: catalog and local cache,
never the network); GPU detection is a fake `detect` returning a real `Detection`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vllm_wizard.catalog.gpus import gpu_by_nvml_name
from vllm_wizard.findings import Finding
from vllm_wizard.hardware.nvml import DetectedGpu, Detection
from vllm_wizard.models.resolve import ModelUnresolved, resolve_model_locally
from vllm_wizard.pipeline import (
    Analysis,
    EngineContext,
    PlanCache,
    analyze,
    field_range,
    to_diagnostic,
)
from vllm_wizard.planning import plan as plan_module
from vllm_wizard.profile.diagnostics import Code, Diagnostic, Severity
from vllm_wizard.profile.positions import Range

MIB = 2**20
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def offline(model_id: str, revision: str | None, base: Path | None, params_b: float | None) -> Any:
    return resolve_model_locally(model_id, revision, base_dir=base, params_b=params_b)


def context(detect: Any = None) -> EngineContext:
    return EngineContext(resolve_model=offline, detect=detect)


def run(text: str, detect: Any = None, cache: PlanCache | None = None) -> Analysis:
    return analyze(text, context(detect), cache=cache or PlanCache())


def span(line: int, start: int, end: int) -> Range:
    return Range.at(line, start, end - start)


def only(analysis: Analysis, code: Code) -> Diagnostic:
    found = [d for d in analysis.diagnostics if d.code is code]
    assert len(found) == 1, [(d.code.value, d.message) for d in analysis.diagnostics]
    return found[0]


def codes(analysis: Analysis) -> list[str]:
    return [d.code.value for d in analysis.diagnostics]


def h100(count: int = 1, free_mib: int = 80_000) -> Detection:
    board = DetectedGpu(
        index=0,
        name="NVIDIA H100 80GB HBM3",
        uuid="GPU-1",
        memory_total_bytes=81_559 * MIB,
        memory_free_bytes=free_mib * MIB,
        compute_capability=(9, 0),
        nvlink_active_links=18,
        catalog=gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 81_559),
    )
    return Detection(
        gpus=(board,) * count, driver_version="550.54.15", cuda_version="12.4", error=None
    )


# Llama-3.1-8B on an L4 does not start at its full 131,072-token length (16 GiB of KV needed,
# 3.34 GiB available; see tests/planning/test_recommend.py).
L4_FULL_LENGTH = f"""\
model:
  id: {LLAMA}
  max_model_len: 131072
hardware:
  gpu_name: L4
"""


# ----------------------------------------------------------------------------- ranges


def test_does_not_start_lands_on_the_max_model_len_value() -> None:
    analysis = run(L4_FULL_LENGTH)
    diagnostic = only(analysis, Code.DOES_NOT_START)
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.range == span(2, 17, 23)  # `131072`
    # related information: the written fields that contribute, at their values
    assert [(r.range, r.message) for r in diagnostic.related] == [
        (span(1, 6, 38), "weights 14.99 GiB per GPU"),
        (span(4, 12, 14), "L4: 21.95 GiB as CUDA reports it"),
    ]
    assert diagnostic.data is not None and diagnostic.data["needed_gib"] == 16.0
    assert analysis.plan is not None and not analysis.plan.starts


def test_without_max_model_len_or_tp_the_finding_falls_back_to_the_next_written_field() -> None:
    # fields: max_model_len, tp_size, gpu_name, model.id → the first written is gpu_name
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: L4\n")
    diagnostic = only(analysis, Code.DOES_NOT_START)
    assert diagnostic.range == span(3, 12, 14)  # `L4`
    # the related entry on that same range is left out
    assert [r.message for r in diagnostic.related] == ["weights 14.99 GiB per GPU"]
    # with tp_size written, it is blamed first
    with_tp = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: L4\n  tp_size: 1\n")
    assert only(with_tp, Code.DOES_NOT_START).range == span(4, 11, 12)


def test_a_finding_whose_fields_are_not_written_lands_on_the_nearest_section_key() -> None:
    text = f"model:\n  id: {LLAMA}\nworkload:\n  prompt_tokens: 512\n"
    root = run(text).document.root
    finding = Finding(Code.LOW_HEADROOM, Severity.WARNING, "m", (("workload", "concurrency"),))
    assert to_diagnostic(root, finding).range == span(2, 0, 8)  # the `workload` key
    nested = Finding(Code.LOW_HEADROOM, Severity.WARNING, "m", (("outputs", "vllm_args", "x"),))
    assert to_diagnostic(root, nested).range == Range.at(0, 0)  # nothing written: the top
    assert to_diagnostic(root, Finding(Code.LOW_HEADROOM, Severity.WARNING, "m", ())).range == (
        Range.at(0, 0)
    )


def test_does_not_fit_falls_back_from_concurrency_to_prompt_tokens() -> None:
    # concurrency not written: the next field blamed, prompt_tokens (a 3 GiB headroom is more
    # than the L4's KV leaves at 8,192 tokens)
    text = (
        f"model:\n  id: {LLAMA}\n  max_model_len: 8192\nhardware:\n  gpu_name: L4\n"
        "workload:\n  prompt_tokens: 8000\npolicy:\n  headroom_gb: 3\n"
    )
    diagnostic = only(run(text), Code.DOES_NOT_FIT)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.range == span(6, 17, 21)  # `8000`


def test_field_range_requires_every_segment() -> None:
    root = run(f"model:\n  id: {LLAMA}\n").document.root
    assert field_range(root, ("model", "id")) == span(1, 6, 38)
    assert field_range(root, ("model", "id"), "key") == span(1, 2, 4)
    assert field_range(root, ("model", "dtype")) is None
    assert field_range(root, ("hardware", "gpu_name")) is None
    assert field_range(None, ("model", "id")) is None


# ----------------------------------------------------------------------------- resolution


def test_a_model_unknown_offline_is_a_warning_and_nothing_is_planned() -> None:
    analysis = run("model:\n  id: acme/not-a-real-model\nhardware:\n  gpu_name: H100 SXM\n")
    diagnostic = only(analysis, Code.MODEL_UNRESOLVED)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.range == span(1, 6, 27)
    assert diagnostic.message.startswith(
        "`acme/not-a-real-model` is not in the bundled catalog or the Hugging Face cache, and the"
        " Hub was not asked"
    )
    assert diagnostic.data is not None
    assert diagnostic.data["reason"] == "offline" and diagnostic.data["fixes"] == []
    assert diagnostic.data["tried"][0] == "bundled catalog"
    assert isinstance(analysis.model, ModelUnresolved) and analysis.plan is None
    assert not any(d.is_error for d in analysis.diagnostics)


def test_a_misspelt_model_suggests_catalog_ids() -> None:
    analysis = run(f"model:\n  id: {LLAMA[:-1]}\nhardware:\n  gpu_name: H100 SXM\n")
    diagnostic = only(analysis, Code.MODEL_UNRESOLVED)
    assert diagnostic.data is not None
    assert diagnostic.data["fixes"][0] == {
        "title": f"Use {LLAMA}",
        "edits": [{"path": ["model", "id"], "value": LLAMA}],
        "preferred": False,
        "remove": False,
    }


def test_an_edit_elsewhere_does_not_fuzzy_match_the_unknown_id_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A private fine-tune planned as its `base_model` is an unknown id on every keystroke:
    its "did you mean" search over the catalog took ~14 ms of each analysis (a loaded 2-core
    machine), over the 10 ms a keystroke may take. The answer for an id does not change."""
    import difflib

    text = (
        "model:\n  id: myorg/private-llama-70b-ft\n  base_model: {LLAMA70}\n"
        "hardware:\n  gpu_name: A100 SXM 80GB\n  gpus: {gpus}\n"
    ).replace("{LLAMA70}", "meta-llama/Llama-3.1-70B-Instruct")
    run(text.replace("{gpus}", "4"))
    matchers: list[object] = []
    real = difflib.SequenceMatcher

    def counting(*args: Any, **kwargs: Any) -> difflib.SequenceMatcher[str]:
        matchers.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(difflib, "SequenceMatcher", counting)
    analysis = run(text.replace("{gpus}", "8"))
    assert analysis.plan is not None and analysis.plan.setup.tp > 1
    assert matchers == []


def test_gpu_auto_without_a_driver_is_a_warning() -> None:
    def no_driver() -> Detection:
        return Detection((), None, None, "No NVIDIA driver found (NVML could not be loaded).")

    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: auto\n", no_driver)
    diagnostic = only(analysis, Code.GPU_UNDETECTED)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.range == span(3, 12, 16)
    assert diagnostic.message == (
        "`gpu_name: auto` could not detect a GPU. No NVIDIA driver found (NVML could not be"
        " loaded)."
    )
    assert analysis.plan is None and not any(d.is_error for d in analysis.diagnostics)
    # gpu_name left out means auto: the warning goes to the top (no hardware section)
    default = run(f"model:\n  id: {LLAMA}\n", no_driver)
    assert only(default, Code.GPU_UNDETECTED).range == Range.at(0, 0)


def test_gpu_auto_with_a_detected_gpu_offers_to_pin_it() -> None:
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: auto\n", lambda: h100(2))
    diagnostic = only(analysis, Code.GPU_DETECTED)
    assert diagnostic.severity is Severity.INFO
    assert diagnostic.range == span(3, 12, 16)
    assert diagnostic.message == (
        "Detected 2 × NVIDIA H100 80GB HBM3: planning for H100 SXM, 79.18 GiB as CUDA reports it"
        " (from the catalog)."
    )
    assert diagnostic.data == {
        "fixes": [
            {
                "title": "Pin gpu_name: H100 SXM",
                "edits": [{"path": ["hardware", "gpu_name"], "value": "H100 SXM"}],
                "preferred": True,
                "remove": False,
            }
        ]
    }
    assert analysis.plan is not None and analysis.plan.gpu.source == "nvml"
    assert analysis.plan.fits


def test_a_busy_detected_gpu_and_more_gpus_than_the_machine_has() -> None:
    # 60,000 MiB free < 0.9 × 79.18 GiB; the profile asks for 2 GPUs, the machine has 1
    text = f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: auto\n  gpus: 2\n"
    analysis = run(text, lambda: h100(1, free_mib=60_000))
    assert only(analysis, Code.GPU_FREE_MEMORY).severity is Severity.WARNING
    layout = only(analysis, Code.PARALLEL_LAYOUT)
    assert layout.message == "The profile plans for 2 GPUs; this machine has 1."
    assert layout.range == span(4, 8, 9)
    # vLLM would refuse it: NVML's free memory is below what utilization 0.9 asks for. The fix
    # is the highest utilization the free memory allows: 58.59375 / 79.18 GiB = 0.740007 → 0.74,
    # re-planned (tp left to the planner: it takes 1 of the 2 GPUs), so its title says what
    # it buys
    assert analysis.plan is not None and not analysis.plan.starts
    refusal = only(analysis, Code.DOES_NOT_START)
    # policy.gpu_memory_utilization is not written (nor is `policy`): it lands on gpu_name
    assert refusal.range == span(3, 12, 16)
    assert refusal.data == {
        "fixes": [
            {
                "title": "Set gpu_memory_utilization: 0.74 (fits: 40.3 GiB KV, 330,288 tokens)",
                "edits": [{"path": ["policy", "gpu_memory_utilization"], "value": 0.74}],
                "preferred": True,
                "remove": False,
            }
        ]
    }
    fixed = run(text + "policy:\n  gpu_memory_utilization: 0.74\n", lambda: h100(1, 60_000))
    assert fixed.plan is not None and fixed.plan.starts


def test_an_ambiguous_gpu_name_is_a_warning_with_a_fix_per_candidate() -> None:
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H100\n")
    diagnostic = only(analysis, Code.GPU_AMBIGUOUS)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.range == span(3, 12, 16)
    assert diagnostic.message == (
        "`H100` could be 3 GPUs (80 or 94 GB): H100 PCIe (79.11 GiB), H100 SXM (79.18 GiB),"
        " H100 NVL (93.00 GiB); planning for the smallest, H100 PCIe, until you name one."
    )
    assert diagnostic.data is not None
    assert [f["edits"][0]["value"] for f in diagnostic.data["fixes"]] == [
        "H100 PCIe",
        "H100 SXM",
        "H100 NVL",
    ]
    assert analysis.plan is not None and analysis.plan.gpu.name == "H100 PCIe"


def test_h20_asks_96_or_141_gb_with_a_fix_each() -> None:
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H20\n")
    diagnostic = only(analysis, Code.GPU_AMBIGUOUS)
    assert diagnostic.message.startswith("`H20` could be 2 GPUs (96 or 141 GB):")
    assert diagnostic.data is not None
    assert [f["edits"][0]["value"] for f in diagnostic.data["fixes"]] == ["H20 96GB", "H20 141GB"]
    assert analysis.plan is not None and analysis.plan.gpu.memory_gib == 95.005


def test_vram_gb_leaves_only_the_boards_of_that_size_to_choose_from() -> None:
    text = f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: A100\n  vram_gb: 79.2\n"
    diagnostic = only(run(text), Code.GPU_AMBIGUOUS)
    assert "`hardware.vram_gb`'s 79.20 GiB" in diagnostic.message
    assert diagnostic.data is not None
    fixes = [f["edits"][0]["value"] for f in diagnostic.data["fixes"]]
    assert fixes == ["A100 PCIe 80GB", "A100 SXM 80GB"]
    # the exact name: no warning
    exact = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: A100 SXM 80GB\n")
    assert "gpu-ambiguous" not in codes(exact)


def test_the_marketing_vram_figure_is_a_warning_on_vram_gb() -> None:
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H100 SXM\n  vram_gb: 80\n")
    diagnostic = only(analysis, Code.VRAM_MARKETING)
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.range == span(4, 11, 13)
    assert diagnostic.data == {
        "fixes": [
            {
                "title": "Set vram_gb: 79.18",
                "edits": [{"path": ["hardware", "vram_gb"], "value": 79.18}],
                "preferred": True,
                "remove": False,
            }
        ]
    }
    # the plan still uses the figure the profile gives
    assert analysis.plan is not None and analysis.plan.memory.total == 80 * 2**30


def test_an_unknown_gpu_is_an_error_with_suggestions() -> None:
    analysis = run(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H10\n")
    diagnostic = only(analysis, Code.GPU_UNKNOWN)
    assert diagnostic.is_error and diagnostic.range == span(3, 12, 15)
    assert diagnostic.data is not None
    assert [f["title"] for f in diagnostic.data["fixes"]] == [
        "Set gpu_name: H100 PCIe",
        "Set gpu_name: H100 SXM",
        "Set gpu_name: H100 NVL",
    ]
    assert analysis.plan is None


# ----------------------------------------------------------------------------- vllm_args


VLLM_ARGS = f"""\
model:
  id: {LLAMA}
hardware:
  gpu_name: H100 SXM
outputs:
  vllm_args:
    max_num_seq: 4
    tensor_parallel_size: 2
    enable_lora: true
    block_size: 0
"""


def test_vllm_args_problems_land_on_their_entries() -> None:
    analysis = run(VLLM_ARGS)
    unknown = only(analysis, Code.VLLM_ARG_UNKNOWN)
    assert unknown.range == span(6, 4, 15)  # the key `max_num_seq`
    assert unknown.message == (
        "`max_num_seq` is not a `vllm serve` flag in vLLM 0.33.0. Did you mean `max-num-seqs`?"
    )
    assert unknown.data == {"key": "max_num_seq", "replacement": "max-num-seqs"}
    duplicate = only(analysis, Code.VLLM_ARG_DUPLICATE)
    assert duplicate.range == span(7, 4, 24)
    assert duplicate.data == {
        "key": "tensor_parallel_size",
        "move_to": ["hardware", "tp_size"],
        # the profile has one GPU: the move sets gpus too (lsp/actions.py words the fix)
        "also": [{"path": ["hardware", "gpus"], "value": 2}],
        "why": "tp 2 × pp 1 needs 2 GPUs",
    }
    assert duplicate.is_error
    not_modelled = only(analysis, Code.VLLM_ARG_NOT_MODELLED)
    assert not_modelled.severity is Severity.WARNING
    assert not_modelled.range == span(8, 4, 15)
    invalid = only(analysis, Code.VLLM_ARG_INVALID)
    assert invalid.range == span(9, 16, 17)  # the value `0`
    assert invalid.message == "`block_size` must be greater than 0; got 0."


# ----------------------------------------------------------------------------- stages and cache


def test_without_a_context_only_syntax_and_schema_run() -> None:
    analysis = analyze(L4_FULL_LENGTH)
    assert analysis.profile is not None and analysis.plan is None and analysis.diagnostics == []


def test_an_unknown_key_does_not_hide_the_verdict() -> None:
    analysis = run(L4_FULL_LENGTH + "  gpu_nmae: x\n")
    assert codes(analysis) == ["does-not-start", "unknown-key"]


def test_invalid_then_valid_then_invalid_text() -> None:
    cache = PlanCache()
    broken = run("model:\n  id: [oops\n", cache=cache)
    assert codes(broken) == ["yaml-syntax"]
    assert broken.profile is None and broken.plan is None and broken.model is None
    valid = run(L4_FULL_LENGTH, cache=cache)
    assert valid.plan is not None and codes(valid) == ["does-not-start"]
    wrong = run(L4_FULL_LENGTH.replace("131072", "-5"), cache=cache)
    assert codes(wrong) == ["invalid-value"]
    assert wrong.profile is None and wrong.plan is None
    assert only(wrong, Code.INVALID_VALUE).range == span(2, 17, 19)


def test_a_plan_cache_hit_does_not_re_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = plan_module.plan_profile

    def counting(*args: Any) -> Any:
        calls.append(args[0].model.id)
        return real(*args)

    monkeypatch.setattr(plan_module, "plan_profile", counting)
    cache = PlanCache()
    first = run(L4_FULL_LENGTH, cache=cache)
    # a comment and a reordering change no planning input: the same Plan object
    again = run("# a note\n" + L4_FULL_LENGTH, cache=cache)
    assert calls == [LLAMA]
    assert again.plan is first.plan
    # the diagnostics follow the new text all the same
    assert only(again, Code.DOES_NOT_START).range == span(3, 17, 23)
    # a planning input changed: planned again
    changed = run(L4_FULL_LENGTH.replace("131072", "8192"), cache=cache)
    assert calls == [LLAMA, LLAMA]
    assert changed.plan is not first.plan and changed.plan is not None and changed.plan.starts


def test_the_plan_cache_evicts_the_oldest() -> None:
    cache = PlanCache(size=1)
    first = run(L4_FULL_LENGTH, cache=cache)
    run(L4_FULL_LENGTH.replace("131072", "8192"), cache=cache)
    again = run(L4_FULL_LENGTH, cache=cache)
    assert again.plan is not first.plan
    assert again.plan is not None and first.plan is not None
    assert again.plan.memory == first.plan.memory
