"""k8s-values.yaml: values for the vLLM production-stack Helm chart (`vllm-stack`), DESIGN §5.

Written against the chart's values schema (../shared/vendor/production-stack) and its
templates: `vllmConfig` carries the keys the chart turns into flags itself; every other flag
goes to `vllmConfig.extraArgs` as CLI words, each one argv word. The chart adds
`--host 0.0.0.0 --port <containerPort>` (and, for Ray, `--distributed-executor-backend ray`),
so those are not repeated. A multi-node plan uses the chart's `raySpec` (KubeRay): one head
pod plus `replicaCount` worker pods, one per node.

Kubernetes expands `$(VAR)` in a container's `command`, `args` and env values, where the
chart puts `modelURL` and every `extraArgs` word; `$$` is its escape for `$`, so each `$` in
them is written `$$` (the pod then gets the literal word, as Compose's `$$` does).

The chart writes `--no-enable-prefix-caching` whenever `enablePrefixCaching` is not true,
so the file always states it: the user's value, else vLLM's usual default (on; off for
hybrid attention/Mamba models, where vLLM's support varies by release).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from vllm_wizard.planning.memory import GIB
from vllm_wizard.render.compose import gpus_per_node
from vllm_wizard.render.profile_yaml import comment_lines, dump_yaml
from vllm_wizard.render.serve import DEFAULT_PORT, container_port, one_line
from vllm_wizard.vllm.args import render_flag
from vllm_wizard.vllm.flags import flag_table

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan

REPOSITORY = "vllm/vllm-openai"
HELM_REPO = "https://vllm-project.github.io/production-stack"
HF_TOKEN_SECRET = {"secretName": "hf-token", "secretKey": "token"}

VLLM_CONFIG_KEYS: dict[str, tuple[str, type | tuple[type, ...]]] = {
    "tensor_parallel_size": ("tensorParallelSize", int),
    "max_model_len": ("maxModelLen", int),
    "dtype": ("dtype", str),
    "gpu_memory_utilization": ("gpuMemoryUtilization", (int, float)),
    "max_num_seqs": ("maxNumSeqs", int),
    "enable_chunked_prefill": ("enableChunkedPrefill", bool),
    "max_loras": ("maxLoras", int),
}
"""vLLM dest → the chart's `vllmConfig` key and the value type the schema takes."""

CHART_OWNED = frozenset({"model", "host", "port"})
"""Set by the chart's templates: never repeated in extraArgs."""

_RAY_SAFE_MODEL = re.compile(r"^[A-Za-z0-9._/-]+$")

STARTUP_FAILURES = 360
"""Startup probe: 360 × 10 s = 1 h for the download and load (the chart's default is 10 min)."""


def kubernetes_literal(word: str) -> str:
    """`word` as a `command`/`args` item Kubernetes passes on unchanged: `$$` is its escape
    for `$` (otherwise `$(HOME)` would become the pod's $HOME; expansion rules in
    kubernetes/third_party/forked/golang/expansion/expand.go)."""
    return word.replace("$", "$$")


def _is_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind)


def _multi_node(plan: Plan) -> bool:
    return plan.profile.hardware.nodes > 1


def prefix_caching(plan: Plan) -> bool:
    """What `enablePrefixCaching` says: the user's value, else vLLM's usual default."""
    value = plan.config.get("enable_prefix_caching")
    if isinstance(value, bool):
        return value
    return plan.arch.attention != "hybrid"


def _chart_config(plan: Plan) -> tuple[dict[str, Any], list[str]]:
    """The chart's own `vllmConfig` keys, and the other flags as plain argv words."""
    table = flag_table(plan.rules.requested)
    ray = _multi_node(plan)
    owned = CHART_OWNED | ({"distributed_executor_backend"} if ray else frozenset())
    config: dict[str, Any] = {}
    extra: list[str] = []
    for dest, value in plan.config.items():
        if dest in owned or dest == "enable_prefix_caching":
            continue
        spec = table.get(dest)
        if spec is None:  # a field the targeted release lacks (as `engine_argv` skips it)
            continue
        mapped = VLLM_CONFIG_KEYS.get(dest)
        if mapped is not None and _is_type(value, mapped[1]):
            config[mapped[0]] = value
        else:
            extra.extend(render_flag(spec, value))
    caching = prefix_caching(plan)
    if caching or not ray:
        config["enablePrefixCaching"] = caching
    else:  # the Ray script writes nothing for false, so say it in extraArgs
        extra.append("--no-enable-prefix-caching")
    return config, extra


def vllm_config(plan: Plan) -> dict[str, Any]:
    """`vllmConfig`: the chart's own keys, then `extraArgs` (CLI words, `$` escaped) for the
    rest."""
    config, extra = _chart_config(plan)
    if extra:
        config["extraArgs"] = [kubernetes_literal(word) for word in extra]
    return config


