"""Helpers for the end-to-end language server tests (tests/lsp/)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

TIMEOUT_S = 20.0


def pulls(client: LanguageClient) -> bool:
    """True when the client pulls diagnostics (Neovim 0.11), False when they are pushed."""
    capabilities = client.capabilities
    return bool(
        capabilities is not None
        and capabilities.text_document is not None
        and capabilities.text_document.diagnostic is not None
    )


def encoding(client: LanguageClient) -> str:
    capabilities = client.capabilities
    general = capabilities.general if capabilities is not None else None
    offered = general.position_encodings if general is not None else None
    return (
        str(offered[0].value if hasattr(offered[0], "value") else offered[0])
        if offered
        else "utf-16"
    )


def open_text(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="yaml", version=version, text=text
            )
        )
    )
    return uri


def change_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """Replace the whole text (a full-text change event)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def published(
    client: LanguageClient, uri: str, version: int | None = None
) -> types.PublishDiagnosticsParams:
    """The next publishDiagnostics for `uri` (at `version` when given)."""

    async def wait() -> types.PublishDiagnosticsParams:
        while True:
            params: types.PublishDiagnosticsParams = await client.wait_for_notification(
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
            )
            if params.uri == uri and (version is None or params.version == version):
                return params

    return await asyncio.wait_for(wait(), TIMEOUT_S)


async def diagnostics(
    client: LanguageClient, uri: str, version: int | None = None
) -> list[types.Diagnostic]:
    """The document's diagnostics, pulled or pushed as the client does it."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    current = client.diagnostics.get(uri)
    if version is None and current is not None:
        return list(current)
    return list((await published(client, uri, version)).diagnostics)
