"""A feature that fails answers with an error and the server keeps serving; Hub lookups run in
the background with `$/progress`, never block a request and give up after `hubTimeout`;
hostile text gets its diagnostic in time; unopened documents are never read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, make_test_lsp_client

from hostile_profiles import CASES, LIMIT_S
from lsp.conftest import answer_refresh_requests, config, initialize_params, server_env
from lsp_testing import TIMEOUT_S, change_text, diagnostics, open_text, published, pulls
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


# ---- hostile input (issue 12) -----------------------------------------------------------


async def _requests_answer(client: LanguageClient, uri: str, lines: int) -> None:
    """Hover, completion, symbols, lenses and a select-all code action, each in time."""
    document = types.TextDocumentIdentifier(uri=uri)
    everything = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=lines, character=0)
    )
    for line in (0, lines // 2, lines):
        position = types.Position(line=line, character=0)
        await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(text_document=document, position=position)
            ),
            LIMIT_S,
        )
        await asyncio.wait_for(
            client.text_document_completion_async(
                types.CompletionParams(text_document=document, position=position)
            ),
            LIMIT_S,
        )
    await asyncio.wait_for(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=document)
        ),
        LIMIT_S,
    )
    await asyncio.wait_for(
        client.text_document_code_lens_async(types.CodeLensParams(text_document=document)),
        LIMIT_S,
    )
    await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=document,
                range=everything,
                context=types.CodeActionContext(diagnostics=await diagnostics(client, uri)),
            )
        ),
        LIMIT_S,
    )


async def first_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The document's first diagnostics. Pushed ones are looked for where the client keeps
    them: waiting for the notification itself can miss one that lands right after another
    document's."""
    if pulls(client):
        return await diagnostics(client, uri)

    async def arrived() -> list[types.Diagnostic]:
        while uri not in client.diagnostics:
            await asyncio.sleep(0.002)
        return list(client.diagnostics[uri])

    return await asyncio.wait_for(arrived(), TIMEOUT_S)


async def test_hostile_profiles_get_their_diagnostic_in_time_and_the_server_keeps_serving(
    client: LanguageClient, tmp_path: Path
) -> None:
    warm = open_text(client, tmp_path / "warm" / "profile.yaml", FITS)
    assert await diagnostics(client, warm, 1) == []
    problems: list[str] = []
    for index, case in enumerate(CASES):
        path = tmp_path / f"case-{index}" / "profile.yaml"
        started = time.perf_counter()
        uri = open_text(client, path, case.text)
        found = await first_diagnostics(client, uri)
        elapsed = time.perf_counter() - started
        codes = {str(d.code) for d in found}
        if case.code not in codes:
            problems.append(f"{case.name}: {sorted(codes)} lacks {case.code}")
        if elapsed > LIMIT_S:
            problems.append(f"{case.name}: diagnostics after {elapsed:.2f} s")
        try:
            await _requests_answer(client, uri, case.text.count("\n"))
        except TimeoutError:
            problems.append(f"{case.name}: a request took more than {LIMIT_S} s")
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    assert problems == []
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=warm))
    )
    assert lenses and lenses[0].command is not None
    assert lenses[0].command.title.startswith("✔ fits")


async def test_completion_on_the_marker_of_a_second_document_answers_nothing(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", FITS + "---\n" + FITS)
    marker = FITS.count("\n")
    for column in range(4):
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=marker, character=column),
            )
        )
        assert result is None or not (result.items if hasattr(result, "items") else result)
    assert "multiple-documents" in {str(d.code) for d in await diagnostics(client, uri)}


