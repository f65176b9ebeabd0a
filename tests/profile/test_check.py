"""The profile's own validator (profile/check.py): strict like the JSON Schema, every problem
at its field (tests/planning/test_no_pydantic.py: and no pydantic on the way)."""

from __future__ import annotations

import pytest

from vllm_wizard.profile.check import ProfileInvalid, parse_profile
from vllm_wizard.profile.fields import fields_of
from vllm_wizard.profile.schema import SECTIONS, Profile, profile_to_data
from wizard_testing import only, where

LLAMA = {"id": "meta-llama/Llama-3.1-8B-Instruct"}


def problems(data: object) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ProfileInvalid) as raised:
        parse_profile(data)
    return [(problem["loc"], problem["type"]) for problem in raised.value.problems]


def test_defaults_fill_every_declared_field() -> None:
    profile = parse_profile({"model": LLAMA})
    data = profile_to_data(profile)
    assert list(data) == list(fields_of(Profile))
    for name, section in SECTIONS.items():
        assert list(data[name]) == list(fields_of(section)), name
    assert profile.hardware.gpus == 1 and profile.outputs.emit == ["command", "profile"]


def test_each_problem_is_reported_at_its_field_in_declaration_order() -> None:
    data = {
        "model": {"id": "", "dtype": "fp64"},
        "hardware": {"gpus": 0, "tp_size": "two"},
        "workload": {"streaming": "yes"},
        "policy": {"gpu_memory_utilization": 1.5},
    }
    assert problems(data) == [
        (("model", "id"), "string_too_short"),
        (("model", "dtype"), "literal_error"),
        (("hardware", "gpus"), "greater_than_equal"),
        (("hardware", "tp_size"), "int_type"),
        (("workload", "streaming"), "bool_type"),
        (("policy", "gpu_memory_utilization"), "less_than_equal"),
    ]


def test_strict_types_as_the_json_schema_has_them() -> None:
    for section, name, value, kind in (
        ("hardware", "gpus", 2.0, "int_type"),
        ("hardware", "gpus", True, "int_type"),
        ("hardware", "gpus", "2", "int_type"),
        ("workload", "streaming", 1, "bool_type"),
        ("policy", "headroom_gb", "1", "float_type"),
        ("policy", "headroom_gb", False, "float_type"),
        ("model", "revision", 5, "string_type"),
        ("outputs", "emit", "command", "list_type"),
        ("outputs", "vllm_args", ["x"], "dict_type"),
    ):
        data: dict[str, dict[str, object]] = {"model": dict(LLAMA)}
        data.setdefault(section, {})[name] = value
        assert problems(data) == [((section, name), kind)], (name, value)


def test_a_whole_number_is_a_number_and_is_kept_as_one() -> None:
    profile = parse_profile({"model": LLAMA, "policy": {"gpu_memory_utilization": 1}})
    assert profile.policy.gpu_memory_utilization == 1.0
    assert type(profile.policy.gpu_memory_utilization) is float


def test_true_is_not_profile_version_1() -> None:
    assert problems({"model": LLAMA, "profile_version": True}) == [
        (("profile_version",), "literal_error")
    ]
    assert where(only("profile_version: true\nmodel:\n  id: a/b\n")) == (
        1,
        18,
        "unsupported-version",
    )


def test_a_union_reports_one_problem_per_branch_at_the_field() -> None:
    assert problems({"model": {**LLAMA, "max_model_len": [1]}}) == [
        (("model", "max_model_len"), "int_type"),
        (("model", "max_model_len"), "literal_error"),
    ]
    diagnostic = only("model:\n  id: a/b\n  max_model_len: [1]\n")
    assert diagnostic.message == (
        "`model.max_model_len` must be a whole number greater than 0, `auto` or null; got a list."
    )


def test_spellings_the_fields_declare() -> None:
    profile = parse_profile(
        {"model": LLAMA, "hardware": {"tp_size": "auto", "interconnect": "NVLink"}}
    )
    assert (profile.hardware.tp_size, profile.hardware.interconnect) == (None, "nvlink")
    assert parse_profile({"model": {**LLAMA, "max_model_len": "auto"}}).model.max_model_len == (
        "auto"
    )


def test_null_sections_mean_defaults_but_the_model_is_required() -> None:
    assert parse_profile({"model": LLAMA, "hardware": None}).hardware.gpus == 1
    assert problems({"model": None}) == [(("model",), "model_type")]
    assert problems({}) == [(("model",), "missing")]
    assert problems({"model": {"dtype": "auto"}}) == [(("model", "id"), "missing")]


def test_keys_not_declared_and_keys_that_are_not_text() -> None:
    assert problems({"model": LLAMA, "extra": 1}) == [(("extra",), "extra_forbidden")]
    assert problems({"model": LLAMA, "outputs": {"vllm_args": {1: "x"}}}) == [
        (("outputs", "vllm_args", 1, "[key]"), "string_type")
    ]


def test_the_release_pattern_matches_the_whole_text() -> None:
    assert parse_profile({"model": LLAMA, "vllm_version": "v0.10.1"}).vllm_version == "v0.10.1"
    assert problems({"model": LLAMA, "vllm_version": "0.33.0\n"}) == [
        (("vllm_version",), "string_pattern_mismatch")
    ]


def test_the_quantization_table_is_the_vllm_release_s() -> None:
    assert problems({"model": {**LLAMA, "quantization": "int3"}}) == [
        (("model", "quantization"), "enum")
    ]
    assert parse_profile({"model": {**LLAMA, "quantization": "awq"}}).model.quantization == "awq"
