"""Text edits on a profile's YAML that keep everything the user wrote around them.

Quick fixes must not reformat a file: a user's comments, quoting, indentation, blank lines
and line endings survive, and only the value (or the line) a fix concerns changes. Every
operation here works on the original text and its parse tree (exact ranges in code points),
re-parses its result to prove it is still YAML, and is returned as the minimal diff against
the original, so edits never overlap even when one fix sets several fields.

Values are written as a user would write them: `2`, `0.95`, `fp8`, `true`, `null`; a string
is quoted only when YAML needs it, or in the quote style of the value it replaces.

Modules by concern: `render` (values as YAML), `text` (offsets, apply and diff), `tree`
(finding a field's pair), `operations` (one change on one text) and `fields` (the public
edits, chained and checked). This package only re-exports their public names.
"""

from __future__ import annotations

from vllm_wizard.lsp.edits.fields import (
    REMOVE,
    Change,
    move_field,
    remove_field,
    remove_pair_at,
    rename_key,
    rename_key_at,
    set_field,
    set_fields,
    written_value,
)
from vllm_wizard.lsp.edits.render import Raw, render_value
from vllm_wizard.lsp.edits.text import apply_edits, diff_edits
from vllm_wizard.lsp.edits.tree import FieldPath, Located, locate, pair_at

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