async def test_requests_for_a_document_never_opened_do_not_read_the_file(
    client: LanguageClient, tmp_path: Path
) -> None:
    """pygls reads an unopened document from disk, synchronously: a FIFO blocked it forever."""
    fifo = tmp_path / "profile.yaml"
    os.mkfifo(fifo)
    document = types.TextDocumentIdentifier(uri=fifo.as_uri())
    position = types.Position(line=0, character=0)
    try:
        hover = await asyncio.wait_for(
            client.text_document_hover_async(
                types.HoverParams(text_document=document, position=position)
            ),
            5,
        )
        completion = await asyncio.wait_for(
            client.text_document_completion_async(
                types.CompletionParams(text_document=document, position=position)
            ),
            5,
        )
        lenses = await asyncio.wait_for(
            client.text_document_code_lens_async(types.CodeLensParams(text_document=document)),
            5,
        )
        if pulls(client):
            report = await asyncio.wait_for(
                client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(text_document=document)
                ),
                5,
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            assert list(report.items) == []
    finally:  # a server blocked opening the FIFO gets an empty file
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert (hover, completion, list(lenses)) == (None, None, [])
    uri = open_text(client, tmp_path / "open" / "profile.yaml", FITS)
    assert await diagnostics(client, uri, 1) == []


async def test_a_profile_in_a_folder_with_a_space_gets_diagnostics_after_each_edit(
    client: LanguageClient, tmp_path: Path
) -> None:
    """pygls keeps documents under their unquoted URI; the client's has `%20`."""
    uri = open_text(client, tmp_path / "my profiles" / "profile.yaml", FITS)
    assert "%20" in uri
    assert await diagnostics(client, uri, 1) == []
    change_text(client, uri, FITS.replace("concurrency: 32", "concurrency: 0"), 2)
    [error] = await diagnostics(client, uri, 2)
    assert error.code == "invalid-value"


# ---- a Hub that trickles (issue 19) -------------------------------------------------------


class _TricklingHub(BaseHTTPRequestHandler):
    """Answers every request with headers at once, then a byte every 0.2 s for a minute:
    no single read ever times out."""

    stop = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "300")
        self.end_headers()
        for _ in range(300):
            if self.stop.wait(0.2):
                return
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def trickling_hub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TricklingHub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _TricklingHub.stop.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _TricklingHub.stop.set()
    server.shutdown()
    server.server_close()


HUB_TIMEOUT_S = 1.0


@pytest.fixture
async def slow_hub_client(trickling_hub: str, tmp_path: Path) -> AsyncIterator[LanguageClient]:
    """A server online, whose Hub is the trickling one (its address is known only now)."""
    client = make_test_lsp_client()
    answer_refresh_requests(client)
    environment = server_env(
        HF_ENDPOINT=trickling_hub, HF_HUB_OFFLINE="0", HF_HOME=str(tmp_path / "hf")
    )
    environment.pop("HF_TOKEN", None)
    await client.start_io(*config().server_command, env=environment)
    await client.initialize_session(
        initialize_params("visual-studio-code", {"offline": False, "hubTimeout": HUB_TIMEOUT_S})
    )
    yield client
    await client.shutdown_session()
    await client.stop()


async def test_a_trickling_hub_is_given_up_after_hub_timeout_in_all(
    slow_hub_client: LanguageClient, tmp_path: Path
) -> None:
    client = slow_hub_client
    started = time.perf_counter()
    uri = open_text(client, tmp_path / "profile.yaml", UNKNOWN_MODEL)
    first = await first_diagnostics(client, uri)
    assert [d.code for d in first] == ["model-loading"]

    async def gave_up() -> types.Diagnostic:
        while [d.code for d in client.diagnostics[uri]] != ["model-unresolved"]:
            await asyncio.sleep(0.01)
        return client.diagnostics[uri][0]

    unresolved = await asyncio.wait_for(gave_up(), HUB_TIMEOUT_S + 9)
    elapsed = time.perf_counter() - started
    assert elapsed >= HUB_TIMEOUT_S
    assert f"did not answer within {HUB_TIMEOUT_S:g} s" in unresolved.message
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=5),
            )
        ),
        5,
    )
    assert hover is not None
