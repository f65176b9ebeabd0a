"""The profile model: the original CLI's shape loads unchanged; defaults match DESIGN §2."""

from __future__ import annotations

from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.schema import quantization_choices
from vllm_wizard.profile.text_stages import analyze_text
from vllm_wizard.vllm.flags import flag_table
from wizard_testing import EXAMPLES


def test_sample_in_the_original_shape_loads_without_a_finding() -> None:
    text = (EXAMPLES / "sample.yaml").read_text()
    assert "revision: null" in text and 'gpu_name: "RTX 4090"' in text
    analysis = analyze_text(text)
    assert analysis.diagnostics == []
    profile = analysis.profile
    assert profile is not None
    assert profile.model.id == "meta-llama/Llama-2-7b-hf"
    assert profile.model.revision is None
    assert profile.model.max_model_len == 4096
    assert profile.hardware.gpu_name == "RTX 4090"
    assert profile.hardware.tp_size is None
    assert profile.outputs.emit == ["command", "profile"]
    assert profile.outputs.vllm_args == {}


def test_defaults_are_design_section_2() -> None:
    profile = parse_profile({"model": {"id": "a/b"}})
    assert profile.profile_version == 1
    assert profile.vllm_version is None
    assert (profile.model.dtype, profile.model.quantization, profile.model.kv_cache_dtype) == (
        "auto",
        "none",
        "auto",
    )
    assert profile.model.max_model_len is None and profile.model.trust_remote_code is False
    hw = profile.hardware
    assert (hw.gpu_name, hw.gpus, hw.nodes, hw.interconnect) == ("auto", 1, 1, "unknown")
    assert (hw.vram_gb, hw.tp_size, hw.pp_size) == (None, None, None)
    wl = profile.workload
    assert (wl.prompt_tokens, wl.gen_tokens, wl.concurrency) == (512, 256, 1)
    assert (wl.streaming, wl.mode) == (True, "balanced")
    po = profile.policy
    assert (po.gpu_memory_utilization, po.overhead_gb) == (0.90, None)
    assert (po.fragmentation_factor, po.headroom_gb) == (1.15, 1.0)
    assert profile.outputs.emit == ["command", "profile"] and profile.outputs.dir is None


def test_null_sections_mean_defaults() -> None:
    analysis = analyze_text("model:\n  id: a/b\nhardware:\nworkload: null\noutputs: ~\n")
    assert analysis.diagnostics == []
    assert analysis.profile is not None and analysis.profile.hardware.gpus == 1


def test_max_model_len_accepts_auto_and_null() -> None:
    for value, expected in (("auto", "auto"), ("null", None), ("8192", 8192)):
        analysis = analyze_text(f"model:\n  id: a/b\n  max_model_len: {value}\n")
        assert analysis.profile is not None, analysis.diagnostics
        assert analysis.profile.model.max_model_len == expected


def test_quantization_choices_come_from_the_pinned_flag_table() -> None:
    methods = flag_table().quantization_methods()
    assert quantization_choices() == ("none", *methods)
    assert {"awq", "gptq", "fp8", "compressed-tensors"} <= set(methods)
    assert "int8" not in methods


def test_profile_enums_are_values_the_pinned_vllm_accepts() -> None:
    table = flag_table()
    kv_choices = set(table.kv_cache_dtypes())
    assert {"auto", "float16", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2"} <= kv_choices
    assert {"auto", "float16", "bfloat16", "float32"} <= set(table.model_dtypes())


def test_target_vllm_version_defaults_to_the_pinned_release() -> None:
    from vllm_wizard.vllm import PINNED_VLLM_VERSION

    profile = parse_profile({"model": {"id": "a/b"}})
    assert profile.target_vllm_version == PINNED_VLLM_VERSION
    pinned = parse_profile({"model": {"id": "a/b"}, "vllm_version": "v0.10.1"})
    assert pinned.target_vllm_version == "0.10.1"
