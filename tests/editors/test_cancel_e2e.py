"""Issue 12.29: VS Code cancels hover, completion and code-lens requests it no longer needs,
often after the answer is already on its way. pygls logged each such `$/cancelRequest` as
"Cancel notification for unknown message id", a warning on the server's stderr, which VS Code
shows in the output channel as if something were wrong. A cancellation of a request already
answered is normal use: it must leave no warning, while a real failure still reaches the
user."""

from __future__ import annotations

import asyncio
import atexit
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp.conftest import answer_refresh_requests, initialize_params, server_env
from lsp_testing import open_text
from wizard_testing import EXAMPLES

FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()
LOG_DIR = Path(tempfile.mkdtemp(prefix="vllm-wizard-cancel-"))
"""The server's --log-file: pygls' own records land there as they do on stderr without it."""
atexit.register(shutil.rmtree, LOG_DIR, True)


def _config(log: str, **env: str) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[
            sys.executable, "-m", "vllm_wizard", "lsp", "--stdio",
            "--log-file", str(LOG_DIR / log), "--log-level", "info",
        ],
        server_env=server_env(**env),
    )  # fmt: skip


@pytest_lsp.fixture(config=_config("quiet.log"))
async def vscode(lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=_config("faulty.log", VLLM_WIZARD_INJECT_FAULT="hover"))
async def faulty(lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()


def _hover(uri: str) -> types.HoverParams:
    return types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=3, character=4),
    )


def _problems(log: Path) -> list[str]:
    return [
        line for line in log.read_text().splitlines() if " WARNING " in line or " ERROR " in line
    ]


async def test_cancelling_a_request_already_answered_leaves_no_warning(
    vscode: LanguageClient, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    uri = open_text(vscode, tmp_path / "profile.yaml", FITS)
    # Requests answered, then cancelled, as VS Code does when the mouse moves on.
    for msg_id in (9001, 9002):
        answer = await vscode.protocol.send_request_async(
            types.TEXT_DOCUMENT_HOVER, _hover(uri), msg_id=msg_id
        )
        assert answer is not None
        vscode.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    lenses = await vscode.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    vscode.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="no-such-request"))
    # One more round trip: the server handled the cancellations before answering it.
    assert await vscode.text_document_hover_async(_hover(uri)) is not None
    assert lenses and lenses[0].command is not None
    await asyncio.sleep(0.2)  # let pytest-lsp forward the server's stderr

    assert _problems(LOG_DIR / "quiet.log") == []
    assert "unknown message id" not in capfd.readouterr().err
    errors = [m for m in vscode.log_messages if m.type <= types.MessageType.Warning]
    assert errors == []
    assert vscode.messages == []


async def test_a_real_failure_still_reaches_the_user(
    faulty: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(faulty, tmp_path / "profile.yaml", FITS)
    with pytest.raises(Exception, match="injected fault in hover"):
        await faulty.text_document_hover_async(_hover(uri))
    errors = [m.message for m in faulty.log_messages if m.type == types.MessageType.Error]
    assert any(m.startswith("hover failed") for m in errors), errors
    assert any("hover failed" in line for line in _problems(LOG_DIR / "faulty.log"))
