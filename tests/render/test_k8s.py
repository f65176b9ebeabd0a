"""k8s-values.yaml: valid against the production-stack chart's schema, and the argv the chart
builds from it is the plan's serve command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from render_testing import (
    CHART_ENV,
    CHART_SCHEMA,
    MULTI_NODE,
    NASTY,
    SAMPLE,
    kubernetes_expand,
    local_model,
    normalized_config,
    parse_argv,
    yaml_str,
)
from vllm_wizard.planning.plan import Plan
from vllm_wizard.render.k8s import k8s_refusal, k8s_values_yaml, prefix_caching
from vllm_wizard.vllm.flags import flag_table

PlanMaker = Callable[..., Plan]

RICH = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
  dtype: bfloat16
  kv_cache_dtype: fp8
  max_model_len: 16384
hardware:
  gpu_name: H100 SXM
outputs:
  vllm_args:
    max_num_seqs: 64
    enable_chunked_prefill: true
    served_model_name: [llama, chat]
    max_num_batched_tokens: 4096
    port: 9000
    host: 127.0.0.1
"""

CHART_KEYS = (
    ("maxModelLen", "--max-model-len"),
    ("dtype", "--dtype"),
    ("tensorParallelSize", "--tensor-parallel-size"),
    ("maxNumSeqs", "--max-num-seqs"),
    ("gpuMemoryUtilization", "--gpu_memory_utilization"),
    ("maxLoras", "--max_loras"),
)
"""The flags the chart's deployment template writes from `vllmConfig`, in its order."""


