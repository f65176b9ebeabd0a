"""Derived checkpoints through the resolver, the engine and the language server's analyzer.

The names are chosen so no catalog will carry them (an org of our own, or a quantizer's repo of
a catalog model), so these tests keep their meaning as the catalog grows. The Hub is the fake of
tests/models_testing.py; offline is the test default (HF_HUB_OFFLINE=1, tests/conftest.py).
Also here: issue 12 items 5 (`revision: main` of a catalog model offline) and 14 (a 256+
character path segment in `model.id`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models_testing import FakeHub, FakeRepo, resolved, unresolved
from vllm_wizard.catalog.models import catalog_model
from vllm_wizard.lsp.actions import quick_fixes
from vllm_wizard.lsp.documents import Analyzer, HubLookup
from vllm_wizard.models import hub
from vllm_wizard.models.resolve import (
    ResolvedModel,
    pin_base_model,
    resolve_model,
    resolve_model_locally,
)
from vllm_wizard.pipeline import EngineContext, ModelPending, analyze

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
AWQ_COPY = "acme-quant/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"
"""Not a real repo: a quantizer's name for an AWQ copy of a catalog model."""


@pytest.fixture(autouse=True)
def _fresh_memo() -> Any:
    hub.clear_hub_memo()
    yield
    hub.clear_hub_memo()


# ---------------------------------------------------------------------------------------------
# The resolver
# ---------------------------------------------------------------------------------------------


def test_locally_a_quantized_copy_is_planned_as_its_catalog_model() -> None:
    model = resolved(resolve_model_locally(AWQ_COPY))
    base = catalog_model(LLAMA_8B)
    assert base is not None
    assert (model.source, model.model_id, model.source_detail) == (
        "derived",
        AWQ_COPY,
        f"bundled catalog entry {LLAMA_8B}",
    )
    assert model.derived is not None
    assert (model.derived.base_id, model.derived.quantization) == (LLAMA_8B, "AWQ 4-bit")
    assert not model.derived.confirmed and model.derived.hub_problem is None
    assert model.arch.quantization is not None and model.arch.quantization.method == "awq"
    assert model.arch.num_layers == 32 and model.arch.max_model_len == 131072
    # the base's logical count; weights.py packs it at 4 bits
    assert (model.params_total, model.params_source) == (base.params_total, "base_model")
    assert model.params_by_dtype is None
    assert model.notes[0] == f"architecture of {LLAMA_8B} with AWQ 4-bit weights, as its name says"


def test_offline_the_derived_answer_says_the_hub_was_not_asked() -> None:
    model = resolved(resolve_model(AWQ_COPY, offline=True))
    assert model.derived is not None
    assert model.derived.hub_problem == "the Hugging Face Hub is not asked offline"


def test_a_name_that_derives_nothing_is_still_unresolved() -> None:
    result = unresolved(resolve_model_locally("acme/support-bot-v3"))
    assert result.reason == "offline"


