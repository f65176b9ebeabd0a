"""When pushed diagnostics arrive: at once after an edit (no fixed debounce), for the latest
version after a burst (never an older one after a newer), later only when `debounceMs` asks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.conftest import answer_refresh_requests, config, initialize_params
from lsp_testing import TIMEOUT_S, change_text, open_text
from wizard_testing import EXAMPLES

FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()

NO_WAIT_S = 0.025
"""The old fixed debounce alone was 30 ms; analysing one edit takes about 1 ms."""


def edited(version: int) -> str:
    return FITS.replace("concurrency: 32", f"concurrency: {1 + version % 60}")


def record_publishes(client: LanguageClient) -> None:
    """Every publish's (uri, version), in order: waiting for notifications one at a time can
    miss one that arrives while the next wait is being set up."""
    client.versions = []
    handle = client.protocol._handle_notification

    def recording(method: str, params: Any) -> Any:
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            client.versions.append((params.uri, params.version))
        return handle(method, params)

    client.protocol._handle_notification = recording


async def versions_until(client: LanguageClient, uri: str, version: int) -> list[int]:
    """The versions published for `uri` once `version` has been."""

    async def arrived() -> list[int]:
        while True:
            seen = [v for u, v in client.versions if u == uri and v is not None]
            if version in seen:
                return seen
            await asyncio.sleep(0.0005)

    return await asyncio.wait_for(arrived(), TIMEOUT_S)


@pytest_lsp.fixture(config=config(), params=[None, 300])
async def pushed(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    """VS Code's capabilities (pushed diagnostics); `debounceMs` unset, then 300."""
    answer_refresh_requests(lsp_client)
    record_publishes(lsp_client)
    options: dict[str, object] = {"offline": True}
    if request.param is not None:
        options["debounceMs"] = request.param
    await lsp_client.initialize_session(initialize_params("visual-studio-code", options))
    lsp_client.debounce_s = (request.param or 0) / 1000
    yield
    await lsp_client.shutdown_session()


async def opened(client: LanguageClient, folder: Path) -> str:
    """A profile that fits, opened and published."""
    uri = open_text(client, folder / "profile.yaml", FITS)
    await versions_until(client, uri, 1)
    return uri


async def _edit_to_publish(client: LanguageClient, uri: str, version: int) -> float:
    started = time.perf_counter()
    change_text(client, uri, edited(version), version)
    await versions_until(client, uri, version)
    return time.perf_counter() - started


async def test_an_edit_is_published_without_a_fixed_wait(
    pushed: LanguageClient, tmp_path: Path
) -> None:
    client = pushed
    uri = await opened(client, tmp_path)
    times = [await _edit_to_publish(client, uri, version) for version in range(2, 12)]
    delay: float = client.debounce_s  # type: ignore[attr-defined]
    if delay == 0:
        assert min(times) < NO_WAIT_S, times
    else:  # debounceMs adds its delay, and only that
        assert min(times) >= delay
        assert min(times) < delay + 0.5


async def test_a_burst_of_edits_ends_with_the_latest_version_and_never_goes_back(
    pushed: LanguageClient, tmp_path: Path
) -> None:
    client = pushed
    uri = await opened(client, tmp_path)
    last = 31
    for version in range(2, last + 1):
        change_text(client, uri, edited(version), version)
    seen = (await versions_until(client, uri, last))[1:]
    await asyncio.sleep(0.5 + client.debounce_s)  # type: ignore[attr-defined]
    assert [v for u, v in client.versions if u == uri][-1] == last  # nothing older after it
    assert seen == sorted(set(seen)), seen
    assert seen[-1] == last
    final = client.diagnostics[uri]
    assert list(final) == []
    if client.debounce_s:  # type: ignore[attr-defined]
        assert len(seen) < 5, seen  # the delay coalesces the whole burst
