"""`vllm-wizard.generate` and `vllm-wizard.showPlan`: the server writes the files itself.

The same renderers and atomic writer as `vllm-wizard generate`. Before replacing a file that
differs from what would be written, the user is asked (`window/showMessageRequest`); a plan
that will not start is written only when the user says so, each file then saying why. Work
is reported with `$/progress`, and the result opens with `window/showDocument`.

An `outputs.dir` outside the profile's folder is written to only when the user says so (the
CLI wants `-o` or `--force`). Clients that cannot be asked (no `window.showMessage`
capability: eglot, Kate) keep the user's files and write nothing for a plan that will not
start or for such an `outputs.dir`; every outcome a client does not show
by opening a document (no `window.showDocument`, or the editor did not open it) is told with
`window/showMessage`: what was written and where, or why nothing was and what to do.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vllm_wizard.lsp.documents import uri_to_path
from vllm_wizard.lsp.progress import Progress
from vllm_wizard.profile.io import outside_profile_folder
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
    from vllm_wizard.pipeline import Analysis
    from vllm_wizard.planning.plan import Plan

log = logging.getLogger(__name__)

GENERATE_ANYWAY = "Generate anyway"
WRITE = "Write"
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


def can_ask(server: WizardServer) -> bool:
    """Whether the client offers `window/showMessageRequest` with choices."""
    window = server.client_capabilities.window
    return window is not None and window.show_message is not None


async def _ask(
    server: WizardServer, kind: types.MessageType, message: str, *choices: str
) -> str | None:
    """The title of the choice the user picked; None when dismissed or not asked."""
    if not can_ask(server):
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


async def _show(server: WizardServer, path: Path) -> bool:
    """Open `path` in the editor; False when the client cannot or did not."""
    window = server.client_capabilities.window
    if window is None or window.show_document is None or not window.show_document.support:
        return False
    shown = await server.window_show_document_async(
        types.ShowDocumentParams(uri=_file_uri(path), take_focus=True)
    )
    return shown is not None and shown.success


def _planned(server: WizardServer, uri: str) -> tuple[Analysis | None, str]:
    """The document's analysis when it has a plan; else None and why not."""
    analysis, _ = server.current(uri)
    if analysis is None:
        return None, "this file is not a vLLM Wizard profile"
    if analysis.plan is not None:
        return analysis, ""
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
    analysis, why = _planned(server, uri)
    if analysis is None or analysis.plan is None:
        _tell(server, types.MessageType.Error, f"vLLM Wizard cannot generate files: {why}")
        return {"error": why}
    plan = analysis.plan
    banner = None
    if not plan.starts:
        banner = does_not_start_banner(plan)
        first = next((f.message for f in plan.findings if f.is_error), "")
        if not can_ask(server):
            _tell(
                server,
                types.MessageType.Warning,
                f"vLLM Wizard wrote no files: vLLM will not start with this profile: {first}"
                " Fix the profile, or write the files anyway with"
                " `vllm-wizard generate --allow-infeasible`.",
            )
            return {"error": "not written: the plan does not start"}
        answer = await _ask(
            server,
            types.MessageType.Warning,
            f"vLLM will not start with this profile: {first} Generate the files anyway?",
            GENERATE_ANYWAY,
            CANCEL,
        )
        if answer != GENERATE_ANYWAY:
            return {"error": "cancelled: the plan does not start"}
    refused = await _refuse_outside_folder(server, uri, plan)
    if refused is not None:
        return {"error": refused}
    rendered = artifacts(
        plan,
        plan.profile.outputs.emit,
        infeasible_banner=banner,
        diagnostics=analysis.diagnostics,
    )
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
    kind = types.MessageType.Warning if report.refused else types.MessageType.Info
    _tell(server, kind, _summary(report, rendered))
    opened = folder / "serve_command.sh"
    await _show(server, opened if opened.exists() else folder / PLAN_JSON)
    return _report_json(report, rendered)


