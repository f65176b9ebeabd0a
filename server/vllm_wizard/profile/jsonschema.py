"""The profile's JSON Schema, for `vllm-wizard schema` and yaml-language-server.

Generated from the pydantic models, then made friendly to editors: references are inlined
(draft-07 clients ignore keywords beside a `$ref`) and deprecated spellings are accepted
but marked `deprecated`, so yaml-language-server agrees with our own diagnostics.
"""

from __future__ import annotations

import json
from typing import Any

from vllm_wizard.profile.schema import VALUE_ALIASES, Profile

SCHEMA_ID = (
    "https://raw.githubusercontent.com/vllm-wizard/vllm-wizard/main/schemas/profile.schema.json"
)


def _inline_refs(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
            siblings = {k: _inline_refs(v, definitions) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings}
        return {k: _inline_refs(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    return node


def _mark_aliases(schema: dict[str, Any]) -> None:
    for (section, name), aliases in VALUE_ALIASES.items():
        field = schema["properties"][section]["properties"][name]
        canonical = {k: field.pop(k) for k in ("enum", "type") if k in field}
        by_target: dict[str, list[str]] = {}
        for alias, target in aliases.items():
            by_target.setdefault(target, []).append(alias)
        field["anyOf"] = [
            canonical,
            *(
                {
                    "type": "string",
                    "enum": spellings,
                    "deprecated": True,
                    "deprecationMessage": f"Old spelling: vLLM calls it `{target}`.",
                }
                for target, spellings in by_target.items()
            ),
        ]


def _allow_null_sections(schema: dict[str, Any]) -> None:
    """Optional sections may be written as an explicit `null` (the original CLI did)."""
    for name, section in schema["properties"].items():
        if name != "model" and section.get("type") == "object":
            section["type"] = ["object", "null"]


def profile_json_schema() -> dict[str, Any]:
    """The JSON Schema of a profile, with a title and a description on every field."""
    raw = Profile.model_json_schema(mode="validation")
    schema: dict[str, Any] = _inline_refs(raw, raw.get("$defs", {}))
    _mark_aliases(schema)
    _allow_null_sections(schema)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        **schema,
    }


def render_schema(schema: dict[str, Any]) -> str:
    """Stable text: the same schema always gives the same bytes (the staleness test)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
