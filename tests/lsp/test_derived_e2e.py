"""A checkpoint the catalog lacks, planned from its name, through a real client (offline server).

The warning states the assumption on `model.id`, the plan is there at once (a code lens
verdict), and the quick fix writes `model.base_model`, which silences it. The background Hub
lookup that replaces the guess is tested against the fake Hub in
tests/models/test_derived_resolution.py (the server process here cannot reach a fake).
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_testing import change_text, diagnostics, open_text

AWQ_COPY = "acme-quant/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"
BASE = "meta-llama/Llama-3.1-8B-Instruct"
PROFILE = f"""\
profile_version: 1
model:
  id: {AWQ_COPY}
hardware:
  gpu_name: H100 SXM
"""


async def test_a_derived_model_is_planned_warned_and_confirmed(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", PROFILE)
    [warning] = await diagnostics(client, uri, 1)
    assert warning.code == "model-derived"
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.range.start == types.Position(line=2, character=6)
    assert f"planned as `{BASE}` with AWQ 4-bit weights, as its name says" in warning.message

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert lenses and lenses[0].command is not None
    assert lenses[0].command.title.startswith("✔ fits")

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=warning.range,
            context=types.CodeActionContext(diagnostics=[warning]),
        )
    )
    assert actions is not None
    [confirm] = [a for a in actions if isinstance(a, types.CodeAction) and a.edit is not None]
    assert confirm.title == f"Confirm: set base_model: {BASE}" and confirm.is_preferred
    assert confirm.edit is not None and confirm.edit.changes is not None
    [edit] = confirm.edit.changes[uri]
    assert edit.new_text.strip() == f"base_model: {BASE}"
    line = edit.range.start.line
    lines = PROFILE.splitlines(keepends=True)
    fixed = "".join(lines[:line]) + edit.new_text + "".join(lines[line:])
    change_text(client, uri, fixed, 2)
    assert await diagnostics(client, uri, 2) == []
