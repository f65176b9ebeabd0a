"""`vllm-wizard generate [PROFILE] [-o DIR] [--emit …] [--force] [--allow-infeasible]` with
the same flag overrides as `plan` (DESIGN §7).

Exit 0 when every requested file was written (or was already identical); 1 when refused:
a file that differs without --force (the others are written), a requested file the plan
cannot have (Compose for several nodes, Helm values the chart would run as shell code; the
others are written), a plan vLLM would not start without --allow-infeasible (nothing is
written), an `outputs.dir` outside the profile's folder without -o or --force (nothing is
written); 2 on unusable input, including an output folder that cannot be created or written.
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
    analyze_args,
    format_diagnostic,
    noted_diagnostics,
)

if TYPE_CHECKING:
    from vllm_wizard.pipeline import Analysis
    from vllm_wizard.planning.plan import Plan
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


def next_commands(report: WriteReport, plan: Plan) -> list[str]:
    """What to run next, one line per runnable file that was emitted."""
    paths = {r.name: shlex.quote(str(r.path)) for r in report.results}
    multi_node = plan.profile.hardware.nodes > 1
    commands = []
    if "serve_command.sh" in paths:
        where = "   # on the head node, once Ray runs on every node" if multi_node else ""
        commands.append(f"bash {paths['serve_command.sh']}{where}")
    if "docker_run.sh" in paths:
        if multi_node:
            commands.append(f"bash {paths['docker_run.sh']} head HEAD_IP   # on the head node")
            commands.append(
                f"bash {paths['docker_run.sh']} worker HEAD_IP THIS_NODE_IP   # on each other node"
            )
        else:
            commands.append(f"bash {paths['docker_run.sh']}")
    if "docker-compose.yaml" in paths:
        commands.append(f"docker compose -f {paths['docker-compose.yaml']} up -d")
    if "k8s-values.yaml" in paths:
        commands.append(f"helm install vllm vllm/vllm-stack -f {paths['k8s-values.yaml']}")
    return commands


def _refuse_infeasible(analysis: Analysis, display: str | None) -> int:
    from vllm_wizard.render.report import best_recommendation, verdict_line

    assert analysis.plan is not None
    blocking = [d for d in analysis.diagnostics if d.is_error]
    for diagnostic in blocking:
        _err(format_diagnostic(display, diagnostic))
    if not blocking:
        _err(f"{display or '<flags>'}: {verdict_line(analysis.plan)}")
    best = best_recommendation(analysis.plan)
    fix = f" The cheapest setup that starts: {best.title}." if best is not None else ""
    _err(
        f"{PROG}: vLLM would not start with this plan, so nothing was written.{fix} Fix the"
        " profile, or pass --allow-infeasible to write the files anyway (each one then says"
        " that it will not start)."
    )
    return EXIT_REFUSED


def _outside_output_dir(analysis: Analysis, display: str | None, force: bool) -> bool:
    """Report an `outputs.dir` outside the profile's folder; True when that refuses the run.

    The profile alone must not send an executable script anywhere on disk: writing there
    takes `-o` (which then wins) or `--force`.
    """
    outside = [d for d in analysis.diagnostics if d.code.value == "output-dir"]
    for diagnostic in outside:
        _err(format_diagnostic(display, diagnostic))
    if outside and not force:
        _err(
            f"{PROG}: nothing was written: the profile's outputs.dir points outside its folder."
            " Name the folder with -o DIR to write there, or pass --force."
        )
        return True
    return False


def _print_report(report: WriteReport) -> None:
    width = max((len(r.outcome) for r in report.results), default=0)
    for result in report.results:
        sys.stdout.write(f"{result.outcome:<{width}}  {result.path}\n")


def run(args: argparse.Namespace) -> int:
    from vllm_wizard.render.artifacts import artifacts, does_not_start_banner
    from vllm_wizard.render.emit import OutputDirError, resolve_output_dir, write_artifacts

    try:
        analysis, display = analyze_args(args, "generate")
    except UsageError as exc:
        _err(f"{PROG}: {exc}")
        return EXIT_UNUSABLE
    plan = analysis.plan
    assert plan is not None
    for line in noted_diagnostics(display, analysis.diagnostics):
        _err(line)
    if not plan.starts and not args.allow_infeasible:
        return _refuse_infeasible(analysis, display)

    outputs = plan.profile.outputs
    if args.output is None and _outside_output_dir(analysis, display, bool(args.force)):
        return EXIT_REFUSED
    folder = resolve_output_dir(args.output, _profile_dir(args), outputs.dir, None)
    banner = None if plan.starts else does_not_start_banner(plan)
    rendered = artifacts(
        plan,
        args.emit or outputs.emit,
        infeasible_banner=banner,
        diagnostics=analysis.diagnostics,
    )
    # rendered.warnings (an AMD GPU) were noted above, as the analysis's amd-artifacts warning
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
    commands = next_commands(report, plan)
    if commands:
        sys.stdout.write("\nNext:\n" + "".join(f"  {c}\n" for c in commands))
    if rendered.skipped:
        _err(
            f"{PROG}: {len(rendered.skipped)} requested file(s) not written:"
            f" {', '.join(rendered.skipped)} (the reason is above)."
        )
        return EXIT_REFUSED
    return EXIT_OK
