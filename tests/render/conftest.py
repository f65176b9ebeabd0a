"""Fixtures of the render tests: plans from profile text, scripts run with fake tools.

Plans are computed offline: models come from the bundled catalog or a local folder with a
config.json, GPUs are always named (never NVML).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from vllm_wizard.commands.common import cli_context
from vllm_wizard.pipeline import analyze
from vllm_wizard.planning.plan import Plan

PlanMaker = Callable[..., Plan]


@pytest.fixture
def make_plan(tmp_path: Path) -> PlanMaker:
    """Profile text (+ the folder relative paths are read from) → its Plan."""

    def make(text: str, base: Path | None = None) -> Plan:
        analysis = analyze(text, cli_context(base or tmp_path, offline=True))
        errors = [d.message for d in analysis.diagnostics if d.is_error]
        assert analysis.plan is not None, errors
        return analysis.plan

    return make


FAKE = """#!/usr/bin/env bash
printf '%s\\0' "$@" > "$ARGV_OUT"
"""


@pytest.fixture
def run_with_fakes(tmp_path: Path) -> Callable[[Path], list[str]]:
    """Run a generated script with fake `vllm` and `docker` first on PATH; the argv they got.

    The script runs in an empty folder; the test fails if anything appeared in it (a command
    injected through a value would `touch` a file there).
    """
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("vllm", "docker"):
        fake = bin_dir / name
        fake.write_text(FAKE)
        fake.chmod(0o755)

    def run(script: Path) -> list[str]:
        work = tmp_path / "run"
        work.mkdir(exist_ok=True)
        out = tmp_path / "argv.bin"
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        env["ARGV_OUT"] = str(out)
        result = subprocess.run(
            ["bash", str(script)], cwd=work, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert list(work.iterdir()) == []
        data = out.read_bytes()
        assert data.endswith(b"\0")
        return [w.decode("utf-8") for w in data[:-1].split(b"\0")]

    return run
