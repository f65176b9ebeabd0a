"""`vllm-wizard generate PROFILE [-o DIR] [--emit …] [--force] [--allow-infeasible]` (DESIGN §7).

Exit 0 when the files were written (or were already identical); 1 when refused (a file that
differs without --force, a plan vLLM would not start without --allow-infeasible); 2 on
unusable input, including an output folder that cannot be created or written.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vllm_wizard.commands.common import (
    STDIN,
    UsageError,
    format_diagnostic,
    noted_diagnostics,
    override_values,
)
from vllm_wizard.commands.plan import compute

if TYPE_CHECKING:
    from vllm_wizard.engine import Analysis
    from vllm_wizard.render.emit import WriteReport

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_UNUSABLE = 2
PROG = "vllm-wizard generate"


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def _profile_dir(args: argparse.Namespace) -> Path:
    raw = args.profile_path or args.profile_option
    return Path() if raw in (None, STDIN) else Path(raw).parent


def next_commands(report: WriteReport) -> list[str]:
    """What to run next, one line per runnable file that was emitted."""
    paths = {r.name: shlex.quote(str(r.path)) for r in report.results}
    commands = []
    for name in ("serve_command.sh", "docker_run.sh"):
        if name in paths:
            commands.append(f"bash {paths[name]}")
    if "docker-compose.yaml" in paths:
        commands.append(f"docker compose -f {paths['docker-compose.yaml']} up -d")
    if "k8s-values.yaml" in paths:
        commands.append(f"helm install vllm vllm/vllm-stack -f {paths['k8s-values.yaml']}")
    return commands


def _refuse_infeasible(analysis: Analysis, display: str) -> int:
    from vllm_wizard.render.report import verdict_line

    assert analysis.plan is not None
    blocking = [d for d in analysis.diagnostics if d.is_error]
    for diagnostic in blocking:
        _err(format_diagnostic(display, diagnostic))
    if not blocking:
        _err(f"{display}: {verdict_line(analysis.plan)}")
    _err(
        f"{PROG}: vLLM would not start with this plan, so nothing was written. Fix the"
        " profile, or pass --allow-infeasible to write the files anyway (each one then says"
        " that it will not start)."
    )
    return EXIT_REFUSED


def _print_report(report: WriteReport) -> None:
    width = max((len(r.outcome) for r in report.results), default=0)
    for result in report.results:
        sys.stdout.write(f"{result.outcome:<{width}}  {result.path}\n")


def run(args: argparse.Namespace) -> int:
    from vllm_wizard.render.artifacts import artifacts, does_not_start_banner
    from vllm_wizard.render.emit import OutputDirError, resolve_output_dir, write_artifacts

    try:
        analysis, display = compute(args, "generate")
    except UsageError as exc:
        _err(f"{PROG}: {exc}")
        return EXIT_UNUSABLE
    plan = analysis.plan
    assert plan is not None
    for line in noted_diagnostics("generate", display, analysis.diagnostics, override_values(args)):
        _err(line)
    if not plan.starts and not args.allow_infeasible:
        return _refuse_infeasible(analysis, display)

    outputs = plan.profile.outputs
    folder = resolve_output_dir(args.output, _profile_dir(args), outputs.dir, None)
    if args.output is None:
        for diagnostic in analysis.diagnostics:
            if diagnostic.code.value == "output-dir":
                _err(format_diagnostic(display, diagnostic))
    banner = None if plan.starts else does_not_start_banner(plan)
    rendered = artifacts(plan, args.emit or outputs.emit, infeasible_banner=banner)
    for warning in rendered.warnings:
        _err(f"{PROG}: warning: {warning}")
    for reason in rendered.skipped.values():
        _err(f"{PROG}: {reason}")
    try:
        report = write_artifacts(folder, rendered, force=bool(args.force))
    except OutputDirError as exc:
        _err(f"{PROG}: {exc}")
        return EXIT_UNUSABLE
    _print_report(report)
    if report.refused:
        names = ", ".join(str(r.path) for r in report.refused)
        _err(
            f"{PROG}: {len(report.refused)} file(s) differ from what would be written and were"
            f" left as they are: {names}; use --force to replace them."
        )
        return EXIT_REFUSED
    if not plan.starts:
        _err(f"{PROG}: warning: written with --allow-infeasible: vLLM will not start as is.")
    commands = next_commands(report)
    if commands:
        sys.stdout.write("\nNext:\n" + "".join(f"  {c}\n" for c in commands))
    return EXIT_OK