def test_online_the_hubs_config_wins_over_the_name(fake_hub: FakeHub) -> None:
    config = json.loads((FIXTURES / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    config["max_position_embeddings"] = 8192  # this copy was cut to 8k: the Hub knows
    config["rope_scaling"] = None
    config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": 64}
    fake_hub.add(AWQ_COPY, FakeRepo(files={"config.json": json.dumps(config).encode()}))
    model = resolved(resolve_model(AWQ_COPY, timeout=10))
    assert model.source == "hub" and model.derived is None
    assert model.arch.max_model_len == 8192
    assert model.arch.quantization is not None and model.arch.quantization.group_size == 64


@pytest.mark.parametrize(
    ("status", "error_code", "problem"),
    [
        (500, None, "the Hub answered HTTP 500"),
        (401, "RepoNotFound", "the Hub has no model"),
    ],
)
def test_when_the_hub_fails_the_name_still_plans(
    fake_hub: FakeHub, status: int, error_code: str | None, problem: str
) -> None:
    import httpx2

    headers = {"X-Error-Code": error_code} if error_code else {}
    fake_hub.fail = lambda request: httpx2.Response(status, headers=headers, request=request)
    model = resolved(resolve_model(AWQ_COPY, timeout=10))
    assert model.source == "derived" and model.derived is not None
    assert model.derived.hub_problem is not None and problem in model.derived.hub_problem


def test_an_unusable_config_on_the_hub_is_not_papered_over(fake_hub: FakeHub) -> None:
    fake_hub.add(AWQ_COPY, FakeRepo(files={"config.json": b"[1, 2]"}))
    result = unresolved(resolve_model(AWQ_COPY, timeout=10))
    assert result.reason == "invalid-config"


def test_a_catalog_model_at_another_revision_is_not_assumed() -> None:
    result = unresolved(resolve_model(LLAMA_8B, revision="v2", offline=True))
    assert "drop `model.revision`" in result.message


def test_base_model_pins_what_no_source_has() -> None:
    found = resolve_model_locally("acme/support-bot-v3")
    model = resolved(pin_base_model(found, "acme/support-bot-v3", LLAMA_8B))
    assert model.derived is not None and model.derived.confirmed
    assert (model.derived.base_id, model.derived.quantization) == (LLAMA_8B, None)
    assert model.arch.quantization is None
    assert "as `model.base_model` says" in model.notes[0]
    # the name's quantization still counts; the base is the profile's, not the name's guess
    awq = resolved(pin_base_model(resolve_model_locally(AWQ_COPY), AWQ_COPY, "Qwen/Qwen3-8B"))
    assert awq.derived is not None and awq.derived.base_id == "Qwen/Qwen3-8B"
    assert awq.derived.quantization == "AWQ 4-bit" and awq.derived.confirmed
    pending = ModelPending("acme/support-bot-v3", "Looking up…")
    assert resolved(pin_base_model(pending, "acme/support-bot-v3", LLAMA_8B)).source == "derived"


def test_base_model_never_replaces_a_real_config_or_fixes_a_broken_id(tmp_path: Path) -> None:
    catalog = resolve_model_locally("Qwen/Qwen3-8B")
    assert pin_base_model(catalog, "Qwen/Qwen3-8B", LLAMA_8B) is catalog
    broken = resolve_model_locally("./nowhere", base_dir=tmp_path)
    assert pin_base_model(broken, "./nowhere", LLAMA_8B) is broken
    unknown = resolve_model_locally("acme/support-bot-v3")
    assert pin_base_model(unknown, "acme/support-bot-v3", "acme/not-in-catalog") is unknown


# ---------------------------------------------------------------------------------------------
# Issue 12 item 5: `revision: main` of a catalog model, offline
# ---------------------------------------------------------------------------------------------


def test_revision_main_of_a_catalog_model_uses_the_catalog() -> None:
    model = resolved(resolve_model(LLAMA_8B, revision="main", offline=True))
    assert (model.source, model.revision) == ("catalog", "main")


def test_plan_with_revision_main_offline_succeeds() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vllm_wizard",
            "plan",
            "--model",
            LLAMA_8B,
            "--revision",
            "main",
            "--gpu",
            "H100 SXM",
            "--offline",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["model"]["revision"] == "main"
    assert "--revision main" in plan["commands"]["serve"]


# ---------------------------------------------------------------------------------------------
# Issue 12 item 14: a 256+ character segment in model.id
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_id", ["org/" + "b" * 300, "./" + "c" * 300, "d" * 300, "/tmp/" + "e" * 300]
)
def test_a_name_too_long_for_the_file_system_is_a_clear_bad_id(
    model_id: str, tmp_path: Path
) -> None:
    for result in (
        resolve_model_locally(model_id, base_dir=tmp_path),
        resolve_model(model_id, base_dir=tmp_path, offline=True),
    ):
        failed = unresolved(result)
        assert failed.reason == "bad-id"
        assert "is neither a folder" in failed.message and "fix `model.id`" in failed.message
        assert len(failed.message) < 400  # the id is shown cut short, not 300 characters


def test_check_reports_a_too_long_id_as_a_diagnostic(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"model:\n  id: {'x' * 300}\nhardware:\n  gpu_name: H100 SXM\n")
    done = subprocess.run(
        [sys.executable, "-m", "vllm_wizard", "check", str(profile), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    [found] = json.loads(done.stdout)
    assert found["code"] == "model-unresolved" and "neither a folder" in found["message"]


# ---------------------------------------------------------------------------------------------
# The engine: a warning that states the assumption, a quick fix to confirm it
# ---------------------------------------------------------------------------------------------

PROFILE = """\
profile_version: 1
model:
  id: {model_id}{extra}
hardware:
  gpu_name: H100 SXM
"""


def offline_context() -> EngineContext:
    return EngineContext(
        resolve_model=lambda model_id, revision, base, params_b: resolve_model(
            model_id, revision, base_dir=base, params_b=params_b, offline=True
        )
    )


def test_engine_warns_on_the_model_id_and_still_plans() -> None:
    text = PROFILE.format(model_id=AWQ_COPY, extra="")
    analysis = analyze(text, offline_context())
    assert analysis.plan is not None
    [warning] = [d for d in analysis.diagnostics if d.code.value == "model-derived"]
    assert warning.severity.label == "warning"
    assert (warning.range.start.line, warning.range.start.character) == (2, 6)
    assert warning.message == (
        f"`{AWQ_COPY}` is not in the bundled catalog or the Hugging Face cache, and the Hugging"
        f" Face Hub is not asked offline; planned as `{LLAMA_8B}` with AWQ 4-bit weights, as its"
        f" name says: confirm with `model.base_model: {LLAMA_8B}`, or point `model.id` at a"
        " folder with its config.json"
    )
    # the AWQ weights are about a third of the bf16 model's
    bf16 = analyze(PROFILE.format(model_id=LLAMA_8B, extra=""), offline_context())
    assert bf16.plan is not None
    ratio = analysis.plan.memory.stage.weights / bf16.plan.memory.stage.weights
    assert 0.3 < ratio < 0.4


def test_the_quick_fix_confirms_with_base_model_and_silences_the_warning() -> None:
    text = PROFILE.format(model_id=AWQ_COPY, extra="")
    analysis = analyze(text, offline_context())
    [warning] = [d for d in analysis.diagnostics if d.code.value == "model-derived"]
    [fix] = quick_fixes(analysis.document, warning)
    assert fix.title == f"Confirm: set base_model: {LLAMA_8B}" and fix.preferred
    fixed = apply(text, fix.edits)
    assert f"  base_model: {LLAMA_8B}\n" in fixed
    confirmed = analyze(fixed, offline_context())
    assert [d.code.value for d in confirmed.diagnostics] == []
    assert isinstance(confirmed.model, ResolvedModel) and confirmed.model.derived is not None
    assert confirmed.model.derived.confirmed
    assert confirmed.plan is not None and analysis.plan is not None
    assert confirmed.plan.memory.stage.weights == analysis.plan.memory.stage.weights


def test_base_model_makes_a_private_fine_tune_plannable_offline() -> None:
    text = PROFILE.format(model_id="acme/support-bot-v3", extra=f"\n  base_model: {LLAMA_8B}")
    analysis = analyze(text, offline_context())
    assert [d.code.value for d in analysis.diagnostics] == []
    assert analysis.plan is not None
    assert analysis.plan.model.model_id == "acme/support-bot-v3"


def test_an_unknown_base_model_is_reported_where_it_is_written() -> None:
    text = PROFILE.format(
        model_id="acme/support-bot-v3", extra="\n  base_model: meta-llama/Llama-3.1-8B-Instruc"
    )
    analysis = analyze(text, offline_context())
    codes = [(d.code.value, d.range.start.line) for d in analysis.diagnostics]
    assert ("model-derived", 3) in codes and ("model-unresolved", 2) in codes
    [bad] = [d for d in analysis.diagnostics if d.code.value == "model-derived"]
    assert "not in the bundled catalog" in bad.message
    titles = [fix.title for fix in quick_fixes(analysis.document, bad)]
    assert titles[0] == f"Use {LLAMA_8B}"


def test_profiles_without_base_model_load_as_before() -> None:
    analysis = analyze(PROFILE.format(model_id=LLAMA_8B, extra=""), offline_context())
    assert analysis.profile is not None and analysis.profile.model.base_model is None
    assert [d.code.value for d in analysis.diagnostics] == []


def apply(text: str, edits: Any) -> str:
    """Apply LSP text edits (line/character ranges) to `text`, last first."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


# ---------------------------------------------------------------------------------------------
# The language server's analyzer: the name's plan at once, the Hub's when it answers
# ---------------------------------------------------------------------------------------------

URI = "file:///work/profile.yaml"


def test_the_lsp_shows_the_derived_plan_at_once_and_the_hubs_when_it_answers(
    fake_hub: FakeHub,
) -> None:
    config = json.loads((FIXTURES / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    config["max_position_embeddings"] = 8192
    config["rope_scaling"] = None
    fake_hub.add(AWQ_COPY, FakeRepo(files={"config.json": json.dumps(config).encode()}))
    scheduled: list[tuple[HubLookup, Any]] = []
    analyzer = Analyzer(schedule_lookup=lambda key, run: scheduled.append((key, run)))
    text = PROFILE.format(model_id=AWQ_COPY, extra="")

    first = analyzer.analysis(URI, text, 1)
    assert first is not None and first.plan is not None  # planned at once, from the name
    assert isinstance(first.model, ResolvedModel) and first.model.source == "derived"
    assert [d.code.value for d in first.diagnostics] == ["model-derived"]
    assert first.plan.memory.max_model_len == 131072
    [(key, run)] = scheduled  # and the Hub is asked in the background

    analyzer.lookup_finished(key, run())
    after = analyzer.analysis(URI, text, 1)
    assert after is not None and after.plan is not None
    assert isinstance(after.model, ResolvedModel) and after.model.source == "hub"
    assert [d.code.value for d in after.diagnostics] == []
    assert after.plan.memory.max_model_len == 8192  # the real file, not the guess


def test_the_lsp_keeps_the_derived_plan_when_the_hub_fails_and_asks_again_later(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx2

    from vllm_wizard.lsp import documents as analysis_module

    fake_hub.fail = lambda request: httpx2.Response(503, request=request)
    scheduled: list[tuple[HubLookup, Any]] = []
    analyzer = Analyzer(schedule_lookup=lambda key, run: scheduled.append((key, run)))
    text = PROFILE.format(model_id=AWQ_COPY, extra="")
    analyzer.analysis(URI, text, 1)
    [(key, run)] = scheduled
    analyzer.lookup_finished(key, run())
    after = analyzer.analysis(URI, text, 1)
    assert after is not None and after.plan is not None
    [warning] = after.diagnostics
    assert warning.code.value == "model-derived" and "HTTP 503" in warning.message
    # a guess is not an answer: after the retry delay the Hub is asked again
    monkeypatch.setattr(analysis_module, "FAILED_LOOKUP_RETRY_S", -1.0)
    analyzer.invalidate()
    analyzer.analysis(URI, text, 1)
    assert len(scheduled) == 2


def test_the_lsp_offline_plans_the_derived_model_without_a_lookup() -> None:
    from vllm_wizard.lsp.settings import Settings

    scheduled: list[HubLookup] = []
    analyzer = Analyzer(schedule_lookup=lambda key, run: scheduled.append(key))
    analyzer.update_settings(Settings(offline=True))
    found = analyzer.analysis(URI, PROFILE.format(model_id=AWQ_COPY, extra=""), 1)
    assert found is not None and found.plan is not None
    assert [d.code.value for d in found.diagnostics] == ["model-derived"]
    assert scheduled == []
