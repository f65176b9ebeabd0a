"""`vllm-wizard plan PROFILE [--json] [--explain]` with the original CLI's flag overrides.

Exit 0 when a plan was computed (whether it fits or not); 2 on unusable input, with the
reason on stderr and nothing on stdout under --json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vllm_wizard.commands.common import (
    UsageError,
    apply_overrides,
    cli_context,
    format_diagnostic,
    override_values,
    read_source,
)
from vllm_wizard.engine import Analysis, analyze

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan

EXIT_OK = 0
EXIT_UNUSABLE = 2

FLAGS_ONLY_PROFILE = "model:\n  id: placeholder\n"
"""Text analysed when only flags are given (the flags then replace every value)."""


def compute(args: argparse.Namespace, command: str = "plan") -> tuple[Analysis, str]:
    """Analyse the profile (or the flags alone) with every stage; UsageError when unusable."""
    raw = args.profile_path or args.profile_option
    values = override_values(args)
    if raw is None:
        if args.profile_required:
            raise UsageError("give a profile (a path, or - for standard input)")
        if ("model", "id") not in values:
            raise UsageError("give a profile, or at least --model")
        display, text, base = "<flags>", FLAGS_ONLY_PROFILE, Path.cwd()
    else:
        source = read_source(raw)
        display, text, base = source.display, source.text, source.base_dir

    def warn(message: str) -> None:
        sys.stderr.write(f"vllm-wizard {command}: warning: {message}\n")

    context = cli_context(base, offline=bool(args.offline))
    override = (lambda profile: apply_overrides(profile, values, warn)) if values else None
    analysis = analyze(text, context, profile_override=override)
    if analysis.profile is None or analysis.plan is None:
        blocking = [d for d in analysis.diagnostics if d.is_error] + [
            d
            for d in analysis.diagnostics
            if d.code.value in ("model-unresolved", "gpu-undetected")
        ]
        if raw is None:  # flags only: a position in the placeholder text means nothing
            reasons = [f"{d.severity.label}[{d.code.value}] {d.message}" for d in blocking]
        else:
            reasons = [format_diagnostic(display, d) for d in blocking]
        raise UsageError("no plan:\n" + "\n".join(reasons or ["the profile is not usable"]))
    return analysis, display


def run(args: argparse.Namespace) -> int:
    from vllm_wizard.render.plan_json import plan_json
    from vllm_wizard.render.report import render_report

    try:
        analysis, display = compute(args)
    except UsageError as exc:
        sys.stderr.write(f"vllm-wizard plan: {exc}\n")
        return EXIT_UNUSABLE
    plan: Plan | None = analysis.plan
    assert plan is not None
    if args.json:
        sys.stdout.write(plan_json(plan))
        return EXIT_OK
    sys.stdout.write(render_report(plan, explain=bool(args.explain)))
    profile_only = [
        d
        for d in analysis.diagnostics
        if d.code.value in ("unknown-key", "deprecated-alias", "model-derived")
    ]
    for diagnostic in profile_only:
        sys.stderr.write(format_diagnostic(display, diagnostic) + "\n")
    return EXIT_OK
