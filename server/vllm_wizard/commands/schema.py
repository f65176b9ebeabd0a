"""`vllm-wizard schema [profile|plan]`: print a JSON Schema."""

from __future__ import annotations

import argparse
import sys

from vllm_wizard.profile.jsonschema import render_schema


def run(args: argparse.Namespace) -> int:
    if args.which == "plan":
        from vllm_wizard.render.plan_json import plan_json_schema

        sys.stdout.write(render_schema(plan_json_schema()))
    else:
        from vllm_wizard.profile.jsonschema import profile_json_schema

        sys.stdout.write(render_schema(profile_json_schema()))
    return 0
