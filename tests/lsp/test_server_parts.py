"""The language server's own parts without a client: settings, file rules, the analysis
cache, background lookups, and the pygls notification-future workaround."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from pathlib import PurePath
from typing import Any

from vllm_wizard.lsp.documents import Analyzer, HubLookup, is_profile_document, uri_to_path
from vllm_wizard.lsp.server import WizardServer
from vllm_wizard.lsp.settings import Settings, merge_settings
from vllm_wizard.models.resolve import ModelUnresolved
from vllm_wizard.pipeline import ModelPending
from wizard_testing import EXAMPLES

FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()
UNKNOWN = "model:\n  id: someone/unknown-7B\nhardware:\n  gpu_name: H100 SXM\n"


def test_settings_take_valid_values_and_ignore_the_rest() -> None:
    merged = merge_settings(
        Settings(),
        {"vllmWizard": {"offline": True, "hubTimeout": 3, "debounceMs": 0, "outputDir": " out "}},
    )
    assert merged == Settings(offline=True, hub_timeout=3.0, debounce_ms=0, output_dir="out")
    kept = merge_settings(
        merged, {"offline": "yes", "hubTimeout": -1, "debounceMs": 99999, "server": {"path": ""}}
    )
    assert kept == merged
    assert merge_settings(merged, None) == merged
    assert merge_settings(merged, {"outputDir": ""}).output_dir is None


def test_file_rules_for_uris() -> None:
    assert uri_to_path("file:///home/me/my%20dir/profile.yaml") == PurePath(
        "/home/me/my dir/profile.yaml"
    )
    assert uri_to_path("untitled:Untitled-1") is None
    assert is_profile_document("file:///x/profile.yaml", "")
    assert is_profile_document("file:///x/prod.profile.yml", "")
    assert is_profile_document("file:///x/vllm-wizard/a.yaml", "")
    assert not is_profile_document("file:///x/compose.yaml", "services: {}\n")
    assert is_profile_document("file:///x/any.yaml", "profile_version: 1\n")
    assert is_profile_document("untitled:Untitled-1", "profile_version: 1\n")
    assert not is_profile_document("untitled:Untitled-1", "model: {}\n")


def test_the_cache_answers_the_same_version_without_reanalysing() -> None:
    analyzer = Analyzer()
    first = analyzer.analysis("file:///x/profile.yaml", FITS, 1)
    assert first is not None and first.plan is not None
    assert analyzer.analysis("file:///x/profile.yaml", FITS, 1) is first
    changed = analyzer.analysis("file:///x/profile.yaml", FITS + "# edit\n", 2)
    assert changed is not first
    # an edit that changes no planning input reuses the plan
    assert changed is not None and changed.plan is first.plan
    analyzer.invalidate()
    assert analyzer.analysis("file:///x/profile.yaml", FITS + "# edit\n", 2) is not changed
    assert analyzer.analysis("file:///x/compose.yaml", "services: {}\n", 1) is None


def test_an_unknown_model_is_looked_up_once_in_the_background() -> None:
    scheduled: list[tuple[HubLookup, Any]] = []
    done: list[HubLookup] = []
    analyzer = Analyzer(
        schedule_lookup=lambda key, run: scheduled.append((key, run)),
        on_lookup_done=done.append,
    )
    first = analyzer.analysis("file:///x/profile.yaml", UNKNOWN, 1)
    assert first is not None and isinstance(first.model, ModelPending)
    assert [d.code.value for d in first.diagnostics] == ["model-loading"]
    analyzer.analysis("file:///x/profile.yaml", UNKNOWN + "# edit\n", 2)
    assert len(scheduled) == 1  # not a second lookup while one is running
    key, run = scheduled[0]
    result = run()  # HF_HUB_OFFLINE=1 in tests: the Hub answers "offline" at once
    assert isinstance(result, ModelUnresolved)
    analyzer.lookup_finished(key, result)
    assert done == [key] and analyzer.pending_lookups == frozenset()
    after = analyzer.analysis("file:///x/profile.yaml", UNKNOWN + "# edit\n", 2)
    assert after is not None and [d.code.value for d in after.diagnostics] == ["model-unresolved"]


def test_offline_settings_never_schedule_a_lookup() -> None:
    scheduled: list[HubLookup] = []
    analyzer = Analyzer(schedule_lookup=lambda key, run: scheduled.append(key))
    analyzer.update_settings(Settings(offline=True))
    found = analyzer.analysis("file:///x/profile.yaml", UNKNOWN, 1)
    assert found is not None and [d.code.value for d in found.diagnostics] == ["model-unresolved"]
    assert scheduled == []


def test_a_lookup_that_raises_becomes_a_diagnostic() -> None:
    scheduled: list[HubLookup] = []
    analyzer = Analyzer(schedule_lookup=lambda key, run: scheduled.append(key))
    analyzer.analysis("file:///x/profile.yaml", UNKNOWN, 1)
    analyzer.lookup_finished(scheduled[0], RuntimeError("boom"))
    after = analyzer.analysis("file:///x/profile.yaml", UNKNOWN, 1)
    assert after is not None
    [diagnostic] = after.diagnostics
    assert diagnostic.code.value == "model-unresolved" and "boom" in diagnostic.message


def test_finished_notification_futures_are_pruned_and_pending_ones_kept() -> None:
    server = WizardServer()
    futures: dict[str, Future[Any]] = server.protocol._request_futures
    finished: Future[Any] = Future()
    finished.set_result(None)
    pending: Future[Any] = Future()
    futures.update({"done": finished, "running": pending})
    server.prune_finished_notifications()
    assert list(futures) == ["running"]


def test_background_task_failures_are_logged_and_forgotten(caplog: Any) -> None:
    server = WizardServer()

    async def fail() -> None:
        raise ValueError("background failure")

    async def run() -> None:
        task = server.run_task(fail(), "failing")
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)

    with caplog.at_level("ERROR", logger="vllm_wizard.lsp"):
        asyncio.run(run())
    assert server.tasks == set()
    assert "background task failing failed" in caplog.text
