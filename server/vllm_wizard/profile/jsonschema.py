"""The profile's JSON Schema, for `vllm-wizard schema` and yaml-language-server.

Written by pydantic from models built here out of the profile's field declarations (pydantic
is imported only for this, never on the way to diagnostics), then made friendly to editors:
references are inlined (draft-07 clients ignore keywords beside a `$ref`) and deprecated
spellings are accepted but marked `deprecated`, so yaml-language-server agrees with our own
diagnostics.
"""

from __future__ import annotations

import json
import types
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from vllm_wizard.profile.fields import FieldSpec, fields_of
from vllm_wizard.profile.schema import VALUE_ALIASES, Profile, Section

if TYPE_CHECKING:
    from pydantic import BaseModel

SCHEMA_ID = (
    "https://raw.githubusercontent.com/vllm-wizard/vllm-wizard/main/schemas/profile.schema.json"
)


def _pydantic_model(cls: type[Section]) -> type[BaseModel]:
    """A pydantic model with `cls`'s fields, types, bounds, titles and descriptions."""
    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for name, declared in fields_of(cls).items():
        annotation = _pydantic_type(declared.annotation, declared.spec)
        options: dict[str, Any] = {"title": declared.title, "description": declared.description}
        if declared.factory is not None:
            options["default_factory"] = declared.factory
        elif not declared.is_required():
            options["default"] = declared.default
        if not _is_choice(declared.annotation):
            options.update(dict(declared.spec.bounds))
        for limit in ("min_length", "pattern"):
            if getattr(declared.spec, limit) is not None:
                options[limit] = getattr(declared.spec, limit)
        fields[name] = (annotation, Field(**options))
    extra: dict[str, Any] | None = {"description": Profile.DESCRIPTION} if cls is Profile else None
    config = ConfigDict(strict=True, extra="forbid", title=cls.TITLE, json_schema_extra=extra)
    model: type[BaseModel] = create_model(cls.__name__, __config__=config, **fields)
    return model


def _is_choice(annotation: Any) -> bool:
    """A union of several types (`int | Literal['auto'] | None`): bounds go on its number."""
    if get_origin(annotation) not in (Union, types.UnionType):
        return False
    return len([arg for arg in get_args(annotation) if arg is not type(None)]) > 1


def _pydantic_type(annotation: Any, spec: FieldSpec) -> Any:
    from pydantic import Field, WithJsonSchema

    if spec.json_schema is not None:
        return Annotated[annotation, WithJsonSchema(dict(spec.json_schema))]
    if spec.choices is not None:
        return Annotated[annotation, WithJsonSchema({"type": "string", "enum": [*spec.choices()]})]
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _pydantic_model(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        bounds = dict(spec.bounds) if _is_choice(annotation) else {}
        branches = []
        for arg in get_args(annotation):
            branch = _pydantic_type(arg, spec)
            if bounds and arg in (int, float):
                branch = Annotated[arg, Field(**bounds)]  # type: ignore[call-overload]
            branches.append(branch)
        return Union[tuple(branches)]  # noqa: UP007 (built from a tuple)
    return annotation


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
    raw = _pydantic_model(Profile).model_json_schema(mode="validation")
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
