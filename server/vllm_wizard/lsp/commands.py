"""`vllm-wizard.generate` and `vllm-wizard.showPlan`: the server writes the files itself.

The same renderers and atomic writer as `vllm-wizard generate`. Before replacing a file that
differs from what would be written, the user is asked (`window/showMessageRequest`); a plan
that will not start is written only when the user says so, each file then saying why. Work
is reported with `$/progress`, and the result opens with `window/showDocument`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vllm_wizard.lsp.analysis import uri_to_path
from vllm_wizard.lsp.progress import Progress
from vllm_wizard.render.artifacts import (
    PLAN_JSON,
    Artifact,
    Artifacts,
    artifacts,
    does_not_start_banner,
)
from vllm_wizard.render.emit import (
    OutputDirError,
    PlannedWrite,
    WriteReport,
    apply,
    plan_writes,
    resolve_output_dir,
)

if TYPE_CHECKING:
    from vllm_wizard.lsp.server import WizardServer
    from vllm_wizard.planning.plan import Plan

log = logging.getLogger(__name__)

GENERATE_ANYWAY = "Generate anyway"
REPLACE = "Replace"
KEEP = "Keep mine"
CANCEL = "Cancel"
SHOW_UNSAVED = "Show without saving"


def _from_uri(uri: str) -> Path:
    """The profile's folder (files of unsaved documents go to the working directory)."""
    path = uri_to_path(uri)
    return Path(path).parent if path is not None else Path.cwd()


def _file_uri(path: Path) -> str:
    return path.resolve().as_uri()


async def _ask(
    server: WizardServer, kind: types.MessageType, message: str, *choices: str
) -> str | None:
    window = server.client_capabilities.window
    if window is None or window.show_message is None:
        return None
    answer = await server.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=kind,
            message=message,
            actions=[types.MessageActionItem(title=choice) for choice in choices],
        )
    )
    return answer.title if answer is not None else None


def _tell(server: WizardServer, kind: types.MessageType, message: str) -> None:
    server.window_show_message(types.ShowMessageParams(type=kind, message=message))


async def _show(server: WizardServer, path: Path) -> None:
    window = server.client_capabilities.window
    if window is None or window.show_document is None or not window.show_document.support:
        return
    await server.window_show_document_async(
        types.ShowDocumentParams(uri=_file_uri(path), take_focus=True)
    )


def _plan_or_reason(server: WizardServer, uri: str) -> tuple[Plan | None, str]:
    analysis, _ = server.current(uri)
    if analysis is None:
        return None, "this file is not a vLLM Wizard profile"
    if analysis.plan is not None:
        return analysis.plan, ""
    blocking = next((d for d in analysis.diagnostics if d.is_error), None)
    if blocking is None:
        blocking = next(
            (d for d in analysis.diagnostics if d.code.value in ("model-unresolved",
             "model-loading", "gpu-undetected")),
            None,
        )  # fmt: skip
    why = blocking.message if blocking is not None else "the profile has no plan yet"
    return None, why


def _folder(server: WizardServer, uri: str, plan: Plan) -> Path:
    return resolve_output_dir(
        None, _from_uri(uri), plan.profile.outputs.dir, server.settings.output_dir
    )


def _report_json(report: WriteReport, rendered: Artifacts) -> dict[str, Any]:
    return {
        "folder": str(report.folder),
        "results": [
            {"name": r.name, "path": str(r.path), "outcome": r.outcome} for r in report.results
        ],
        "skipped": dict(rendered.skipped),
        "warnings": list(rendered.warnings),
    }


async def generate(server: WizardServer, uri: str) -> dict[str, Any]:
    """Write the profile's deployment files (its `outputs.emit`, and plan.json)."""
    plan, why = _plan_or_reason(server, uri)
    if plan is None:
        _tell(server, types.MessageType.Error, f"vLLM Wizard cannot generate files: {why}")
        return {"error": why}
    banner = None
    if not plan.starts:
        banner = does_not_start_banner(plan)
        first = next((f.message for f in plan.findings if f.is_error), "")
        answer = await _ask(
            server,
            types.MessageType.Warning,
            f"vLLM will not start with this profile: {first} Generate the files anyway?",
            GENERATE_ANYWAY,
            CANCEL,
        )
        if answer != GENERATE_ANYWAY:
            return {"error": "cancelled: the plan does not start"}
    rendered = artifacts(plan, plan.profile.outputs.emit, infeasible_banner=banner)
    folder = _folder(server, uri, plan)
    planned = plan_writes(folder, rendered)
    force = await _confirm_replacements(server, planned)
    try:
        async with Progress(server, "Generating deployment files") as progress:
            progress.report(f"writing {len(planned)} files to {folder}", 50)
            report = await asyncio.to_thread(apply, folder, planned, force=force)
    except OutputDirError as error:
        _tell(server, types.MessageType.Error, f"vLLM Wizard: {error}")
        return {"error": str(error)}
    _tell(server, types.MessageType.Info, _summary(report, rendered))
    opened = folder / "serve_command.sh"
    await _show(server, opened if opened.exists() else folder / PLAN_JSON)
    return _report_json(report, rendered)


async def _confirm_replacements(server: WizardServer, planned: list[PlannedWrite]) -> bool:
    changed = [w.name for w in planned if w.status == "changed"]
    if not changed:
        return False
    answer = await _ask(
        server,
        types.MessageType.Warning,
        f"{len(changed)} file(s) in the output folder differ from what vLLM Wizard would"
        f" write: {', '.join(changed)}. Replace them?",
        REPLACE,
        KEEP,
    )
    return answer == REPLACE


def _summary(report: WriteReport, rendered: Artifacts) -> str:
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    parts = [f"{n} {outcome}" for outcome, n in counts.items()]
    text = f"vLLM Wizard: {', '.join(parts)} in {report.folder}."
    if rendered.skipped:
        text += " Skipped: " + "; ".join(f"{k} ({v})" for k, v in rendered.skipped.items())
    for warning in rendered.warnings:
        text += f" {warning}"
    return text


async def show_plan(server: WizardServer, uri: str) -> dict[str, Any]:
    """Write plan.json to the output folder and open it; the JSON is also returned."""
    from vllm_wizard.render.plan_json import plan_json

    plan, why = _plan_or_reason(server, uri)
    if plan is None:
        _tell(server, types.MessageType.Error, f"vLLM Wizard has no plan: {why}")
        return {"error": why}
    text = plan_json(plan)
    folder = _folder(server, uri, plan)
    planned = plan_writes(folder, {PLAN_JSON: Artifact(text, False)})
    save = True
    if planned[0].status == "changed":
        answer = await _ask(
            server,
            types.MessageType.Info,
            f"{planned[0].path} differs from the current plan. Replace it?",
            REPLACE,
            SHOW_UNSAVED,
        )
        save = answer == REPLACE
    if save:
        try:
            await asyncio.to_thread(apply, folder, planned, force=True)
        except OutputDirError as error:
            _tell(server, types.MessageType.Error, f"vLLM Wizard: {error}")
            return {"error": str(error), "plan": text}
        await _show(server, planned[0].path)
    return {"path": str(planned[0].path), "saved": save, "plan": text}
