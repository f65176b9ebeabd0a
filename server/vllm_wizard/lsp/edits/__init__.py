"""Text edits on a profile's YAML that keep what the user wrote around them (see operations)."""

from __future__ import annotations

from vllm_wizard.lsp.edits.operations import (
    REMOVE,
    Change,
    FieldPath,
    Located,
    Raw,
    apply_edits,
    diff_edits,
    locate,
    move_field,
    pair_at,
    remove_field,
    remove_pair_at,
    rename_key,
    rename_key_at,
    render_value,
    set_field,
    set_fields,
    written_value,
)

__all__ = [
    "REMOVE",
    "Change",
    "FieldPath",
    "Located",
    "Raw",
    "apply_edits",
    "diff_edits",
    "locate",
    "move_field",
    "pair_at",
    "remove_field",
    "remove_pair_at",
    "rename_key",
    "rename_key_at",
    "render_value",
    "set_field",
    "set_fields",
    "written_value",
]
