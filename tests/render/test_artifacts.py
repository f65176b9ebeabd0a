"""The set of deployment files: names, banners, AMD, multi-node, purity, and the goldens.

Golden files live in tests/golden/<example>/ for every profile in examples/profiles/; rewrite
them with `VLLM_WIZARD_UPDATE_GOLDEN=1 python -m pytest tests/render/test_artifacts.py`.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from render_testing import EXAMPLES, MULTI_NODE, REPO_ROOT, SAMPLE, tool
from vllm_wizard.commands.common import cli_context
from vllm_wizard.pipeline import analyze
from vllm_wizard.planning.plan import Plan
from vllm_wizard.render.artifacts import (
    FILENAMES,
    PLAN_JSON,
    Artifact,
    Artifacts,
    artifacts,
    does_not_start_banner,
)

PlanMaker = Callable[..., Plan]
ALL = ("command", "profile", "compose", "k8s", "docker")
GOLDEN = REPO_ROOT / "tests" / "golden"
UPDATE_ENV = "VLLM_WIZARD_UPDATE_GOLDEN"

DOES_NOT_START = SAMPLE.replace('gpu_name: "RTX 4090"', 'gpu_name: "RTX 3060 8GB"')
AMD = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: MI300X\n"


def test_names_order_and_executables(make_plan: PlanMaker) -> None:
    rendered = artifacts(make_plan(SAMPLE), ALL, infeasible_banner=None, diagnostics=())
    assert [(name, a.executable) for name, a in rendered.files.items()] == [
        ("serve_command.sh", True),
        ("profile.yaml", False),
        ("docker-compose.yaml", False),
        ("k8s-values.yaml", False),
        ("docker_run.sh", True),
        ("plan.json", False),
    ]
    assert (rendered.skipped, rendered.warnings) == ({}, ())


def test_plan_json_always_and_targets_once(make_plan: PlanMaker) -> None:
    plan = make_plan(SAMPLE)
    assert list(artifacts(plan, [], infeasible_banner=None, diagnostics=()).files) == [PLAN_JSON]
    twice = artifacts(plan, ["docker", "command", "docker"], infeasible_banner=None, diagnostics=())
    assert list(twice.files) == ["docker_run.sh", "serve_command.sh", PLAN_JSON]


def test_multi_node_skips_compose_with_the_reason(make_plan: PlanMaker) -> None:
    rendered = artifacts(make_plan(MULTI_NODE), ALL, infeasible_banner=None, diagnostics=())
    assert "docker-compose.yaml" not in rendered.files
    assert list(rendered.skipped) == ["docker-compose.yaml"]
    assert rendered.skipped["docker-compose.yaml"].startswith(
        "docker-compose.yaml not written: the plan spans 2 nodes"
    )
    assert "k8s-values.yaml" in rendered.files


def _first_comments(artifact: Artifact) -> list[str]:
    lines = artifact.content.splitlines()
    skip = 1 if lines[0].startswith(("#!", "# yaml-language-server:")) else 0
    return lines[skip : skip + 3]


def test_a_plan_that_does_not_start_says_so_in_every_file(make_plan: PlanMaker) -> None:
    plan = make_plan(DOES_NOT_START)
    assert not plan.starts
    banner = does_not_start_banner(plan)
    rendered = artifacts(plan, ALL, infeasible_banner=banner, diagnostics=())
    for name, artifact in rendered.files.items():
        if name == PLAN_JSON:
            data = json.loads(artifact.content)
            assert (data["starts"], data["fits"]) == (False, False)
            continue
        head = _first_comments(artifact)
        assert head[0] == (
            "# WARNING: vllm-wizard predicts that vLLM will NOT start with this configuration:"
        ), name
        assert head[1].startswith("# - Does not start: no memory is left for the KV cache"), name
    assert yaml.safe_load(rendered.files["docker-compose.yaml"].content)["services"]
    assert yaml.safe_load(rendered.files["k8s-values.yaml"].content)["servingEngineSpec"]


def test_no_banner_when_it_starts(make_plan: PlanMaker) -> None:
    rendered = artifacts(make_plan(SAMPLE), ALL, infeasible_banner=None, diagnostics=())
    assert not any("NOT start" in a.content for a in rendered.files.values())


def test_amd_gpus_get_a_warning_and_valid_files(make_plan: PlanMaker, tmp_path: Path) -> None:
    rendered = artifacts(make_plan(AMD), ALL, infeasible_banner=None, diagnostics=())
    assert rendered.warnings == (
        "MI300X is an AMD GPU: these files target NVIDIA GPUs and the vllm/vllm-openai CUDA"
        " image; serve with a ROCm build of vLLM instead.",
    )
    for name, artifact in rendered.files.items():
        if name != PLAN_JSON:
            assert "# MI300X is an AMD GPU: these files target NVIDIA GPUs" in artifact.content
    compose = tmp_path / "docker-compose.yaml"
    compose.write_text(rendered.files["docker-compose.yaml"].content)
    checker = tool("check-jsonschema")
    if checker is not None:
        result = subprocess.run(
            [checker, "--builtin-schema", "vendor.compose-spec", str(compose)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout
    script = tmp_path / "serve_command.sh"
    script.write_text(rendered.files["serve_command.sh"].content)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def test_rendering_does_no_io(make_plan: PlanMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = make_plan(SAMPLE)
    expected = artifacts(
        plan, ALL, infeasible_banner=None, diagnostics=()
    )  # warms the flag-table cache

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"I/O during rendering: {args!r}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    assert artifacts(plan, ALL, infeasible_banner=None, diagnostics=()) == expected


# ----------------------------------------------------------------------------- goldens


def example_name(path: Path) -> str:
    return path.name.removesuffix(".yaml").removesuffix(".yml").removesuffix(".profile")


def render_example(path: Path) -> Artifacts:
    analysis = analyze(path.read_text(), cli_context(path.parent, offline=True))
    assert analysis.plan is not None, f"{path.name}: no plan (examples must name their GPU)"
    plan = analysis.plan
    banner = None if plan.starts else does_not_start_banner(plan)
    return artifacts(plan, ALL, infeasible_banner=banner, diagnostics=analysis.diagnostics)


def golden_files(rendered: Artifacts) -> dict[str, str]:
    files = {name: artifact.content for name, artifact in rendered.files.items()}
    if rendered.skipped:
        files["SKIPPED.txt"] = "".join(f"{reason}\n" for reason in rendered.skipped.values())
    return files


def _stable(text: str) -> str:
    """The tool's own version is not part of what a golden pins."""
    return re.sub(r'"tool_version": "[^"]*"', '"tool_version": "*"', text)


EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_every_example_has_a_golden_folder() -> None:
    if os.environ.get(UPDATE_ENV) == "1":
        pytest.skip("rewriting the goldens")
    found = sorted(p.name for p in GOLDEN.iterdir())
    assert found == sorted(map(example_name, EXAMPLE_FILES)), f"rerun with {UPDATE_ENV}=1"


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_golden(example: Path) -> None:
    files = golden_files(render_example(example))
    for content in files.values():
        assert str(REPO_ROOT) not in content
        assert str(REPO_ROOT.parent) + "/" not in content
    folder = GOLDEN / example_name(example)
    if os.environ.get(UPDATE_ENV) == "1":
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            if stale.name not in files:
                stale.unlink()
        for name, content in files.items():
            (folder / name).write_text(content)
        return
    assert folder.is_dir(), f"no goldens for {example.name}: run with {UPDATE_ENV}=1"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for name, content in files.items():
        golden = (folder / name).read_text()
        assert _stable(content) == _stable(golden), (
            f"{folder.name}/{name} differs; if intended, rerun with {UPDATE_ENV}=1"
        )


def test_golden_names_match_the_emit_targets() -> None:
    assert set(FILENAMES.values()) == {
        "serve_command.sh",
        "profile.yaml",
        "docker-compose.yaml",
        "k8s-values.yaml",
        "docker_run.sh",
    }
