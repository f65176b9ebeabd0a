"""Issue 12.24: the source actions (*Generate deployment files*, *Show plan.json*) in clients
without `window/showDocument` (eglot, Kate) and without `window/showMessageRequest`
capabilities: every outcome is told with `window/showMessage` — what was written, and where,
or why nothing was and what to do. The eglot capability set is pytest-lsp's Emacs 29.1 one
(eglot 1.9 on Debian's Emacs 28 advertises the same `window` capabilities: none but progress).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp.conftest import answer_refresh_requests, config, initialize_params
from lsp_testing import open_text
from wizard_testing import EXAMPLES

DOES_NOT_START = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()
FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()


@pytest_lsp.fixture(config=config())
async def eglot(lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params("emacs"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=config())
async def vscode(lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield
    await lsp_client.shutdown_session()


def _no_show_document(client: LanguageClient) -> None:
    window = client.capabilities.window if client.capabilities is not None else None
    assert window is None or window.show_document is None
    assert window is None or window.show_message is None


async def _run(client: LanguageClient, command: str, uri: str) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[uri])
    )


def _told(client: LanguageClient) -> list[tuple[types.MessageType, str]]:
    return [(m.type, m.message) for m in client.messages]


async def test_show_plan_says_where_it_wrote_the_plan(
    eglot: LanguageClient, tmp_path: Path
) -> None:
    _no_show_document(eglot)
    uri = open_text(eglot, tmp_path / "profile.yaml", FITS)
    result = await _run(eglot, "vllm-wizard.showPlan", uri)
    written = tmp_path / "deploy" / "plan.json"
    assert result["saved"] is True and written.exists()
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Info
    assert text.startswith(f"vLLM Wizard wrote the plan to {written}: ✔ fits")


async def test_show_plan_keeps_a_changed_plan_json_and_says_so(
    eglot: LanguageClient, tmp_path: Path
) -> None:
    written = tmp_path / "deploy" / "plan.json"
    written.parent.mkdir()
    written.write_text("{}\n")
    uri = open_text(eglot, tmp_path / "profile.yaml", FITS)
    result = await _run(eglot, "vllm-wizard.showPlan", uri)
    assert result["saved"] is False and written.read_text() == "{}\n"
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Warning
    assert text.startswith(f"vLLM Wizard did not replace {written}: it differs from the plan")
    assert "`vllm-wizard plan --json`" in text


async def test_generate_names_the_files_it_wrote(eglot: LanguageClient, tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(FITS)
    uri = open_text(eglot, profile, FITS)
    await _run(eglot, "vllm-wizard.generate", uri)
    deploy = tmp_path / "deploy"
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Info
    assert text == (
        f"vLLM Wizard, in {deploy}: wrote serve_command.sh, profile.yaml, docker-compose.yaml,"
        " plan.json."
    )
    # A file the user changed is kept (this client cannot be asked), and the message says how
    # to replace it.
    (deploy / "serve_command.sh").write_text("# mine\n")
    eglot.messages.clear()
    await _run(eglot, "vllm-wizard.generate", uri)
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Warning
    assert text == (
        f"vLLM Wizard, in {deploy}: left profile.yaml, docker-compose.yaml, plan.json unchanged;"
        " kept serve_command.sh, which differs from what it would write"
        " (`vllm-wizard generate --force` replaces it)."
    )
    assert (deploy / "serve_command.sh").read_text() == "# mine\n"


async def test_generate_says_why_it_wrote_nothing_for_a_plan_that_does_not_start(
    eglot: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(eglot, tmp_path / "profile.yaml", DOES_NOT_START)
    result = await _run(eglot, "vllm-wizard.generate", uri)
    assert result == {"error": "not written: the plan does not start"}
    assert not (tmp_path / "deploy").exists()
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Warning
    assert text.startswith("vLLM Wizard wrote no files: vLLM will not start with this profile:")
    assert text.endswith(
        "Fix the profile, or write the files anyway with `vllm-wizard generate --allow-infeasible`."
    )


async def test_generate_refuses_an_outputs_dir_outside_the_profiles_folder(
    eglot: LanguageClient, tmp_path: Path
) -> None:
    # eglot cannot be asked whether to write outside the profile's folder: nothing is written,
    # and the message says how the CLI writes there.
    folder, elsewhere = tmp_path / "profiles", tmp_path / "elsewhere"
    folder.mkdir()
    profile = folder / "profile.yaml"
    uri = open_text(eglot, profile, FITS + "  dir: ../elsewhere\n")
    result = await _run(eglot, "vllm-wizard.generate", uri)
    assert result == {"error": "not written: outputs.dir is outside the profile's folder"}
    assert not elsewhere.exists()
    [(kind, text)] = _told(eglot)
    assert kind == types.MessageType.Warning
    assert text == (
        f"vLLM Wizard wrote no files: the profile's outputs.dir sends the deployment files to"
        f" {elsewhere}, outside the profile's folder {folder}, and this editor cannot ask before"
        f" writing there. Write them with `vllm-wizard generate {profile} -o {elsewhere}`, or"
        " point outputs.dir inside the profile's folder."
    )


async def test_a_document_the_editor_did_not_open_is_told_instead(
    vscode: LanguageClient, tmp_path: Path
) -> None:
    def show_document(params: types.ShowDocumentParams) -> types.ShowDocumentResult:
        return types.ShowDocumentResult(success=False)

    # The editor refuses to open it (pytest-lsp's own handler always succeeds).
    vscode.protocol.fm.features[types.WINDOW_SHOW_DOCUMENT] = show_document

    uri = open_text(vscode, tmp_path / "profile.yaml", FITS)
    await _run(vscode, "vllm-wizard.showPlan", uri)
    written = tmp_path / "deploy" / "plan.json"
    [(kind, text)] = _told(vscode)
    assert (kind, text.split(":")[0]) == (
        types.MessageType.Info,
        f"vLLM Wizard wrote the plan to {written}",
    )


async def test_an_editor_that_opens_the_plan_is_not_told_twice(
    vscode: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(vscode, tmp_path / "profile.yaml", FITS)
    await _run(vscode, "vllm-wizard.showPlan", uri)
    assert [Path(d.uri).name for d in vscode.shown_documents] == ["plan.json"]
    assert _told(vscode) == []
