"""profile.yaml: every field, canonical spellings, loads back clean and equal."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml

from render_testing import EXAMPLES, NASTY, SAMPLE, yaml_str
from vllm_wizard.profile.fields import fields_of
from vllm_wizard.profile.jsonschema import SCHEMA_ID
from vllm_wizard.profile.schema import SECTIONS, Profile, Section
from vllm_wizard.profile.text_stages import analyze_text
from vllm_wizard.render.profile_yaml import dump_yaml, profile_yaml

ODD = f"""\
profile_version: 1
vllm_version: v0.30.1
model:
  id: {yaml_str(NASTY)}
  revision: "0123abc"
  dtype: fp16
  kv_cache_dtype: fp8_e4m3fn
  max_model_len: auto
  params_b: 8
  trust_remote_code: off
hardware:
  gpu_name: "H100"
  vram_gb: 79.2
outputs:
  emit: [compose, k8s]
  dir: "../out dir"
  vllm_args:
    served_model_name: [{yaml_str(NASTY)}, "no", "0o17", "1e3", "8000:8000", "~", ""]
    compilation_config: {{level: 3, "key with: colon": [1, 2.5, null, true]}}
    max-num-seqs: 128
    enforce_eager: false
"""


def load(text: str) -> Profile:
    analysis = analyze_text(text)
    assert analysis.profile is not None, [d.message for d in analysis.diagnostics]
    return analysis.profile


def profiles() -> list[str]:
    return [SAMPLE, ODD, *(p.read_text() for p in sorted(EXAMPLES.glob("*.yaml")))]


@pytest.mark.parametrize("text", profiles())
def test_loads_back_without_diagnostics_to_an_equal_profile(text: str) -> None:
    profile = load(text)
    written = profile_yaml(profile)
    again = analyze_text(written)
    assert [(d.code.value, d.message) for d in again.diagnostics] == []
    assert again.profile == profile


def test_modeline_first() -> None:
    first = profile_yaml(load(SAMPLE)).splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA_ID}"


def _keys(model: type[Section]) -> list[str]:
    return list(fields_of(model))


def test_every_field_is_written_in_schema_order() -> None:
    data = yaml.safe_load(profile_yaml(load("model:\n  id: Qwen/Qwen3-8B\n")))
    assert list(data) == _keys(Profile)
    for section, model in SECTIONS.items():
        assert list(data[section]) == _keys(model), section
    assert data["hardware"]["tp_size"] is None
    assert data["outputs"] == {"emit": ["command", "profile"], "vllm_args": {}, "dir": None}


def test_canonical_spellings() -> None:
    data = yaml.safe_load(profile_yaml(load(ODD)))
    assert data["model"]["dtype"] == "float16"
    assert data["model"]["kv_cache_dtype"] == "fp8_e4m3"
    assert data["model"]["trust_remote_code"] is False
    assert data["model"]["max_model_len"] == "auto"
    assert data["model"]["params_b"] == 8.0


def test_banner_comes_after_the_modeline() -> None:
    lines = profile_yaml(load(SAMPLE), "will not start\nbecause: x").splitlines()
    assert lines[1:3] == ["# will not start", "# because: x"]


TRICKY = ["no", "0o17", "1e3", "8000:8000", "~", "", "-1", ".inf", "null", "a: b", "#x", NASTY]


def test_strings_read_back_the_same_in_yaml_1_1_and_1_2() -> None:
    ruamel = pytest.importorskip("ruamel.yaml")
    text = dump_yaml({"words": TRICKY, "yes": "on"})
    assert yaml.safe_load(text) == {"words": TRICKY, "yes": "on"}
    loaded: Any = ruamel.YAML(typ="safe").load(io.StringIO(text))  # YAML 1.2
    assert loaded == {"words": TRICKY, "yes": "on"}


def test_plain_words_stay_plain() -> None:
    assert dump_yaml({"a": ["--max-model-len", "meta-llama/Llama-3.1-8B", "vllm/x:v1"]}) == (
        "a:\n  - --max-model-len\n  - meta-llama/Llama-3.1-8B\n  - vllm/x:v1\n"
    )
