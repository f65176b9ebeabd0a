"""`vllm-wizard check PATH…`: the diagnostics engine as a linter (DESIGN §7)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vllm_wizard.commands.common import cli_context, format_diagnostic
from vllm_wizard.pipeline import analyze
from vllm_wizard.profile.diagnostics import Diagnostic, has_errors
from vllm_wizard.profile.io import decode, find_profiles

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic with the path it was found in, in the CLI's 1-based terms."""

    path: str
    diagnostic: Diagnostic

    @property
    def line(self) -> int:
        return self.diagnostic.range.start.line + 1

    @property
    def column(self) -> int:
        return self.diagnostic.range.start.character + 1

    @property
    def end_line(self) -> int:
        return self.diagnostic.range.end.line + 1

    @property
    def end_column(self) -> int:
        return self.diagnostic.range.end.character + 1

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.diagnostic.severity.label,
            "code": self.diagnostic.code.value,
            "message": self.diagnostic.message,
        }


def _targets(paths: list[str], errors: list[str]) -> Iterator[tuple[str, Path | None]]:
    """(display path, file) pairs to check; None stands for standard input."""
    for raw in paths:
        if raw == STDIN:
            yield "<stdin>", None
            continue
        path = Path(raw)
        if path.is_dir():
            for found in find_profiles(path):
                yield str(found), found
        elif path.exists():
            yield raw, path
        else:
            errors.append(f"{raw}: no such file or directory")


def check_bytes(display: str, data: bytes, base_dir: Path, *, offline: bool) -> list[Finding]:
    """Every stage on one file's bytes (the semantic ones resolve the model and the GPU)."""
    decoded = decode(data)
    if decoded.error is not None:
        return [Finding(display, decoded.error)]
    assert decoded.text is not None
    context = cli_context(base_dir, offline=offline)
    return [Finding(display, d) for d in analyze(decoded.text, context).diagnostics]


def _escape_github(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_text(finding: Finding) -> str:
    return format_diagnostic(finding.path, finding.diagnostic)


def format_github(finding: Finding) -> str:
    d = finding.diagnostic
    level = {"error": "error", "warning": "warning"}.get(d.severity.label, "notice")
    props = ",".join(
        [
            f"file={_escape_github(finding.path, property_value=True)}",
            f"line={finding.line}",
            f"col={finding.column}",
            f"endLine={finding.end_line}",
            f"endColumn={finding.end_column}",
            f"title={_escape_github(f'vllm-wizard {d.code.value}', property_value=True)}",
        ]
    )
    return f"::{level} {props}::{_escape_github(d.message)}"


def run(args: argparse.Namespace) -> int:
    unreadable: list[str] = []
    findings: list[Finding] = []
    for display, path in _targets(args.paths, unreadable):
        try:
            data = sys.stdin.buffer.read() if path is None else path.read_bytes()
        except OSError as exc:
            unreadable.append(f"{display}: {exc.strerror or exc}")
            continue
        base_dir = path.parent if path is not None else Path.cwd()
        findings.extend(check_bytes(display, data, base_dir, offline=bool(args.offline)))
    if args.format == "json":
        sys.stdout.write(json.dumps([f.as_json() for f in findings], indent=2) + "\n")
    else:
        render = format_github if args.format == "github" else format_text
        for finding in findings:
            sys.stdout.write(render(finding) + "\n")
    for message in unreadable:
        sys.stderr.write(f"vllm-wizard check: cannot read {message}\n")
    if unreadable:
        return 2
    return 1 if has_errors(f.diagnostic for f in findings) else 0
