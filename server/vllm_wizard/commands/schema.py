"""`vllm-wizard schema`: print a JSON Schema."""

from __future__ import annotations

import argparse
import sys

from vllm_wizard.profile.jsonschema import profile_json_schema, render_schema


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render_schema(profile_json_schema()))
    return 0