def _name(model_id: str) -> str:
    """A Kubernetes-safe name (labels, services) from the model id's last part."""
    last = model_id.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", last.lower()).strip("-")[:40].rstrip("-")
    return slug or "model"


def request_memory_gib(plan: Plan) -> int:
    """Host RAM per pod: the weights pass through it while loading, plus the server itself."""
    gpus = gpus_per_node(plan)
    offload = plan.setup.cpu_offload_gb * gpus
    return max(16, math.ceil(plan.memory.stage.weights * gpus / GIB + offload + 8))


def request_cpu(plan: Plan) -> int:
    """The API server and engine core, and two cores per GPU worker."""
    return 2 + 2 * gpus_per_node(plan)


def model_spec(plan: Plan) -> dict[str, Any]:
    gpus = gpus_per_node(plan)
    memory = f"{request_memory_gib(plan)}Gi"
    spec: dict[str, Any] = {
        "name": _name(plan.profile.model.id),
        "repository": REPOSITORY,
        "tag": f"v{plan.rules.requested.removeprefix('v')}",
        "modelURL": kubernetes_literal(plan.profile.model.id),
        "replicaCount": plan.profile.hardware.nodes - 1 if _multi_node(plan) else 1,
        "requestCPU": request_cpu(plan),
        "requestMemory": memory,
        "requestGPU": gpus,
        "vllmConfig": vllm_config(plan),
        "hf_token": dict(HF_TOKEN_SECRET),
    }
    if _multi_node(plan):
        spec["raySpec"] = {
            "enabled": True,
            "headNode": {
                "requestCPU": request_cpu(plan),
                "requestMemory": memory,
                "requestGPU": gpus,
            },
        }
    return spec


def k8s_data(plan: Plan) -> dict[str, Any]:
    port = container_port(plan)
    engine: dict[str, Any] = {"modelSpec": [model_spec(plan)]}
    if port != DEFAULT_PORT:
        engine["containerPort"] = port
    if not _multi_node(plan):
        engine["startupProbe"] = {
            "initialDelaySeconds": 15,
            "periodSeconds": 10,
            "failureThreshold": STARTUP_FAILURES,
            "httpGet": {"path": "/health", "port": port},
        }
    return {"servingEngineSpec": engine}


def k8s_refusal(plan: Plan) -> str | None:
    """Why no values file is written, or None.

    The chart's Ray start script pastes `modelURL` unquoted and each extraArgs word inside
    double quotes into bash, so there a `$` or backtick would run as shell code.
    """
    if not _multi_node(plan):
        return None
    model = plan.profile.model.id
    if not _RAY_SAFE_MODEL.match(model):
        return (
            "k8s-values.yaml not written: the chart's Ray start script pastes the model id"
            f" into bash unquoted, and {one_line(model)!r} is not a plain repo id."
        )
    _, words = _chart_config(plan)
    unsafe = [w for w in words if "$" in w or "`" in w or not w.isprintable()]
    if unsafe:
        return (
            "k8s-values.yaml not written: the chart's Ray start script would expand `$`,"
            f" backticks or escapes in {one_line(unsafe[0])!r} as shell code."
        )
    return None


def k8s_values_yaml(plan: Plan, banner: str | None = None) -> str:
    """k8s-values.yaml's text. Call `k8s_refusal` first."""
    setup = plan.setup
    header: list[str] = []
    if banner:
        header += comment_lines([banner])
    lines = [
        "Values for the vLLM production-stack Helm chart (vllm-stack), generated by"
        f" vllm-wizard for vLLM {plan.rules.requested}: {plan.profile.model.id} on"
        f" {setup.tp * setup.pp} × {plan.gpu.name} (tp {setup.tp}, pp {setup.pp}).",
        "Install:",
        f"  helm repo add vllm {HELM_REPO}",
        f"  kubectl create secret generic {HF_TOKEN_SECRET['secretName']}"
        f' --from-literal={HF_TOKEN_SECRET["secretKey"]}="${{HF_TOKEN:-}}"'
        "   # needed even for public models",
        "  helm install vllm vllm/vllm-stack -f k8s-values.yaml",
        "The chart adds --host 0.0.0.0 --port <containerPort>; flags it has no key for are"
        " in vllmConfig.extraArgs.",
    ]
    if _multi_node(plan):
        lines.append(
            f"Multi-node ({plan.profile.hardware.nodes} nodes) runs as a RayCluster: needs the"
            " KubeRay operator; one head pod plus replicaCount worker pods, one per node."
        )
    header += comment_lines(one_line(line) for line in lines)
    return "\n".join(header) + "\n" + dump_yaml(k8s_data(plan))
