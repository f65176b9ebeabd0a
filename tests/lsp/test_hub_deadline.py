"""The server's side of a Hub lookup: a total deadline, the answer published without the Hub,
a late answer that still counts when it found the model, and no telemetry.

The trickling Hub itself, through a real client, is in test_resilience_e2e.py."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest

from vllm_wizard.lsp import server as server_module
from vllm_wizard.lsp.documents import Analyzer, HubLookup, LookupTimedOut
from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally

UNKNOWN = "model:\n  id: someone/unknown-7B\nhardware:\n  gpu_name: H100 SXM\n"
URI = "file:///x/profile.yaml"


def pending_analyzer() -> tuple[Analyzer, HubLookup, list[HubLookup]]:
    scheduled: list[HubLookup] = []
    done: list[HubLookup] = []
    analyzer = Analyzer(
        schedule_lookup=lambda key, run: scheduled.append(key), on_lookup_done=done.append
    )
    analyzer.analysis(URI, UNKNOWN, 1)
    return analyzer, scheduled[0], done


def test_a_lookup_past_its_deadline_publishes_the_answer_without_the_hub() -> None:
    analyzer, key, done = pending_analyzer()
    analyzer.lookup_finished(key, LookupTimedOut(2.5))
    after = analyzer.analysis(URI, UNKNOWN, 1)
    assert after is not None and done == [key]
    [diagnostic] = after.diagnostics
    assert diagnostic.code.value == "model-unresolved"
    assert diagnostic.severity.label == "warning"
    assert "did not answer within 2.5 s (the `hubTimeout` setting)" in diagnostic.message
    assert after.model.reason == "timeout"
    assert after.model.tried[-1] == "Hugging Face Hub (no answer within 2.5 s)"


def test_a_late_answer_that_found_the_model_replaces_the_timeout() -> None:
    analyzer, key, done = pending_analyzer()
    analyzer.lookup_finished(key, LookupTimedOut(1.0))
    found = resolve_model_locally("meta-llama/Llama-3.1-8B-Instruct")
    assert isinstance(found, ResolvedModel)
    analyzer.lookup_arrived_late(key, found)
    after = analyzer.analysis(URI, UNKNOWN, 1)
    assert after is not None and after.plan is not None and done == [key, key]
    assert "model-unresolved" not in {d.code.value for d in after.diagnostics}


def test_a_late_failure_leaves_the_timeout_standing() -> None:
    analyzer, key, done = pending_analyzer()
    analyzer.lookup_finished(key, LookupTimedOut(1.0))
    before = analyzer.analysis(URI, UNKNOWN, 1)
    analyzer.lookup_arrived_late(key, RuntimeError("connection reset"))
    assert analyzer.analysis(URI, UNKNOWN, 1) is before and done == [key]


def test_a_daemon_thread_hands_back_its_result_or_its_exception() -> None:
    threads: list[threading.Thread] = []

    def answer() -> str:
        threads.append(threading.current_thread())
        return "config"

    def fail() -> str:
        raise OSError("unreachable")

    async def run() -> None:
        assert await server_module.in_daemon_thread(answer, "answer") == "config"
        with pytest.raises(OSError, match="unreachable"):
            await server_module.in_daemon_thread(fail, "fail")

    asyncio.run(run())
    assert threads[0].daemon and threads[0] is not threading.main_thread()


def test_the_server_turns_hub_telemetry_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_DISABLE_TELEMETRY", raising=False)
    started: list[Any] = []
    monkeypatch.setattr(server_module.WizardServer, "start_io", lambda self: started.append(self))
    monkeypatch.setattr(server_module, "configure_logging", lambda *args: None)
    assert server_module.serve(tcp=None, level="INFO", log_file=None) == 0
    assert started and os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"
