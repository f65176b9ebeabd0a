"""Hover, completion, code actions, code lens, symbols, commands and the verdict notification,
through a real client with the VS Code (utf-16) and Neovim 0.11 (utf-8) capability sets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_testing import TIMEOUT_S, change_text, diagnostics, encoding, open_text
from wizard_testing import EXAMPLES

DOES_NOT_START = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()
FITS = (EXAMPLES / "llama3-8b-h100.profile.yaml").read_text()


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text here, so units are code points)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    result = text
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        result = result[:start] + edit.new_text + result[end:]
    return result


async def test_hover_on_max_model_len_shows_the_memory_breakdown(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    line = line_of(DOES_NOT_START, "max_model_len:")
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=types.Position(line=line, character=4))
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    text = result.contents.value
    assert text.startswith("**Maximum context length** · `model.max_model_len`")
    assert "| weights | 61.03 | safetensors |" in text
    assert "✘ does not start" in text
    assert result.range == types.Range(
        start=types.Position(line=line, character=2), end=types.Position(line=line, character=15)
    )


async def test_hover_range_in_the_client_encoding_after_an_emoji(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = 'model: {id: "日本語😀", dtype: auto}\nhardware: {gpu_name: "H100 SXM"}\n'
    uri = open_text(client, tmp_path / "profile.yaml", text)
    column = 28 if encoding(client) == "utf-16" else 36
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=types.Position(line=0, character=column))
    )
    assert result is not None and result.range is not None
    assert (result.range.start.character, result.range.end.character) == (column, column + 4)


async def test_completion_on_a_half_typed_key(client: LanguageClient, tmp_path: Path) -> None:
    text = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_na\n"
    uri = open_text(client, tmp_path / "profile.yaml", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=types.Position(line=3, character=8))
    )
    assert isinstance(result, types.CompletionList)
    [item] = [i for i in result.items if i.label == "gpu_name"]
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.range == types.Range(
        start=types.Position(line=3, character=2), end=types.Position(line=3, character=8)
    )
    assert item.text_edit.new_text in ("gpu_name: ${1:auto}", "gpu_name: auto")


async def test_completion_of_gpu_names_with_their_memory(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H1\n"
    uri = open_text(client, tmp_path / "profile.yaml", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=doc(uri), position=types.Position(line=3, character=14)
        )
    )
    assert isinstance(result, types.CompletionList)
    details = {i.label: i.detail for i in result.items}
    assert details["H100 SXM"] == "79.18 GiB · H100 SXM"
    assert "auto" in details


async def test_quick_fix_applied_makes_the_profile_start(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    [error] = await diagnostics(client, uri, 1)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=error.range,
            context=types.CodeActionContext(diagnostics=[error]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions]
    assert titles[0] == "Set quantization: fp8_per_tensor (fits: 34.7 GiB KV, 142,192 tokens)"
    assert "Use 2 GPUs, tp 2 (fits: 34.6 GiB KV, 283,600 tokens)" in titles
    assert "Set max_model_len: 23,136 (starts: 5.7 GiB KV, 23,152 tokens)" in titles
    assert "Generate deployment files" in titles
    fix = actions[0]
    assert isinstance(fix, types.CodeAction) and fix.edit is not None and fix.edit.changes
    assert fix.kind == types.CodeActionKind.QuickFix
    fixed = apply(DOES_NOT_START, list(fix.edit.changes[uri]))
    change_text(client, uri, fixed, 2)
    assert [d.code for d in await diagnostics(client, uri, 2)] == []


async def test_only_source_actions_when_asked(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", FITS)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Source]),
        )
    )
    assert actions is not None
    # lsprotocol's client reads an action with a title and a command as a Command.
    assert [
        (a.title, "vllm-wizard." + str(a.command).split("vllm-wizard.")[1][:8]) for a in actions
    ] == [
        ("Generate deployment files", "vllm-wizard.generate"),
        ("Show plan.json", "vllm-wizard.showPlan"),
    ]


async def test_code_lens_carries_the_verdict(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", FITS)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=doc(uri))
    )
    [lens] = lenses or []
    assert lens.range.start == types.Position(line=0, character=0)
    assert lens.command is not None
    assert lens.command.title == "✔ fits · 53.0 GiB KV · 434,064 tokens · 3.3× at 131,072"
    assert lens.command.command == "vllm-wizard.showPlan"
    assert list(lens.command.arguments or []) == [uri]


async def test_verdict_notification_for_status_bars(client: LanguageClient, tmp_path: Path) -> None:
    waiting = asyncio.ensure_future(client.wait_for_notification("vllmWizard/verdict"))
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    verdict = await asyncio.wait_for(waiting, TIMEOUT_S)
    # pygls hands unknown notifications' params over as attribute objects
    assert verdict.uri == uri
    assert (verdict.starts, verdict.fits) == (False, False)
    assert verdict.summary == "✘ does not start · needs quantization fp8_per_tensor"


async def test_document_symbols(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri))
    )
    assert found is not None
    names = [s.name for s in found if isinstance(s, types.DocumentSymbol)]
    assert names == ["profile_version", "model", "hardware", "workload"]
    model = next(s for s in found if isinstance(s, types.DocumentSymbol) and s.name == "model")
    assert [(c.name, c.detail) for c in model.children or []] == [
        ("id", "Qwen/Qwen3-32B"),
        ("max_model_len", "32768"),
    ]


def _answer_message_requests(client: LanguageClient, answers: list[str]) -> list[str]:
    asked: list[str] = []

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.append(params.message)
        wanted = answers.pop(0)
        return types.MessageActionItem(title=wanted)

    return asked


async def test_generate_writes_the_files_and_opens_the_serve_command(
    client: LanguageClient, tmp_path: Path
) -> None:
    asked = _answer_message_requests(client, ["Replace"])
    profile = tmp_path / "profile.yaml"
    profile.write_text(FITS)
    uri = open_text(client, profile, FITS)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.generate", arguments=[uri])
    )
    deploy = tmp_path / "deploy"
    assert sorted(p.name for p in deploy.iterdir()) == [
        "docker-compose.yaml", "plan.json", "profile.yaml", "serve_command.sh",
    ]  # fmt: skip
    assert (deploy / "serve_command.sh").stat().st_mode & 0o100
    assert [r["outcome"] for r in result["results"]] == ["written"] * 4
    assert client.shown_documents[-1].uri == (deploy / "serve_command.sh").resolve().as_uri()
    assert asked == []
    # A file the user changed is replaced only after asking.
    (deploy / "serve_command.sh").write_text("# mine\n")
    again: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.generate", arguments=[uri])
    )
    assert len(asked) == 1 and "serve_command.sh" in asked[0]
    outcomes = {r["name"]: r["outcome"] for r in again["results"]}
    assert outcomes["serve_command.sh"] == "replaced"
    assert outcomes["plan.json"] == "unchanged"


async def test_generate_asks_before_writing_a_plan_that_does_not_start(
    client: LanguageClient, tmp_path: Path
) -> None:
    asked = _answer_message_requests(client, ["Cancel"])
    uri = open_text(client, tmp_path / "profile.yaml", DOES_NOT_START)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.generate", arguments=[uri])
    )
    assert result == {"error": "cancelled: the plan does not start"}
    assert len(asked) == 1 and asked[0].startswith("vLLM will not start with this profile")
    assert not (tmp_path / "deploy").exists()


async def test_generate_asks_before_writing_outside_the_profiles_folder(
    client: LanguageClient, tmp_path: Path
) -> None:
    asked = _answer_message_requests(client, ["Cancel", "Write"])
    folder, elsewhere = tmp_path / "profiles", tmp_path / "elsewhere"
    folder.mkdir()
    text = FITS + "  dir: ../elsewhere\n"
    uri = open_text(client, folder / "profile.yaml", text)
    command = types.ExecuteCommandParams(command="vllm-wizard.generate", arguments=[uri])
    result: Any = await client.workspace_execute_command_async(command)
    assert result == {"error": "cancelled: outputs.dir is outside the profile's folder"}
    assert asked == [
        f"The profile's outputs.dir sends the deployment files to {elsewhere}, outside the"
        f" profile's folder {folder}. Write them there?"
    ]
    assert not elsewhere.exists()
    # Write: the files go where outputs.dir says
    result = await client.workspace_execute_command_async(command)
    assert Path(result["folder"]) == folder / "../elsewhere" and len(asked) == 2
    assert sorted(p.name for p in elsewhere.iterdir()) == [
        "docker-compose.yaml", "plan.json", "profile.yaml", "serve_command.sh",
    ]  # fmt: skip


async def test_show_plan_writes_and_returns_plan_json(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", FITS)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.showPlan", arguments=[uri])
    )
    written = tmp_path / "deploy" / "plan.json"
    assert result["saved"] is True and Path(result["path"]) == written
    plan = json.loads(written.read_text())
    assert plan == json.loads(result["plan"])
    assert (plan["fits"], plan["memory"]["kv_cache_tokens"]) == (True, 434064)


async def test_show_plan_carries_the_engines_warnings(
    client: LanguageClient, tmp_path: Path
) -> None:
    # `H100` fits three boards: the engine's warning, not the planner's, is in plan.json too
    text = FITS.replace("gpu_name: H100 SXM", "gpu_name: H100")
    uri = open_text(client, tmp_path / "profile.yaml", text)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.showPlan", arguments=[uri])
    )
    warnings = json.loads(result["plan"])["warnings"]
    shown = [(d.code, d.message) for d in await diagnostics(client, uri)]
    assert [(w["code"], w["message"]) for w in warnings] == shown
    assert [w["code"] for w in warnings] == ["gpu-ambiguous"]


async def test_output_dir_setting_is_reread_on_change(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = open_text(client, tmp_path / "profile.yaml", FITS)
    client.set_configuration({"outputDir": "elsewhere", "offline": True}, section="vllmWizard")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"vllmWizard": {"outputDir": "elsewhere"}})
    )
    await asyncio.sleep(0.2)
    result: Any = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="vllm-wizard.showPlan", arguments=[uri])
    )
    assert Path(result["path"]) == tmp_path / "elsewhere" / "plan.json"


def test_the_apply_helper_replaces_the_range() -> None:
    edit = types.TextEdit(
        range=types.Range(
            start=types.Position(line=1, character=2), end=types.Position(line=1, character=3)
        ),
        new_text="X",
    )
    assert apply("ab\ncde\n", [edit]) == "ab\ncdX\n"
