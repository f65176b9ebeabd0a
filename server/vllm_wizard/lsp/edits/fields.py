"""The edits quick fixes ask for: set, remove, move and rename fields of a profile.

Several changes are applied one after another on the re-parsed text, the result must
still parse, and the answer is the diff against the original; `[]` when the text cannot
take the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from vllm_wizard.lsp.edits.operations import _Impossible, _remove_found, _rename, _set
from vllm_wizard.lsp.edits.render import Raw
from vllm_wizard.lsp.edits.text import _Text, apply_edits, diff_edits
from vllm_wizard.lsp.edits.tree import FieldPath, _locate, pair_at
from vllm_wizard.lsp.model import TextEdit
from vllm_wizard.profile.document import Node, ParsedDocument, parse_document, to_python
from vllm_wizard.profile.positions import Range


class _Remove:
    """The `value` of a change that deletes the field."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Final = _Remove()
"""Pass as the value in `set_fields` to delete a field instead of setting it."""


Change = tuple[FieldPath, Any]
"""(path, value): set the field to the value, or delete it when the value is `REMOVE`."""


def _transform(document: ParsedDocument, changes: Sequence[Change]) -> list[TextEdit]:
    """Apply the changes one after another, re-parsing between them; diff the result."""
    current = document
    try:
        for path, value in changes:
            text = _Text(current.text)
            if value is REMOVE:
                found = _locate(current.root, path)
                edits = _remove_found(text, found, current.root) if found is not None else []
            else:
                edits = _set(current, path, value)
            if edits:
                current = parse_document(apply_edits(current.text, edits))
                if not current.syntax_ok or current.root is None:
                    return []
    except _Impossible:
        return []
    return diff_edits(document.text, current.text)


def _verified(document: ParsedDocument, edits: list[TextEdit]) -> list[TextEdit]:
    new = apply_edits(document.text, edits)
    parsed = parse_document(new)
    if not parsed.syntax_ok or parsed.root is None:
        return []
    return diff_edits(document.text, new)


def set_field(document: ParsedDocument, path: FieldPath, value: Any) -> list[TextEdit]:
    """Set the field at `path`: its value replaced in place, or `key: value` added to its
    section (the section created when missing). [] when the text cannot take it."""
    return _transform(document, [(path, value)])


def set_fields(document: ParsedDocument, changes: Sequence[Change]) -> list[TextEdit]:
    """Several fields at once (one quick fix may set gpus and tp_size), as one set of
    non-overlapping edits; `REMOVE` as a value deletes that field."""
    return _transform(document, changes)


def remove_field(document: ParsedDocument, path: FieldPath) -> list[TextEdit]:
    """Delete the field at `path`: a block pair's lines, or a flow item and its comma."""
    return _transform(document, [(path, REMOVE)])


def remove_pair_at(document: ParsedDocument, key_range: Range) -> list[TextEdit]:
    """Delete the pair whose key is at `key_range`; of two duplicate keys, exactly that one."""
    found = pair_at(document, key_range)
    if found is None:
        return []
    try:
        edits = _remove_found(_Text(document.text), found, document.root)
    except _Impossible:
        return []
    return _verified(document, edits)


def rename_key(document: ParsedDocument, path: FieldPath, new_name: str) -> list[TextEdit]:
    """Rename the key at `path` in place, keeping its quotes, value and comments."""
    found = _locate(document.root, path)
    if found is None:
        return []
    return _verified(document, _rename(_Text(document.text), found.pair.key, new_name))


def rename_key_at(document: ParsedDocument, key_range: Range, new_name: str) -> list[TextEdit]:
    """Rename the key written at `key_range`."""
    found = pair_at(document, key_range)
    if found is None:
        return []
    return _verified(document, _rename(_Text(document.text), found.pair.key, new_name))


def written_value(document: ParsedDocument, node: Node) -> Raw | None:
    """A scalar exactly as written (quotes included), to move it without rewriting it."""
    if node.kind != "scalar" or node.is_alias or node.is_missing:
        return None
    if node.range.start.line != node.range.end.line:
        return None
    text = _Text(document.text)
    return Raw(document.text[text.offset(node.range.start) : text.offset(node.range.end)])


def move_field(
    document: ParsedDocument,
    from_path: FieldPath,
    to_path: FieldPath,
    value: Any = REMOVE,
    also: Sequence[Change] = (),
) -> list[TextEdit]:
    """Remove the field at `from_path` and set `to_path` to its value (and `also`'s fields,
    in the same edits).

    The value moves as written (`0.90` stays `0.90`) unless `value` gives the one to write
    (when the target spells it differently, e.g. vLLM's `-1` is the profile's `auto`).
    """
    found = _locate(document.root, from_path)
    if found is None:
        return []
    if value is REMOVE:
        value = written_value(document, found.pair.value)
        if value is None:
            value = to_python(found.pair.value)
    return _transform(document, [(from_path, REMOVE), (to_path, value), *also])
