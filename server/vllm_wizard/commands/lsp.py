"""`vllm-wizard lsp`: the language server over stdio (`--stdio`, what VS Code adds, is the
default) or TCP for debugging."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from vllm_wizard.lsp.server import serve

    return serve(tcp=args.tcp, level=args.log_level, log_file=args.log_file)
