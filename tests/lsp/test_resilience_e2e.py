"""A feature that fails answers with an error and the server keeps serving; Hub lookups run in
the background with `$/progress` and never block a request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp.conftest import answer_refresh_requests, config, initialize_params
from lsp_testing import TIMEOUT_S, diagnostics, open_text, published
from wizard_testing import EXAMPLES

FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()
UNKNOWN_MODEL = "model:\n  id: someone/not-in-any-catalog-7B\nhardware:\n  gpu_name: H100 SXM\n"


@pytest_lsp.fixture(config=config(VLLM_WIZARD_INJECT_FAULT="hover"))
async def faulty(lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=config(), params=["visual-studio-code", "neovim@v0.11.0"])
async def online(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    """Online as far as the settings go; the Hub itself answers "offline" (HF_HUB_OFFLINE=1)."""
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params(request.param, {"offline": False}))
    yield
    await lsp_client.shutdown_session()


async def test_a_failing_feature_answers_an_error_and_the_server_keeps_serving(
    faulty: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(faulty, tmp_path / "profile.yaml", FITS)
    with pytest.raises(JsonRpcException) as caught:
        await faulty.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=4),
            )
        )
    assert "injected fault in hover" in str(caught.value)
    lenses = await faulty.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses is not None and lenses[0].command is not None
    assert lenses[0].command.title.startswith("✔ fits")
    assert await diagnostics(faulty, uri) == []


async def test_an_unknown_model_is_looked_up_in_the_background(
    online: LanguageClient, tmp_path: Path
) -> None:
    progress_begun = asyncio.ensure_future(online.wait_for_notification(types.PROGRESS))
    uri = open_text(online, tmp_path / "profile.yaml", UNKNOWN_MODEL)
    first = await diagnostics(online, uri, 1)
    codes = [d.code for d in first]
    # Right away: what is known, and that the Hub is being asked (or already answered).
    assert codes in (["model-loading"], ["model-unresolved"])
    if codes == ["model-loading"]:
        assert first[0].severity == types.DiagnosticSeverity.Information
        assert first[0].message.startswith("Looking up `someone/not-in-any-catalog-7B`")
    await asyncio.wait_for(progress_begun, TIMEOUT_S)

    async def settled() -> list[types.Diagnostic]:
        while True:
            if (
                not online.capabilities
                or online.capabilities.text_document is None
                or (online.capabilities.text_document.diagnostic is None)
            ):
                found = list((await published(online, uri)).diagnostics)
            else:
                await asyncio.sleep(0.1)
                found = await diagnostics(online, uri)
            if [d.code for d in found] == ["model-unresolved"]:
                return found

    [unresolved] = (
        first if codes == ["model-unresolved"] else await asyncio.wait_for(settled(), TIMEOUT_S)
    )
    assert unresolved.severity == types.DiagnosticSeverity.Warning
    assert "someone/not-in-any-catalog-7B" in unresolved.message
    tokens = list(online.progress_reports)
    assert tokens, "no $/progress was reported"
    kinds = [getattr(report, "kind", None) for report in online.progress_reports[tokens[0]]]
    assert kinds[0] == "begin" and kinds[-1] == "end"


async def test_hover_answers_while_the_hub_is_asked(online: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(online, tmp_path / "profile.yaml", UNKNOWN_MODEL)
    result = await online.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=5),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert "gpu_name" in result.contents.value
