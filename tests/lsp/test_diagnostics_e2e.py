"""Diagnostics through a real client: exact ranges and texts, both position encodings,
pull (Neovim) and push (VS Code), incremental sync, rapid edits, didClose."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_testing import change_text, diagnostics, encoding, open_text, published, pulls
from wizard_testing import EXAMPLES

DOES_NOT_START = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()


async def test_does_not_start_is_an_error_on_max_model_len(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    [found] = await diagnostics(client, uri, 1)
    line = DOES_NOT_START.splitlines().index("  max_model_len: 32768")
    assert found.range == types.Range(
        start=types.Position(line=line, character=17), end=types.Position(line=line, character=22)
    )
    assert found.severity == types.DiagnosticSeverity.Error
    assert (found.code, found.source) == ("does-not-start", "vllm-wizard")
    assert found.message.startswith(
        "Does not start: needs 8.00 GiB of KV for one 32,768-token request, 5.65 GiB available"
    )
    assert found.data is not None and found.data["fixes"][0]["title"].startswith(
        "Set quantization: fp8_per_tensor (fits: "
    )
    assert found.related_information is not None
    related = {r.message.split(":")[0] for r in found.related_information}
    assert "hardware.gpu_name" not in related  # messages, not paths
    assert all(r.location.uri == uri for r in found.related_information)


async def test_emoji_and_cjk_before_the_value_in_the_client_encoding(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = 'model: {id: "日本語😀", dtype: fp99}\nhardware: {gpu_name: "H100 SXM"}\n'
    uri = open_text(client, tmp_path / "profile.yaml", text)
    found = [d for d in await diagnostics(client, uri, 1) if d.code == "invalid-value"]
    column = 28 if encoding(client) == "utf-16" else 36  # 27 code points; 😀 is 2 / 4 units
    assert [d.range.start for d in found] == [types.Position(line=0, character=column)]
    assert found[0].range.end.character == column + 4


async def test_incremental_change_and_invalid_valid_invalid(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = (
        "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\n"
        "hardware:\n  gpu_name: H100 SXM\n  gpus: 0\n"
    )
    uri = open_text(client, tmp_path / "profile.yaml", text)
    assert [d.code for d in await diagnostics(client, uri, 1)] == ["invalid-value"]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=4, character=8),
                        end=types.Position(line=4, character=9),
                    ),
                    text="1",
                )
            ],
        )
    )
    assert await diagnostics(client, uri, 2) == []
    change_text(client, uri, text.replace("gpus: 0", "gpus: -3"), 3)
    [again] = await diagnostics(client, uri, 3)
    assert again.message == "`hardware.gpus` must be at least 1; got the number -3."


async def test_rapid_edits_publish_only_the_last_version(
    client: LanguageClient, tmp_path: Path
) -> None:
    if pulls(client):
        return  # pulled diagnostics are answered per request; nothing is pushed
    base = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"
    uri = open_text(client, tmp_path / "profile.yaml", base)
    await published(client, uri, 1)
    for version in range(2, 12):
        change_text(client, uri, base + f"  gpus: {version % 3}\n", version)
    last = await published(client, uri, 11)
    assert [d.code for d in last.diagnostics] == []  # 11 % 3 == 2 GPUs
    await asyncio.sleep(0.3)
    assert client.diagnostics[uri] == last.diagnostics


async def test_did_close_clears(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    assert len(await diagnostics(client, uri, 1)) == 1
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    if not pulls(client):
        cleared = await published(client, uri)
        assert list(cleared.diagnostics) == []


async def test_other_yaml_files_stay_silent(client: LanguageClient, tmp_path: Path) -> None:
    compose = open_text(client, tmp_path / "compose.yaml", "services:\n  web: {image: nginx\n")
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    assert len(await diagnostics(client, uri, 1)) == 1
    assert (
        await diagnostics(client, compose) == []
        if pulls(client)
        else compose not in client.diagnostics
    )


async def test_a_yaml_file_with_profile_version_is_a_profile(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "anything.yml", "profile_version: 1\nmodel:\n  id: 5\n")
    [found] = await diagnostics(client, uri, 1)
    assert found.code == "invalid-value" and found.range.start == types.Position(
        line=2, character=6
    )
