"""Issue 12.26: Markdown only for clients that ask for it. A hover honours
`textDocument.hover.contentFormat`, completion documentation
`completionItem.documentationFormat`; a client that does not list `markdown` gets the same
content as plain text (no `**`, backticks or table pipes), the memory table in aligned columns;
completion documentation then is a plain string, which every client shows as it is.
(The server offers no signature help, so `signatureHelp` formats have nothing to govern.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from lsp.conftest import answer_refresh_requests, config
from lsp_testing import open_text
from vllm_wizard.lsp.convert import markup_kind
from vllm_wizard.lsp.markup import RULE, plain_text
from wizard_testing import EXAMPLES

DOES_NOT_START = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()
MAX_MODEL_LEN = DOES_NOT_START.splitlines().index("  max_model_len: 32768")


def _plain_client() -> types.ClientCapabilities:
    """VS Code's capabilities with Markdown taken out: plain-text hovers, and completion
    documentation without a stated format (as eglot and Kate send it)."""
    capabilities = client_capabilities("visual-studio-code")
    document = capabilities.text_document
    assert document is not None and document.hover is not None
    assert document.completion is not None and document.completion.completion_item is not None
    document.hover.content_format = [types.MarkupKind.PlainText]
    document.completion.completion_item.documentation_format = None
    return capabilities


CLIENTS = {
    "plain": _plain_client,
    "eglot": lambda: client_capabilities("emacs"),
    "vscode": lambda: client_capabilities("visual-studio-code"),
}
EXPECTED = {  # (hover, completion documentation)
    "plain": (types.MarkupKind.PlainText, types.MarkupKind.PlainText),
    "eglot": (types.MarkupKind.Markdown, types.MarkupKind.PlainText),
    "vscode": (types.MarkupKind.Markdown, types.MarkupKind.Markdown),
}


@pytest_lsp.fixture(config=config(), params=list(CLIENTS))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    answer_refresh_requests(lsp_client)
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=CLIENTS[request.param](), initialization_options={"offline": True}
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_hover_and_completion_docs_come_in_the_markup_the_client_asked_for(
    client: LanguageClient, tmp_path: Path
) -> None:
    hover_kind, docs_kind = EXPECTED[client.client_name]  # type: ignore[attr-defined]
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=MAX_MODEL_LEN, character=4),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == hover_kind
    text = hover.contents.value
    if hover_kind == types.MarkupKind.Markdown:
        assert text.startswith("**Maximum context length** · `model.max_model_len`")
        assert "| weights | 61.03 | safetensors |" in text
    else:
        assert text.startswith("Maximum context length · model.max_model_len\n")
        assert "**" not in text and "`" not in text and "|" not in text
        assert "\nweights                     61.03  safetensors\n" in text
        assert f"\n{RULE}\n" in text

    completion = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=MAX_MODEL_LEN + 1, character=0),
        )
    )
    assert isinstance(completion, types.CompletionList)
    hardware = next(i for i in completion.items if i.label == "hardware")
    if docs_kind == types.MarkupKind.Markdown:
        assert isinstance(hardware.documentation, types.MarkupContent)
        assert hardware.documentation.kind == docs_kind
        assert hardware.documentation.value.startswith("**Hardware** · `hardware`")
    else:  # a plain string, which every client shows as plain text
        assert isinstance(hardware.documentation, str)
        assert hardware.documentation.startswith("Hardware · hardware\n")


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (None, types.MarkupKind.PlainText),
        ([], types.MarkupKind.PlainText),
        (["plaintext", "markdown"], types.MarkupKind.PlainText),
        (["markdown", "plaintext"], types.MarkupKind.Markdown),
        ([types.MarkupKind.Markdown], types.MarkupKind.Markdown),
        (["asciidoc", "markdown"], types.MarkupKind.Markdown),
    ],
)
def test_the_clients_first_known_preference_wins(
    offered: list[str] | None, chosen: types.MarkupKind
) -> None:
    assert markup_kind(offered) == chosen


def test_plain_text_keeps_the_words_and_aligns_tables() -> None:
    markdown = (
        "**`Qwen/Qwen3-32B`** · Qwen3ForCausalLM (`qwen3`)\n\n"
        "- from: _the bundled catalog_ · `max_model_len` stays\n\n---\n\n"
        "| per GPU | GiB | |\n|---|---:|---|\n| weights | 61.03 | safetensors |\n"
        "| headroom | -5.85 | |\n\n| users | TPOT ms |\n|---:|---:|\n| 1 | 8.2 |\n"
        "| **32** | **16.5** |"
    )
    assert plain_text(markdown).split("\n") == [
        "Qwen/Qwen3-32B · Qwen3ForCausalLM (qwen3)",
        "",
        "- from: the bundled catalog · max_model_len stays",
        "",
        RULE,
        "",
        "per GPU     GiB",
        "--------  -----  -----------",
        "weights   61.03  safetensors",
        "headroom  -5.85",
        "",
        "users  TPOT ms",
        "-----  -------",
        "    1      8.2",
        "   32     16.5  ◀",
    ]
