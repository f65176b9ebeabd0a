"""plan.json (DESIGN §7): the Plan as the versioned document scripts rely on.

`plan --json` prints it, `generate` always writes it, and `schemas/plan.schema.json` is its
JSON Schema, generated from the same dataclasses (planning/result.py). The document is written
by render/dataclass_json.py; pydantic, imported only for the schema, derives the schema from the
same annotations and field descriptions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from vllm_wizard import __version__
from vllm_wizard.planning.explain import derivations
from vllm_wizard.planning.memory import GIB
from vllm_wizard.planning.result import (
    Architecture,
    Commands,
    HardwareFacts,
    Memory,
    ModelFacts,
    MoE,
    Parallel,
    PlanDocument,
    PlanWarning,
)
from vllm_wizard.render.dataclass_json import section_data
from vllm_wizard.render.docker import docker_run_command
from vllm_wizard.render.serve import serve_command

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from vllm_wizard.planning.plan import Plan
    from vllm_wizard.profile.diagnostics import Diagnostic

PLAN_SCHEMA_ID = (
    "https://raw.githubusercontent.com/vllm-wizard/vllm-wizard/main/schemas/plan.schema.json"
)


def memory_section(plan: Plan) -> Memory:
    memory = plan.memory
    stage = memory.stage
    return Memory(
        total_gib=memory.total / GIB,
        budget_gib=memory.budget / GIB,
        weights_gib=stage.weights / GIB,
        activation_gib=stage.activation / GIB,
        non_torch_gib=stage.non_torch / GIB,
        cuda_graph_gib=stage.cuda_graph / GIB,
        cuda_graph_in_budget=memory.cuda_graph_in_budget,
        kv_cache_gib=stage.kv_cache / GIB,
        kv_bytes_per_token=stage.layout.bytes_per_token,
        block_size=memory.block_size,
        num_blocks=memory.num_blocks,
        kv_cache_tokens=memory.kv_tokens,
        max_model_len=memory.max_model_len,
        max_concurrency=round(memory.max_concurrency, 2),
        kv_needed_gib=memory.kv_needed / GIB,
        headroom_gib=memory.headroom / GIB,
        max_context_at_concurrency=memory.max_context_at_concurrency,
    )


def plan_warnings(diagnostics: Iterable[Diagnostic]) -> list[PlanWarning]:
    """The errors and warnings of the analysis that produced the plan, each once.

    Not only the planner's: what the profile's text and the model and GPU look-ups found
    (`model-derived`, `gpu-ambiguous`, `unknown-key`, …) are assumptions the plan rests on,
    and scripts reading plan.json must see them as the editor and `check` do.
    """
    warnings: dict[tuple[str, str], PlanWarning] = {}
    for diagnostic in diagnostics:
        if diagnostic.severity.label in ("error", "warning"):
            key = (diagnostic.code.value, diagnostic.message)
            warnings.setdefault(key, PlanWarning(code=key[0], message=key[1]))
    return list(warnings.values())


def plan_document(plan: Plan, diagnostics: Iterable[Diagnostic]) -> PlanDocument:
    """plan.json for `plan` and the diagnostics of the analysis that produced it."""
    arch = plan.arch
    moe = (
        MoE(experts=arch.moe.num_experts, active=arch.moe.experts_per_token)
        if arch.moe is not None
        else None
    )
    return PlanDocument(
        tool_version=__version__,
        vllm_version=plan.rules.requested,
        vllm_rules=plan.rules.release,
        model=ModelFacts(
            id=plan.profile.model.id,
            revision=plan.profile.model.revision,
            params=plan.model.params_total,
            params_source=plan.model.params_source,
            architecture=Architecture(
                model_type=arch.text_model_type or arch.model_type,
                num_layers=arch.num_layers,
                num_kv_heads=arch.num_kv_heads,
                head_dim=arch.head_dim,
                vocab_size=arch.vocab_size,
                attention=arch.attention,
                sliding_window=arch.sliding_window,
                moe=moe,
            ),
        ),
        hardware=HardwareFacts(
            gpu_name=plan.gpu.name,
            gpus=plan.profile.hardware.gpus,
            nodes=plan.profile.hardware.nodes,
            memory_gib_per_gpu=plan.gpu.memory_gib,
            source=plan.gpu.source,
        ),
        parallel=Parallel(tensor_parallel_size=plan.setup.tp, pipeline_parallel_size=plan.setup.pp),
        memory=memory_section(plan),
        starts=plan.starts,
        fits=plan.fits,
        oom_risk=plan.oom_risk,
        config=dict(plan.config),
        commands=Commands(serve=serve_command(plan), docker_run=docker_run_command(plan)),
        performance=plan.performance,
        recommendations=list(plan.recommendations),
        warnings=plan_warnings(diagnostics),
        explain=derivations(plan),
    )


def plan_json(plan: Plan, diagnostics: Iterable[Diagnostic]) -> str:
    """plan.json's text: stable key order, 2-space indent, a final newline.

    `diagnostics` are the analysis's (`engine.Analysis.diagnostics`): its errors and warnings
    become `warnings`.
    """
    return json.dumps(plan_json_data(plan, diagnostics), indent=2, ensure_ascii=False) + "\n"


def plan_json_data(plan: Plan, diagnostics: Iterable[Diagnostic]) -> dict[str, Any]:
    """plan.json as JSON values: GiB figures rounded to 3 decimals, floats as floats."""
    return section_data(plan_document(plan, diagnostics))


@cache
def plan_document_adapter() -> TypeAdapter[PlanDocument]:
    """pydantic's view of plan.json: its schema, and what the tests hold the document to."""
    from pydantic import TypeAdapter

    return TypeAdapter(PlanDocument)


def plan_json_schema() -> dict[str, Any]:
    schema = plan_document_adapter().json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": PLAN_SCHEMA_ID,
        **schema,
    }
