"""The `vllm-wizard` command line: argument parsing and dispatch only.

Each subcommand lives in `vllm_wizard.commands.<name>` and is imported only when it runs,
so `vllm-wizard check` never pays for pygls, huggingface_hub or pynvml.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vllm_wizard import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; subcommand modules add nothing at import time."""
    parser = argparse.ArgumentParser(
        prog="vllm-wizard",
        description="Plan vLLM deployments: does the model fit, how fast, and how to serve it.",
    )
    parser.add_argument("--version", action="version", version=f"vllm-wizard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check profiles and report problems at their line and column",
        description=(
            "Check profiles. Directories are searched for profile files; files named"
            " explicitly are always checked; `-` reads standard input. Exit 0 when clean,"
            " 1 on any error, 2 when a path cannot be read."
        ),
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="profile, directory or -")
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (path:line:col: severity[code] message), json, or GitHub annotations",
    )

    schema = commands.add_parser(
        "schema", help="print a JSON Schema", description="Print the profile's JSON Schema."
    )
    schema.add_argument("which", nargs="?", choices=("profile",), default="profile")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m vllm_wizard`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE
    module = importlib.import_module(f"vllm_wizard.commands.{args.command}")
    try:
        code: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return code