def helm_quote(value: Any) -> str:
    """Helm's `quote` of a YAML value (Go's fmt.Sprint)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def chart_argv(values: dict[str, Any], *, ray: bool = False) -> list[str]:
    """What follows `vllm serve` in the container the chart starts (vllm-stack 0.1.12:
    templates/deployment-vllm-multi.yaml, or ray-cluster.yaml's start script), after
    Kubernetes expanded `$(VAR)` in it."""
    return [kubernetes_expand(word, CHART_ENV) for word in _chart_words(values, ray=ray)]


def _chart_words(values: dict[str, Any], *, ray: bool) -> list[str]:
    engine = values["servingEngineSpec"]
    spec = engine["modelSpec"][0]
    words = [
        spec["modelURL"],
        "--host",
        "0.0.0.0",
        "--port",
        str(engine.get("containerPort", 8000)),
    ]
    if ray:
        words += ["--distributed-executor-backend", "ray"]
    config = spec["vllmConfig"]
    if "enableChunkedPrefill" in config:
        chunked = config["enableChunkedPrefill"]
        words.append("--enable-chunked-prefill" if chunked else "--no-enable-chunked-prefill")
    if config.get("enablePrefixCaching"):
        words.append("--enable-prefix-caching")
    elif not ray:
        words.append("--no-enable-prefix-caching")
    for key, flag in CHART_KEYS:
        if key in config:
            words += [flag, helm_quote(config[key])]
    words += config.get("extraArgs", [])
    return words


def expected_config(plan: Plan) -> dict[str, Any]:
    table = flag_table(plan.rules.requested)
    config = normalized_config(plan, table)
    config["host"] = "0.0.0.0"
    config.setdefault("port", 8000)
    config["enable_prefix_caching"] = prefix_caching(plan)
    return config


@pytest.fixture(scope="module")
def chart_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(CHART_SCHEMA.read_text())
    return schema


def values_of(plan: Plan) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(k8s_values_yaml(plan))
    return data


@pytest.mark.parametrize("profile", [SAMPLE, RICH, MULTI_NODE])
def test_validates_against_the_chart_schema(
    make_plan: PlanMaker, chart_schema: dict[str, Any], profile: str
) -> None:
    from jsonschema import Draft202012Validator

    errors = list(Draft202012Validator(chart_schema).iter_errors(values_of(make_plan(profile))))
    assert errors == []


def test_sample_values(make_plan: PlanMaker) -> None:
    assert values_of(make_plan(SAMPLE)) == {
        "servingEngineSpec": {
            "modelSpec": [
                {
                    "name": "llama-2-7b-hf",
                    "repository": "vllm/vllm-openai",
                    "tag": "v0.33.0",
                    "modelURL": "meta-llama/Llama-2-7b-hf",
                    "replicaCount": 1,
                    "requestCPU": 4,
                    "requestMemory": "21Gi",
                    "requestGPU": 1,
                    "vllmConfig": {
                        "maxModelLen": 4096,
                        "tensorParallelSize": 1,
                        "gpuMemoryUtilization": 0.9,
                        "enablePrefixCaching": True,
                    },
                    "hf_token": {"secretName": "hf-token", "secretKey": "token"},
                }
            ],
            "startupProbe": {
                "initialDelaySeconds": 15,
                "periodSeconds": 10,
                "failureThreshold": 360,
                "httpGet": {"path": "/health", "port": 8000},
            },
        }
    }


def test_header_says_what_it_is_and_how_to_install(make_plan: PlanMaker) -> None:
    text = k8s_values_yaml(make_plan(SAMPLE))
    head = [line for line in text.splitlines() if line.startswith("#")]
    assert head[0].startswith("# Values for the vLLM production-stack Helm chart (vllm-stack)")
    assert "#   helm install vllm vllm/vllm-stack -f k8s-values.yaml" in head
    assert "#   helm repo add vllm https://vllm-project.github.io/production-stack" in head


def test_the_chart_builds_the_plans_serve_command(make_plan: PlanMaker) -> None:
    plan = make_plan(RICH)
    values = values_of(plan)
    table = flag_table(plan.rules.requested)
    assert parse_argv(chart_argv(values), table) == expected_config(plan) | {"host": "0.0.0.0"}
    config = values["servingEngineSpec"]["modelSpec"][0]["vllmConfig"]
    assert config["maxNumSeqs"] == 64
    assert config["enableChunkedPrefill"] is True
    assert config["extraArgs"] == [
        "--kv-cache-dtype",
        "fp8",
        "--served-model-name",
        "llama",
        "chat",
        "--max-num-batched-tokens",
        "4096",
    ]
    assert values["servingEngineSpec"]["containerPort"] == 9000


def test_multi_node_uses_ray(make_plan: PlanMaker) -> None:
    plan = make_plan(MULTI_NODE)
    values = values_of(plan)
    spec = values["servingEngineSpec"]["modelSpec"][0]
    assert spec["raySpec"] == {
        "enabled": True,
        "headNode": {
            "requestCPU": spec["requestCPU"],
            "requestMemory": spec["requestMemory"],
            "requestGPU": 4,
        },
    }
    assert (spec["replicaCount"], spec["requestGPU"]) == (1, 4)  # one worker pod + the head
    assert spec["vllmConfig"]["extraArgs"] == ["--pipeline-parallel-size", "2"]
    table = flag_table(plan.rules.requested)
    assert parse_argv(chart_argv(values, ray=True), table) == expected_config(plan)
    assert k8s_refusal(plan) is None


def test_prefix_caching_off_for_hybrid_models_and_when_asked(make_plan: PlanMaker) -> None:
    hybrid = make_plan(
        "model:\n  id: nvidia/NVIDIA-Nemotron-Nano-9B-v2\nhardware:\n  gpu_name: H100 SXM\n"
    )
    assert (
        values_of(hybrid)["servingEngineSpec"]["modelSpec"][0]["vllmConfig"]["enablePrefixCaching"]
        is False
    )
    ray_off = make_plan(MULTI_NODE + "outputs:\n  vllm_args:\n    enable_prefix_caching: false\n")
    config = values_of(ray_off)["servingEngineSpec"]["modelSpec"][0]["vllmConfig"]
    assert "enablePrefixCaching" not in config
    assert config["extraArgs"] == ["--pipeline-parallel-size", "2", "--no-enable-prefix-caching"]
    off = make_plan(SAMPLE.replace("vllm_args: {}", "vllm_args: {enable_prefix_caching: false}"))
    assert values_of(off)["servingEngineSpec"]["modelSpec"][0]["vllmConfig"] == {
        "maxModelLen": 4096,
        "tensorParallelSize": 1,
        "gpuMemoryUtilization": 0.9,
        "enablePrefixCaching": False,
    }


def test_the_token_is_a_secret_reference(make_plan: PlanMaker) -> None:
    text = k8s_values_yaml(make_plan(SAMPLE))
    spec = yaml.safe_load(text)["servingEngineSpec"]["modelSpec"][0]
    assert spec["hf_token"] == {"secretName": "hf-token", "secretKey": "token"}
    assert "hf_" + "token: hf_" not in text


def test_nasty_values_stay_literal(make_plan: PlanMaker, tmp_path: Path) -> None:
    models = tmp_path / "models"
    name = local_model(models, NASTY)
    text = (
        f"model:\n  id: {yaml_str(name)}\nhardware:\n  gpu_name: H100 SXM\n"
        f"outputs:\n  vllm_args:\n    chat_template: {yaml_str(NASTY)}\n"
    )
    plan = make_plan(text, models)
    rendered = k8s_values_yaml(plan)
    comments = [line for line in rendered.splitlines() if "touch pwned4" in line]
    assert [line.startswith("# Values for") for line in comments] == [True, False, False]
    values = yaml.safe_load(rendered)
    spec = values["servingEngineSpec"]["modelSpec"][0]
    escaped = NASTY.replace("$", "$$")  # Kubernetes' escape: the pod gets NASTY
    assert spec["modelURL"] == escaped
    assert spec["vllmConfig"]["extraArgs"] == ["--chat-template", escaped]
    argv = chart_argv(values)
    assert (argv[0], argv[argv.index("--chat-template") + 1]) == (NASTY, NASTY)


@pytest.mark.parametrize(
    "value", ["$(HF_TOKEN)", "a$$(POD_IP)b", "$(", "cost: $5", "$(UNDEFINED)", "x$"]
)
def test_kubernetes_does_not_expand_values(
    make_plan: PlanMaker, chart_schema: dict[str, Any], tmp_path: Path, value: str
) -> None:
    # `$(HF_TOKEN)` in a flag would put the token's value on the command line
    from jsonschema import Draft202012Validator

    name = local_model(tmp_path, f"model{value}")
    text = (
        f"model:\n  id: {yaml_str(name)}\nhardware:\n  gpu_name: H100 SXM\n"
        f"outputs:\n  vllm_args:\n    served_model_name: [{yaml_str(value)}]\n"
    )
    plan = make_plan(text, tmp_path)
    values = values_of(plan)
    assert list(Draft202012Validator(chart_schema).iter_errors(values)) == []
    argv = chart_argv(values)
    assert argv[0] == f"model{value}"
    assert argv[argv.index("--served-model-name") + 1] == value
    assert CHART_ENV["HF_TOKEN"] not in " ".join(argv)
    table = flag_table(plan.rules.requested)
    assert parse_argv(argv, table) == expected_config(plan)


def test_ray_refuses_what_its_start_script_would_run(make_plan: PlanMaker) -> None:
    plan = make_plan(MULTI_NODE + "outputs:\n  vllm_args:\n    chat_template: 'a $(id) b'\n")
    assert k8s_refusal(plan) == (
        "k8s-values.yaml not written: the chart's Ray start script would expand `$`,"
        " backticks or escapes in 'a $(id) b' as shell code."
    )


def test_ray_refuses_a_model_id_bash_would_split(make_plan: PlanMaker, tmp_path: Path) -> None:
    name = local_model(tmp_path, "my model", "meta-llama--Llama-3.1-8B-Instruct")
    plan = make_plan(MULTI_NODE.replace("meta-llama/Llama-3.1-70B-Instruct", name), tmp_path)
    assert k8s_refusal(plan) == (
        "k8s-values.yaml not written: the chart's Ray start script pastes the model id into"
        " bash unquoted, and 'my model' is not a plain repo id."
    )
