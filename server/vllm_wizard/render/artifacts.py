"""The deployment files of a plan, as text: what `generate` and the editor's command write.

Pure: no I/O. `render/emit.py` writes the result. plan.json is always part of it; a target a
plan cannot have (Compose for several nodes) is listed in `skipped` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from vllm_wizard.profile.schema import EmitTarget
from vllm_wizard.render.compose import compose_refusal, compose_yaml
from vllm_wizard.render.docker import docker_run_script
from vllm_wizard.render.k8s import k8s_refusal, k8s_values_yaml
from vllm_wizard.render.plan_json import plan_json
from vllm_wizard.render.profile_yaml import profile_yaml
from vllm_wizard.render.serve import one_line, serve_script

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import Plan
    from vllm_wizard.profile.diagnostics import Diagnostic

PLAN_JSON = "plan.json"
FILENAMES: Mapping[EmitTarget, str] = {
    "command": "serve_command.sh",
    "profile": "profile.yaml",
    "compose": "docker-compose.yaml",
    "k8s": "k8s-values.yaml",
    "docker": "docker_run.sh",
}
"""Each emit target's file name in the output folder."""


class Artifact(NamedTuple):
    """One file: its text and whether it gets the executable bit."""

    content: str
    executable: bool


@dataclass(frozen=True, slots=True)
class Artifacts:
    """The files one plan renders to, what was skipped and why, and what to know."""

    files: dict[str, Artifact]
    """File name → artifact, in emit order, plan.json last."""
    skipped: dict[str, str]
    """File name → why it was not rendered."""
    warnings: tuple[str, ...]
    """What the user should know about every file (e.g. an AMD GPU)."""


Renderer = Callable[["Plan", "str | None"], str]

Refusal = Callable[["Plan"], "str | None"]

_RENDERERS: Mapping[EmitTarget, tuple[Renderer, Refusal | None]] = {
    "command": (serve_script, None),
    "compose": (compose_yaml, compose_refusal),
    "k8s": (k8s_values_yaml, k8s_refusal),
    "docker": (docker_run_script, None),
}
"""Each target's renderer and what refuses it; profile.yaml's depends on the run (below)."""


def does_not_start_banner(plan: Plan) -> str:
    """The comment every file of a plan that will not start begins with, and why."""
    reasons = [f"- {one_line(f.message)}" for f in plan.findings if f.is_error]
    if not reasons:
        reasons = ["- the KV cache cannot hold one request of max_model_len"]
    return "\n".join(
        [
            "WARNING: vllm-wizard predicts that vLLM will NOT start with this configuration:",
            *reasons,
            "Written anyway on request; fix the profile and generate again.",
        ]
    )


def amd_warning(plan: Plan) -> str | None:
    if not plan.gpu.is_amd:
        return None
    return (
        f"{plan.gpu.name} is an AMD GPU: these files target NVIDIA GPUs and the"
        " vllm/vllm-openai CUDA image; serve with a ROCm build of vLLM instead."
    )


def ray_note(plan: Plan) -> str | None:
    """What a multi-node serve command needs first: it joins a Ray cluster, it makes none
    (docker_run.sh, which starts one, does not get this note)."""
    nodes = plan.profile.hardware.nodes
    if nodes <= 1:
        return None
    return (
        f"Multi-node: start a Ray cluster across the {nodes} nodes first (`ray start --head` on"
        " one, `ray start --address=HEAD_IP:6379` on each other, as vLLM's"
        " examples/online_serving/run_cluster.sh does; docker_run.sh does it in Docker), then"
        " run this on the head node only."
    )


def _targets(emit: Iterable[EmitTarget]) -> list[EmitTarget]:
    seen: list[EmitTarget] = []
    for target in emit:
        if target not in seen:
            seen.append(target)
    return seen


def artifacts(
    plan: Plan,
    emit: Iterable[EmitTarget],
    *,
    infeasible_banner: str | None,
    diagnostics: Sequence[Diagnostic],
) -> Artifacts:
    """Render each emit target (duplicates once) and plan.json.

    `infeasible_banner` is given when the plan does not start and the user allowed it; each
    file but plan.json (whose `starts: false` says it) then begins with it. `diagnostics` are
    the analysis's, for plan.json's `warnings`.
    """
    warning = amd_warning(plan)
    banner = "\n".join(part for part in (infeasible_banner, warning) if part) or None
    note = ray_note(plan)
    serve_banner = "\n".join(part for part in (banner, note) if part) or None
    files: dict[str, Artifact] = {}
    skipped: dict[str, str] = {}
    targets = _targets(emit)
    renderers: dict[EmitTarget, tuple[Renderer, Refusal | None]] = {
        **_RENDERERS,  # profile.yaml's outputs.emit: what this run generates, not what it read
        "profile": (lambda plan, banner: profile_yaml(plan.profile, banner, targets), None),
    }
    for target in targets:
        name = FILENAMES[target]
        render, refusal = renderers[target]
        reason = refusal(plan) if refusal is not None else None
        if reason is not None:
            skipped[name] = reason
            continue
        serve = target == "command"  # docker_run.sh starts the Ray cluster itself
        files[name] = Artifact(
            render(plan, serve_banner if serve else banner), name.endswith(".sh")
        )
    files[PLAN_JSON] = Artifact(plan_json(plan, diagnostics), False)
    return Artifacts(files, skipped, (warning,) if warning else ())
