"""The dtype vLLM serves a model in (planning/dtypes.py), as `ModelConfig._get_and_verify_dtype`
picks it in vLLM 0.33.0 (`vllm/config/model.py`, `vllm/platforms/cuda.py`)."""

from __future__ import annotations

import pytest

from planner_testing import make_plan
from vllm_wizard.planning.dtypes import DtypeChoice, served_dtype

T4 = (7, 5)
V100 = (7, 0)
H100 = (9, 0)


@pytest.mark.parametrize(
    ("requested", "checkpoint", "model_type", "capability", "dtype"),
    [
        ("auto", "bfloat16", "llama", H100, "bfloat16"),
        ("auto", "float16", "llama", H100, "float16"),
        # float32 checkpoints and configs without a dtype: the platform's first dtype
        ("auto", "float32", "llama", H100, "bfloat16"),
        ("auto", None, "gpt_oss", H100, "bfloat16"),
        ("auto", "float32", "llama", T4, "float16"),
        # a bf16 checkpoint on a T4 falls back to float16 ...
        ("auto", "bfloat16", "llama", T4, "float16"),
        ("auto", "bfloat16", "qwen3", V100, "float16"),
        # ... but Gemma refuses float16, leaving float32
        ("auto", "bfloat16", "gemma3_text", T4, "float32"),
        ("auto", "bfloat16", "gemma2", V100, "float32"),
        ("auto", "bfloat16", "gemma3", H100, "bfloat16"),
        # an unknown GPU is assumed to support all three
        ("auto", "bfloat16", "llama", None, "bfloat16"),
        # explicit choices are kept
        ("float16", "bfloat16", "llama", H100, "float16"),
        ("float32", "bfloat16", "llama", T4, "float32"),
        ("bfloat16", "float16", "llama", H100, "bfloat16"),
    ],
)
def test_served_dtype(
    requested: str,
    checkpoint: str | None,
    model_type: str,
    capability: tuple[int, int] | None,
    dtype: str,
) -> None:
    choice = served_dtype(requested, checkpoint, model_type, capability, "GPU")
    assert choice.dtype == dtype and choice.error is None


def test_fallback_says_why() -> None:
    assert served_dtype("auto", "bfloat16", "llama", T4, "T4") == DtypeChoice(
        "float16", note="T4 does not support bfloat16; vLLM falls back to float16"
    )
    assert served_dtype("auto", None, "llama", H100, "H100 SXM") == DtypeChoice(
        "bfloat16", note="checkpoint dtype not stated; vLLM serves it in bfloat16"
    )
    assert served_dtype("auto", "bfloat16", "llama", H100, "H100 SXM").note is None


def test_explicit_bfloat16_below_compute_capability_8_is_vllms_refusal() -> None:
    # vLLM (platforms/cuda.py, check_if_supports_dtype): "Bfloat16 is only supported on GPUs
    # with compute capability of at least 8.0. Your {gpu_name} GPU has compute capability 7.5."
    choice = served_dtype("bfloat16", "bfloat16", "llama", T4, "T4")
    assert choice.dtype == "bfloat16"
    assert choice.error is not None
    assert choice.error.startswith(
        "Bfloat16 is only supported on GPUs with compute capability of at least 8.0."
        " Your T4 GPU has compute capability 7.5."
    )
    v100 = served_dtype("bfloat16", None, "llama", V100, "V100 SXM2 16GB").error
    assert v100 is not None and "Your V100 SXM2 16GB GPU has compute capability 7.0." in v100
    assert served_dtype("bfloat16", None, "llama", (8, 0), "A100").error is None


def test_explicit_float16_on_gemma_is_vllms_refusal() -> None:
    # vLLM (config/model.py, _check_valid_dtype): f"The model type {model_type!r} does not
    # support float16. Reason: Numerical instability. Please use bfloat16 or float32 instead."
    choice = served_dtype("float16", "bfloat16", "gemma2", H100, "H100 SXM")
    assert choice.error == (
        "The model type 'gemma2' does not support float16. Reason: Numerical instability."
        " Please use bfloat16 or float32 instead."
    )
    assert served_dtype("float16", "bfloat16", "glm4", H100, "x").error is not None
    assert served_dtype("float16", "bfloat16", "llama", H100, "x").error is None


def test_the_plan_serves_in_the_chosen_dtype() -> None:
    # Llama-3.1-8B (bf16 checkpoint) on a T4: served in float16, said nowhere as an error
    plan = make_plan(gpu_name="T4", model={"max_model_len": 2048})
    assert plan.setup.dtype == "float16"
    assert not [f for f in plan.findings if f.code.value == "dtype-unsupported"]
    # Gemma 3 on a T4: float32, 4 bytes per parameter
    gemma = make_plan("google/gemma-3-4b-it", "T4", model={"max_model_len": 2048})
    assert gemma.setup.dtype == "float32"


def test_the_plan_reports_vllms_refusal_on_the_dtype_field_with_a_fix() -> None:
    plan = make_plan(gpu_name="T4", model={"dtype": "bfloat16", "max_model_len": 2048})
    [finding] = [f for f in plan.findings if f.code.value == "dtype-unsupported"]
    assert finding.is_error and finding.fields == (("model", "dtype"),)
    assert finding.message.startswith("Bfloat16 is only supported on GPUs with compute")
    assert finding.data == {
        "fixes": [
            {
                "title": "Set dtype: float16",
                "edits": [{"path": ["model", "dtype"], "value": "float16"}],
                "preferred": True,
                "remove": False,
            }
        ]
    }
    assert not plan.starts and plan.oom_risk == "high"
    gemma = make_plan("google/gemma-3-4b-it", model={"dtype": "float16"})
    [refusal] = [f for f in gemma.findings if f.code.value == "dtype-unsupported"]
    assert refusal.data is not None
    assert refusal.data["fixes"][0]["edits"] == [{"path": ["model", "dtype"], "value": "bfloat16"}]
