"""`vllm-wizard plan PROFILE [--json] [--explain]` with the original CLI's flag overrides.

Exit 0 when a plan was computed (whether it fits or not); 2 on unusable input, with the
reason on stderr and nothing on stdout under --json.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from vllm_wizard.commands.common import UsageError, analyze_args, noted_diagnostics

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan

EXIT_OK = 0
EXIT_UNUSABLE = 2


def run(args: argparse.Namespace) -> int:
    try:
        analysis, display = analyze_args(args, "plan")
    except UsageError as exc:
        sys.stderr.write(f"vllm-wizard plan: {exc}\n")
        return EXIT_UNUSABLE
    plan: Plan | None = analysis.plan
    assert plan is not None
    if args.json:  # each output imports only its own renderer: start-up is most of `plan`
        from vllm_wizard.render.plan_json import plan_json

        sys.stdout.write(plan_json(plan, analysis.diagnostics))
    else:
        from vllm_wizard.render.report import render_report

        sys.stdout.write(render_report(plan, explain=bool(args.explain)))
    for line in noted_diagnostics(display, analysis.diagnostics):
        sys.stderr.write(line + "\n")
    return EXIT_OK
