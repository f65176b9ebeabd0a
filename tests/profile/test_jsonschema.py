"""The published JSON Schema: in sync, documented, and in agreement with our validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import yaml

from vllm_wizard.profile.jsonschema import profile_json_schema, render_schema
from wizard_testing import EXAMPLES, REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "schemas" / "profile.schema.json"


def _fields(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, field in schema.get("properties", {}).items():
        yield f"{path}{name}", field
        yield from _fields(field, f"{path}{name}.")


def test_committed_schema_is_the_generated_one() -> None:
    expected = render_schema(profile_json_schema())
    assert SCHEMA_FILE.read_text() == expected, (
        "schemas/profile.schema.json is stale:"
        " run `vllm-wizard schema > schemas/profile.schema.json`"
    )


def test_every_field_has_a_title_and_a_description_for_users() -> None:
    fields = dict(_fields(profile_json_schema()))
    assert len(fields) > 30
    for name, field in fields.items():
        assert field.get("title"), name
        assert len(field.get("description", "")) > 20, name


def test_examples_validate_against_the_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    for path in sorted(EXAMPLES.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_deprecated_spellings_are_accepted_and_marked() -> None:
    schema = profile_json_schema()
    dtype = schema["properties"]["model"]["properties"]["dtype"]
    deprecated = [branch for branch in dtype["anyOf"] if branch.get("deprecated")]
    assert {"fp16", "bf16", "half", "fp32", "float"} == {
        value for branch in deprecated for value in branch["enum"]
    }
    jsonschema.validate({"model": {"id": "a/b", "dtype": "bf16"}}, schema)


def test_schema_rejects_what_we_reject() -> None:
    schema = profile_json_schema()
    validator = jsonschema.Draft7Validator(schema)
    assert not validator.is_valid({"model": {"id": "a/b", "quantization": "int8"}})
    assert not validator.is_valid(
        {"model": {"id": "a/b"}, "policy": {"gpu_memory_utilization": 1.5}}
    )
    assert not validator.is_valid({"hardware": {"gpus": 1}})
    assert validator.is_valid({"model": {"id": "a/b", "max_model_len": "auto"}, "outputs": None})
