"""Profile edits: what a setup the search offers changes in the profile, and the profile
with those changes applied, as a quick fix would apply them to the YAML.

The re-plan of every finalist starts from `edited_profile`, so the figures a fix states
are the ones the fixed profile gets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vllm_wizard.findings import FieldPath
from vllm_wizard.planning.semantic import GPUS_FIELD, NODES_FIELD, PP_FIELD, TP_FIELD

if TYPE_CHECKING:
    from vllm_wizard.profile.schema import Profile

Edits = tuple[tuple[FieldPath, Any], ...]
"""Profile fields to set, in order; None removes the field (back to its default)."""

KV_FIELD = ("model", "kv_cache_dtype")
UTIL_FIELD = ("policy", "gpu_memory_utilization")
SEQS_FIELD = ("outputs", "vllm_args", "max_num_seqs")
VRAM_FIELD = ("hardware", "vram_gb")


def edited_profile(profile: Profile, edits: Edits) -> Profile:
    """`profile` with `edits` applied, as a quick fix applies them to the YAML."""
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path, value in edits:
        if len(path) == 1:
            top[path[0]] = value
            continue
        section = sections.setdefault(path[0], {})
        if len(path) == 3 and path[:2] == ("outputs", "vllm_args"):
            args = section.setdefault("vllm_args", dict(profile.outputs.vllm_args))
            if value is None:
                args.pop(path[2], None)
            else:
                args[path[2]] = value
            continue
        section[path[1]] = value
    update: dict[str, Any] = dict(top)
    for name, fields in sections.items():
        update[name] = replace(getattr(profile, name), **fields)
    return replace(profile, **update)


LAYOUT_FIELDS = (GPUS_FIELD, NODES_FIELD, TP_FIELD, PP_FIELD)