async def _refuse_outside_folder(server: WizardServer, uri: str, plan: Plan) -> str | None:
    """Why nothing is written when `outputs.dir` leaves the profile's folder; None to write.

    The profile alone must not send an executable script anywhere on disk (the CLI wants
    `-o` or `--force`): the user is asked, and a client that cannot be asked is told how to
    write there from the command line.
    """
    written = plan.profile.outputs.dir
    profile_dir = _from_uri(uri)
    target = outside_profile_folder(profile_dir, written) if written else None
    if target is None:
        return None
    where = (
        f"outputs.dir sends the deployment files to {target}, outside the profile's folder"
        f" {profile_dir.resolve()}"
    )
    if not can_ask(server):
        profile = uri_to_path(uri)
        command = (
            f"vllm-wizard generate {shlex.quote(str(profile)) if profile else 'PROFILE'}"
            f" -o {shlex.quote(str(target))}"
        )
        _tell(
            server,
            types.MessageType.Warning,
            f"vLLM Wizard wrote no files: the profile's {where}, and this editor cannot ask"
            f" before writing there. Write them with `{command}`, or point outputs.dir inside"
            " the profile's folder.",
        )
        return "not written: outputs.dir is outside the profile's folder"
    answer = await _ask(
        server,
        types.MessageType.Warning,
        f"The profile's {where}. Write them there?",
        WRITE,
        CANCEL,
    )
    if answer != WRITE:
        return "cancelled: outputs.dir is outside the profile's folder"
    return None


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


_OUTCOMES: dict[str, tuple[str, str]] = {
    "written": ("wrote ", ""),
    "replaced": ("replaced ", ""),
    "unchanged": ("left ", " unchanged"),
    "changed, not replaced": (
        "kept ",
        ", which differs from what it would write (`vllm-wizard generate --force` replaces {it})",
    ),
}
"""How the summary words each outcome: the file names go between the two parts."""


def _summary(report: WriteReport, rendered: Artifacts) -> str:
    """What was written, left and kept, by file name: clients that cannot open the result
    show only this."""
    names: dict[str, list[str]] = {}
    for result in report.results:
        names.setdefault(result.outcome, []).append(result.name)
    parts = []
    for outcome, (before, after) in _OUTCOMES.items():
        if outcome in names:
            it = "it" if len(names[outcome]) == 1 else "them"
            parts.append(before + ", ".join(names[outcome]) + after.format(it=it))
    text = f"vLLM Wizard, in {report.folder}: {'; '.join(parts)}."
    if rendered.skipped:
        text += " Skipped: " + "; ".join(f"{k} ({v})" for k, v in rendered.skipped.items())
    for warning in rendered.warnings:
        text += f" {warning}"
    return text


async def show_plan(server: WizardServer, uri: str) -> dict[str, Any]:
    """Write plan.json to the output folder and open it; the JSON is also returned."""
    from vllm_wizard.render.plan_json import plan_json
    from vllm_wizard.render.report import verdict_line

    analysis, why = _planned(server, uri)
    if analysis is None or analysis.plan is None:
        _tell(server, types.MessageType.Error, f"vLLM Wizard has no plan: {why}")
        return {"error": why}
    plan = analysis.plan
    text = plan_json(plan, analysis.diagnostics)
    folder = _folder(server, uri, plan)
    planned = plan_writes(folder, {PLAN_JSON: Artifact(text, False)})
    path = planned[0].path
    save = True
    if planned[0].status == "changed":
        if not can_ask(server):
            _tell(
                server,
                types.MessageType.Warning,
                f"vLLM Wizard did not replace {path}: it differs from the plan of the profile"
                " as it is now, and this editor cannot ask before replacing a file. Delete it"
                " to have it written again, or see the plan with `vllm-wizard plan --json`.",
            )
            return {"path": str(path), "saved": False, "plan": text}
        answer = await _ask(
            server,
            types.MessageType.Info,
            f"{path} differs from the current plan. Replace it?",
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
        if not await _show(server, path):
            _tell(
                server,
                types.MessageType.Info,
                f"vLLM Wizard wrote the plan to {path}: {verdict_line(plan)}.",
            )
    return {"path": str(path), "saved": save, "plan": text}
