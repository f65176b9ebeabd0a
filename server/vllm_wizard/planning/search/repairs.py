"""Repairs: the edits that clear the errors vLLM would refuse a profile for before sizing
memory, so that the search can look for a setup that starts where the profile as written
never could, and the model the repaired profile names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import FieldPath
from vllm_wizard.models.resolve import ResolvedModel
from vllm_wizard.planning.search.edits import Edits
from vllm_wizard.planning.search.options import PlanOptions
from vllm_wizard.planning.semantic import BASE_MODEL_FIELD, LEN_FIELD, MODEL_FIELD, QUANT_FIELD
from vllm_wizard.profile.diagnostics import Code

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore


REPAIRABLE = frozenset(
    {Code.DTYPE_UNSUPPORTED, Code.QUANTIZATION, Code.KV_CACHE_DTYPE, Code.MAX_MODEL_LEN}
)
ARG_ERRORS = frozenset({Code.VLLM_ARG_UNKNOWN, Code.VLLM_ARG_DUPLICATE, Code.VLLM_ARG_INVALID})


def repairs(core: PlanCore, unquantized: ResolvedModel | None = None) -> Edits:
    """Edits that clear the errors vLLM would refuse before sizing memory, where one edit
    does: the finding's own first quick fix, `quantization: none` for a method that cannot
    run, the model's own length for an `auto` this vLLM lacks, no unknown vllm_args, and
    the `unquantized` model for a checkpoint whose method this vLLM no longer has."""
    edits: list[tuple[FieldPath, Any]] = []
    for finding in core.findings:
        if not finding.is_error:
            continue
        data = finding.data or {}
        fixes = data.get("fixes") or []
        if "removed_method" in data:
            if unquantized is not None:
                edits.append((MODEL_FIELD, unquantized.model_id))
                if core.profile.model.base_model is not None:
                    edits.append((BASE_MODEL_FIELD, None))  # it named the checkpoint's base
                if core.profile.model.quantization != "none":
                    edits.append((QUANT_FIELD, "none"))
        elif "needs_checkpoint_config" in data:
            edits.append((QUANT_FIELD, "none"))  # the search tries fp8 and checkpoints itself
        elif finding.code in ARG_ERRORS and finding.fields:
            edits.append((finding.fields[0], None))
        elif finding.code in REPAIRABLE and fixes:
            preferred = [f for f in fixes if f.get("preferred")] or fixes
            edits += [(tuple(e["path"]), e["value"]) for e in preferred[0]["edits"]]
        elif finding.code is Code.QUANTIZATION and core.profile.model.quantization != "none":
            edits.append((QUANT_FIELD, "none"))
        elif finding.code is Code.MAX_MODEL_LEN:
            edits.append((LEN_FIELD, None))
    unique: dict[FieldPath, Any] = {}
    for path, value in edits:
        unique.setdefault(path, value)
    return tuple(unique.items())


def repaired_model(core: PlanCore, options: PlanOptions, fixed: Edits) -> ResolvedModel:
    """The model the repaired profile names: the unquantized one when a repair moved there."""
    unquantized = options.unquantized
    if unquantized is not None and (MODEL_FIELD, unquantized.model_id) in fixed:
        return unquantized
    return core.model
