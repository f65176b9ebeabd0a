"""`vllm-wizard plan` (DESIGN §7): the report, plan.json, flag overrides and exit codes."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from vllm_wizard.cli import main
from vllm_wizard.models.resolve import resolve_model_locally
from vllm_wizard.pipeline import EngineContext, analyze
from vllm_wizard.profile.jsonschema import render_schema
from vllm_wizard.render.plan_json import plan_json, plan_json_schema
from wizard_testing import EXAMPLES, REPO_ROOT

SAMPLE = EXAMPLES / "sample.yaml"
PLAN_SCHEMA = REPO_ROOT / "schemas" / "plan.schema.json"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "configs"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def plan_doc(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run(["plan", "--json", "--offline", *args], capsys)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def lookup(document: dict[str, Any], dotted: str) -> Any:
    """A field of plan.json by dotted path; None where it is absent."""
    value: Any = document
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ----------------------------------------------------------------------------- the report


@pytest.mark.parametrize(
    ("args", "header", "layout"),
    [
        # --tp 3 on the profile's one GPU: the header says 1 GPU, the layout says tp 3
        ([str(SAMPLE), "--tp", "3"], "on 1 × RTX 4090 ·", "Memory per GPU (tp 3, pp 1)"),
        (
            [str(EXAMPLES / "llama3-405b-2-nodes.profile.yaml")],
            "on 2 nodes × 8 × H100 SXM ·",
            "Memory per GPU (tp 8, pp 2)",
        ),
    ],
    ids=["tp-above-gpus", "two-nodes"],
)
def test_the_report_header_shows_the_profiles_hardware(
    args: list[str], header: str, layout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["plan", "--offline", *args], capsys)
    lines = out.splitlines()
    assert code == 0
    assert header in lines[0]
    assert layout in lines


def test_the_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    # Llama-2-7B (fp16) on an RTX 4090 at 4,096 tokens: budget ceil(0.9 × 23.643 GiB) =
    # 22,847,830,151 B; weights 6,738,417,664 × 2 + 4,096 × 128 × 2 = 13,477,883,904; the
    # forward pass over 2,048 tokens, 2,048 × (3 × 11,008 + 4 × 4,096) × 2 = 202,375,168;
    # non-torch 0.13 GiB + 4.25 × 256 × 32,000 = 174,402,437.12; graphs 86 × 32 × 0.27 MiB =
    # 779,133,911.04. KV 8,214,034,730.84 B = 7.65 GiB; // 8 MiB per block = 979 blocks,
    # × 16 = 15,664 tokens, 979 / 256 = 3.82× at 4,096.
    code, out, err = run(["plan", str(SAMPLE)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "meta-llama/Llama-2-7b-hf on 1 × RTX 4090 · vLLM 0.33.0"
    assert lines[2] == "  ✔ fits · 7.6 GiB KV · 15,664 tokens · 3.8× at 4,096 · OOM risk low"
    assert "Memory per GPU (tp 1, pp 1)" in lines
    assert "  KV cache                          7.65 GiB  available" in lines
    assert "  KV bytes per token   524,288" in lines
    assert "  block size           16 (979 blocks)" in lines
    assert "  max concurrency      3.82× at 4,096 tokens" in lines
    # 4 × (512 + 256) × 524,288 × 1.15 = 1.725 GiB
    assert "  workload KV need                  1.72 GiB  × fragmentation" in lines
    assert "Performance at concurrency 4 (estimates; ranges as the assumptions state)" in lines
    assert any(line.startswith("  time per output token") for line in lines)
    # the curve over concurrency, the workload's row marked, and one line of sparklines
    [row] = [line for line in lines if line.endswith(" ◂")]
    assert row.split()[:2] == ["4", "4"]
    assert any(line.startswith("  tokens/s ") and " · TPOT " in line for line in lines)
    assert out.endswith(
        "\nServe with\n  vllm serve meta-llama/Llama-2-7b-hf --max-model-len 4096"
        " --tensor-parallel-size 1 --gpu-memory-utilization 0.9\n"
    )
    assert "How the figures were derived" not in out


def test_explain_shows_each_derivation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", "--explain", str(SAMPLE)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert "How the figures were derived" in lines and "Assumptions" in lines
    start = lines.index("How the figures were derived") + 1
    derivation = {
        line.split()[0]: line
        for line in lines[start : lines.index("Assumptions")]
        if line.startswith("  ")
    }
    assert "ceil(total × util) with gpu_memory_utilization 0.9" in derivation["budget"]
    assert "21.279 GiB" in derivation["budget"]
    assert "6,738,417,664 parameters × 2 bytes (float16)" in derivation["weights"]
    assert (
        "979" in derivation["num_blocks"] and "8,388,608 B per block id" in derivation["num_blocks"]
    )
    assert "int(max_concurrency × max_model_len)" in derivation["kv_cache_tokens"]
    # 15,664 KV tokens hold 20 requests of 512 + 256 tokens; an RTX 4090 runs up to 256
    assert (
        "  - 4 users with 512 + 256 tokens each: 4 run at once (max_num_seqs 256, the KV cache"
        " holds 20 such requests)" in lines
    )


def test_a_plan_that_does_not_start_still_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    document = plan_doc([str(EXAMPLES / "qwen3-32b-one-h100.profile.yaml")], capsys)
    assert document["starts"] is False and document["oom_risk"] == "high"
    assert "does-not-start" in [w["code"] for w in document["warnings"]]
    code, out, _ = run(["plan", str(EXAMPLES / "qwen3-32b-one-h100.profile.yaml")], capsys)
    assert code == 0 and "✘ does not start" in out.splitlines()[2]


# ----------------------------------------------------------------------------- --json


def test_json_is_plan_json_and_valid_against_the_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["plan", "--json", str(SAMPLE)], capsys)
    assert (code, err) == (0, "")
    # the same document the library writes for the same profile
    context = EngineContext(
        resolve_model=lambda m, r, b, p: resolve_model_locally(m, r, base_dir=b, params_b=p)
    )
    analysis = analyze(SAMPLE.read_text(), context)
    assert analysis.plan is not None
    assert out == plan_json(analysis.plan, analysis.diagnostics)
    document = json.loads(out)
    jsonschema.validate(document, json.loads(PLAN_SCHEMA.read_text()))
    assert document["plan_version"] == 1 and document["vllm_version"] == "0.33.0"
    assert document["memory"]["kv_cache_tokens"] == 15_664
    assert document["memory"]["num_blocks"] == 979
    assert document["memory"]["kv_cache_gib"] == 7.65
    assert document["memory"]["kv_bytes_per_token"] == 524_288
    assert document["config"] == {
        "model": "meta-llama/Llama-2-7b-hf",
        "max_model_len": 4096,
        "tensor_parallel_size": 1,
        "gpu_memory_utilization": 0.9,
    }


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_validates_against_the_plan_schema(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = plan_doc([str(example)], capsys)
    jsonschema.validate(document, json.loads(PLAN_SCHEMA.read_text()))


def test_schema_plan_is_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema", "plan"], capsys)
    assert code == 0
    assert out == render_schema(plan_json_schema())
    assert PLAN_SCHEMA.read_text() == out, (
        "schemas/plan.schema.json is stale:"
        " run `vllm-wizard schema plan > schemas/plan.schema.json`"
    )


# ----------------------------------------------------------------------------- overrides

# flag(s) → (plan.json field, value): each flag against the sample profile, which sets
# RTX 4090, 1 GPU, concurrency 4, max_model_len 4096, utilization 0.9, ...
OVERRIDES: list[tuple[list[str], str, Any]] = [
    (
        ["--model", "meta-llama/Llama-3.1-8B-Instruct"],
        "model.id",
        "meta-llama/Llama-3.1-8B-Instruct",
    ),
    (["-m", "Qwen/Qwen3-0.6B"], "model.architecture.model_type", "qwen3"),
    (["--trust-remote-code"], "config.trust_remote_code", True),
    (["--dtype", "float32"], "config.dtype", "float32"),
    (["--quantization", "fp8"], "config.quantization", "fp8_per_tensor"),
    (["-q", "fp8"], "config.quantization", "fp8_per_tensor"),
    (["--kv-cache-dtype", "fp8"], "config.kv_cache_dtype", "fp8"),
    (["--max-model-len", "2048"], "memory.max_model_len", 2048),
    (["--max-model-len", "auto"], "config.max_model_len", -1),
    (["--params-b", "7"], "model.params", 7_000_000_000),
    (["--vllm-version", "0.11.0"], "vllm_rules", "0.11.0"),
    (["--gpu", "H100 SXM"], "hardware.gpu_name", "H100 SXM"),
    (["--gpus", "2"], "hardware.gpus", 2),
    (["--nodes", "2"], "parallel.pipeline_parallel_size", 2),
    (["--vram-gb", "20"], "hardware.memory_gib_per_gpu", 20.0),
    (["--gpus", "2", "--tensor-parallel-size", "2"], "parallel.tensor_parallel_size", 2),
    (["--gpus", "2", "--tp", "2"], "parallel.tensor_parallel_size", 2),
    (["--gpus", "2", "--pp", "2"], "parallel.pipeline_parallel_size", 2),
    (["--gpus", "2", "--pipeline-parallel-size", "2"], "config.pipeline_parallel_size", 2),
    # 8 × (1,000 + 24) × 524,288 B × 1.15 = 4 GiB × 1.15
    (["-c", "8", "--prompt-tokens", "1000", "--gen-tokens", "24"], "memory.kv_needed_gib", 4.6),
    (["--concurrency", "1"], "memory.kv_needed_gib", 0.431),  # 768 × 0.5 MiB × 1.15
    (["--batching-mode", "throughput"], "config.performance_mode", "throughput"),
    (["--gpu-memory-utilization", "0.8"], "config.gpu_memory_utilization", 0.8),
    (["--overhead-gb", "3"], "memory.activation_gib", 3.0),
    # 4 × 768 × 524,288 × 1.5 = 2.25 GiB
    (["--fragmentation-factor", "1.5"], "memory.kv_needed_gib", 2.25),
    (["--headroom-gb", "7"], "fits", False),
]


@pytest.mark.parametrize(
    ("flags", "field", "value"), OVERRIDES, ids=[" ".join(o[0]) for o in OVERRIDES]
)
def test_each_flag_wins_over_the_profile(
    flags: list[str], field: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the sample profile's own plan has another value: the flag changed it
    assert lookup(plan_doc([str(SAMPLE)], capsys), field) != value
    assert lookup(plan_doc([str(SAMPLE), *flags], capsys), field) == value


def test_interconnect_override(capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(SAMPLE), "--gpus", "2", "--tp", "2"]
    pcie = plan_doc(args, capsys)["performance"]["assumptions"]
    nvlink = plan_doc([*args, "--interconnect", "nvlink"], capsys)["performance"]["assumptions"]
    assert "tensor parallel 2: two all-reduces per layer over pcie" in pcie
    assert "tensor parallel 2: two all-reduces per layer over nvlink" in nvlink


@pytest.mark.parametrize("spelling", ["NVLink", "NVLINK", "nvlink"])
def test_interconnect_in_the_original_spelling(
    spelling: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(SAMPLE), "--gpus", "2", "--tp", "2", "--interconnect", spelling]
    assumptions = plan_doc(args, capsys)["performance"]["assumptions"]
    assert "tensor parallel 2: two all-reduces per layer over nvlink" in assumptions


@pytest.mark.parametrize("spelling", ["auto", "AUTO"])
def test_tensor_parallel_size_auto_lets_the_planner_choose(
    spelling: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the profile pins tp 4; `--tp auto` hands the choice back to the planner, as null does
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"
        "  gpus: 4\n  tp_size: 4\n"
    )
    assert plan_doc([str(profile)], capsys)["parallel"]["tensor_parallel_size"] == 4
    for flag in ("--tensor-parallel-size", "--tp"):
        document = plan_doc([str(profile), flag, spelling], capsys)
        assert document["parallel"]["tensor_parallel_size"] == 1  # 8B fits one H100


def test_a_bad_tensor_parallel_size_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", str(SAMPLE), "--tp", "many"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "vllm-wizard plan: error: argument --tensor-parallel-size/--tp: expected a whole number"
        " or `auto`; got 'many'"
    )


def test_revision_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a local model folder (the revision is passed on to vLLM; the folder is read as it is)
    folder = tmp_path / "llama"
    folder.mkdir()
    shutil.copy(FIXTURES / "meta-llama--Llama-3.1-8B-Instruct.json", folder / "config.json")
    document = plan_doc(["-m", str(folder), "--gpu", "H100 SXM", "--revision", "v2"], capsys)
    assert document["model"]["revision"] == "v2" and document["config"]["revision"] == "v2"


def test_flags_alone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["plan", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100 SXM"], capsys
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "meta-llama/Llama-3.1-8B-Instruct on 1 × H100 SXM · vLLM 0.33.0"
    # 56,895,280,447.6 B of KV, 27,129 blocks (tests/planning/test_memory.py)
    assert lines[2] == "  ✔ fits · 53.0 GiB KV · 434,064 tokens · 3.3× at 131,072 · OOM risk low"


def test_model_is_required_without_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["plan", "--json", "--gpu", "H100 SXM"], capsys)
    assert (code, out) == (2, "")
    assert err == "vllm-wizard plan: give a profile, or at least --model\n"


def test_an_invalid_override_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["plan", "--json", str(SAMPLE), "--gpus", "0"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("vllm-wizard plan: --gpus: ")
    code, _, err = run(["plan", str(SAMPLE), "--max-model-len", "lots"], capsys)
    assert code == 2
    assert (
        err == "vllm-wizard plan: --max-model-len: expected a whole number or `auto`; got 'lots'\n"
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ["-q", "int8"],  # the original CLI offered int8
            "--quantization: `model.quantization` must be one of 31 values (`none`, `awq`,"
            " `auto_awq`, `fp8`, `fbgemm_fp8`, `fp_quant`, `modelopt`, `modelopt_fp4`, ...); got"
            ' "int8". vLLM has no `int8` method: use `fp8` (8-bit weights, quantized on the fly),'
            " or serve a pre-quantized checkpoint (AWQ, GPTQ or compressed-tensors W8A8).",
        ),
        (
            ["--max-model-len", "-5"],
            "--max-model-len: `model.max_model_len` must be a whole number greater than 0, `auto`"
            " or null; got the number -5.",
        ),
        (
            ["--prompt-tokens", "0", "--gen-tokens", "0"],
            "--prompt-tokens: `workload.prompt_tokens` must be at least 1; got the number 0."
            " --gen-tokens: `workload.gen_tokens` must be at least 1; got the number 0.",
        ),
    ],
)
def test_a_bad_flag_value_is_worded_as_in_a_profile(
    flags: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same sentence (and advice) a profile's line would get, naming the flag."""
    code, out, err = run(["plan", "--json", str(SAMPLE), *flags], capsys)
    assert (code, out) == (2, "")
    assert err == f"vllm-wizard plan: {expected}\n"


ORIGINAL_INT8 = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
  quantization: "int8"   # the original CLI accepted it; vLLM has no such method
hardware:
  gpu_name: "H100 SXM"
  gpus: 0
"""


def test_flags_replace_the_values_a_profile_gets_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Flags win over the profile: the value a flag replaces cannot stop the plan."""
    profile = tmp_path / "profile.yaml"
    profile.write_text(ORIGINAL_INT8)
    document = plan_doc([str(profile), "-q", "fp8", "--gpus", "1"], capsys)
    assert document["config"]["quantization"] == "fp8_per_tensor"
    assert document["hardware"]["gpus"] == 1


def test_a_flag_does_not_hide_the_profile_s_other_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(ORIGINAL_INT8)
    code, out, err = run(["plan", "--json", "--offline", str(profile), "-q", "fp8"], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "vllm-wizard plan: no plan:",
        f"{profile}:6:9: error[invalid-value] `hardware.gpus` must be at least 1; got the"
        " number 0.",
    ]


def test_a_deprecated_dtype_spelling_warns_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["plan", "--json", str(SAMPLE), "--dtype", "bf16"], capsys)
    assert code == 0
    assert json.loads(out)["config"]["dtype"] == "bfloat16"
    assert err == (
        "vllm-wizard plan: warning: `bf16` is an old spelling of dtype; vLLM calls it `bfloat16`.\n"
    )


RISKY = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
  trust_remote_code: true
hardware:
  gpu_name: H100 SXM
  vram_gb: 80
policy:
  gpu_memory_utilization: 0.99
"""


def test_the_readme_maps_the_original_clis_json_fields_to_plan_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the original's PlanResponse (vashkelis/vllm-wizard, src/vllm_wizard/schemas/outputs.py at
    # 811120d8): feasibility.fits, artifacts.serve_command, ...; each maps to a plan.json field
    readme = (REPO_ROOT / "README.md").read_text()
    pairs = re.findall(r"`(\.[\w.]+)`(?: \(a pair\))? →\s+`(\.[\w.]+)`", readme)
    assert (".feasibility.fits", ".fits") in pairs
    assert (".artifacts.serve_command", ".commands.serve") in pairs
    document = plan_doc([str(SAMPLE)], capsys)
    for old, new in pairs:
        assert lookup(document, new.lstrip(".")) is not None, (old, new)
        assert lookup(document, old.lstrip(".")) is None, old


def test_a_flag_value_gets_the_profiles_lints_and_replaces_the_ones_it_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the same check as the profile's value: 0.99 from a flag is as risky as in the file
    code, out, err = run(
        ["plan", "--json", "--offline", str(SAMPLE), "--gpu-memory-utilization", "0.99"], capsys
    )
    assert code == 0
    assert err.splitlines() == [
        "--gpu-memory-utilization: warning[risky-value] `policy.gpu_memory_utilization` 0.99"
        " leaves almost nothing for the CUDA context and other processes: vLLM may run out of"
        " memory at start-up; 0.5 to 0.98 is sensible (vLLM's default is 0.92)."
    ]
    assert "risky-value" in [w["code"] for w in json.loads(out)["warnings"]]
    code, _, err = run(["plan", "--offline", str(SAMPLE), "--trust-remote-code"], capsys)
    assert code == 0 and err.startswith("--trust-remote-code: warning[trust-remote-code] ")
    # a sensible flag value replaces the profile's risky one, and its warning with it
    profile = tmp_path / "profile.yaml"
    profile.write_text(RISKY.replace("  vram_gb: 80\n", ""))
    code, out, err = run(
        ["plan", "--json", "--offline", str(profile), "--gpu-memory-utilization", "0.9"], capsys
    )
    assert code == 0
    assert [line.split("]")[0].rsplit("[", 1)[1] for line in err.splitlines()] == [
        "trust-remote-code"
    ]
    assert "risky-value" not in [w["code"] for w in json.loads(out)["warnings"]]


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_an_amd_gpu_says_the_generated_files_target_nvidia(
    json_flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["plan", *json_flag, "--offline", "-m", "meta-llama/Llama-3.1-8B-Instruct"]
    code, _, err = run([*args, "--gpu", "MI300X"], capsys)
    assert code == 0
    assert err.splitlines() == [
        "--gpu: warning[amd-artifacts] MI300X is an AMD GPU: the plan applies, but the generated"
        " files target NVIDIA images (vllm/vllm-openai); use a ROCm build of vLLM to serve it."
    ]


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_warnings_the_report_does_not_print_go_to_stderr(
    json_flag: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report prints the planner's findings; the profile's own warnings (a utilization
    that risks an OOM, remote code, a marketing memory figure) would otherwise be lost."""
    profile = tmp_path / "profile.yaml"
    profile.write_text(RISKY)
    code, out, err = run(["plan", *json_flag, "--offline", str(profile)], capsys)
    assert code == 0
    codes = [line.split(": ", 2)[1].split("]")[0] for line in err.splitlines()]
    assert codes == ["warning[trust-remote-code", "warning[vram-marketing", "warning[risky-value"]
    assert err.splitlines()[0].startswith(f"{profile}:3:22: warning[trust-remote-code] ")
    if json_flag:
        json.loads(out)


# ----------------------------------------------------------------------------- input


def test_profile_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.read_bytes())))
    from_stdin = plan_doc(["-"], capsys)
    assert from_stdin == plan_doc([str(SAMPLE)], capsys)


@pytest.mark.parametrize("option", ["-p", "--profile"])
def test_profile_option(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_doc([option, str(SAMPLE)], capsys) == plan_doc([str(SAMPLE)], capsys)


def test_a_syntax_error_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("model:\n  id: [oops\n")
    code, out, err = run(["plan", "--json", str(profile)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"vllm-wizard plan: no plan:\n{profile}:3:1: error[yaml-syntax] ")


def test_an_unknown_gpu_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(SAMPLE.read_text().replace('"RTX 4090"', '"H10"'))
    code, out, err = run(["plan", "--json", str(profile)], capsys)
    assert (code, out) == (2, "")
    assert f"{profile}:14:13: error[gpu-unknown] Unknown GPU `H10`." in err


def test_a_finding_about_a_flag_names_the_flag_not_a_profile_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the sample writes gpu_name on line 14; the flag replaced that value, so line 14 is not
    # where the problem is
    code, out, err = run(["plan", "--json", str(SAMPLE), "--gpu", "RTX 9090"], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "vllm-wizard plan: no plan:",
        "--gpu: error[gpu-unknown] Unknown GPU `RTX 9090`. Did you mean `RTX 5090`, `RTX 4090`"
        " or `RTX 3090`? Set `hardware.vram_gb` to plan for a GPU the catalog does not list.",
    ]


T4_PROFILE = (
    "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\n  dtype: bfloat16\nhardware:\n"
    "  gpu_name: {gpu}\n"
)


def _findings(args: list[str]) -> dict[str, tuple[int, str | None, list[int]]]:
    """code → (0-based line, flag, related lines) of `plan`'s analysis."""
    from vllm_wizard.cli import build_parser
    from vllm_wizard.commands.common import analyze_args

    analysis, _ = analyze_args(build_parser().parse_args(["plan", "--offline", *args]), "plan")
    return {
        d.code.value: (d.range.start.line, d.flag, [r.range.start.line for r in d.related])
        for d in analysis.diagnostics
    }


def test_findings_never_point_at_a_line_a_flag_replaced(tmp_path: Path) -> None:
    written = tmp_path / "t4.yaml"
    written.write_text(T4_PROFILE.format(gpu="T4"))
    flagged = tmp_path / "h100.yaml"
    flagged.write_text(T4_PROFILE.format(gpu="H100 SXM"))
    # the profile's own T4: bfloat16 is wrong at line 3, and the GPU at line 5 is related;
    # the KV verdict (tp_size, gpu_name, model.id) lands on gpu_name, the first one written
    assert _findings([str(written)]) == {
        "dtype-unsupported": (2, None, [4]),
        "no-kv-memory": (4, None, [1]),
    }
    # the same GPU from --gpu: line 5 holds "H100 SXM", which is nobody's problem
    assert _findings([str(flagged), "--gpu", "T4"]) == {
        "dtype-unsupported": (2, None, []),
        "no-kv-memory": (1, None, []),  # on model.id (its related note is the same place)
    }
    # a finding whose own field the flag set names the flag
    both = _findings([str(flagged), "--dtype", "bfloat16", "--gpu", "T4"])
    assert both["dtype-unsupported"] == (0, "--dtype", [])


def test_an_unknown_model_offline_is_unusable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["plan", "--json", "--offline", "-m", "acme/not-a-real-model"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("vllm-wizard plan: no plan:\n")
    assert "<flags>" not in err  # no positions for flags
    # a warning in `check` (offline CI), but here it leaves no plan: an error, on the flag
    assert (
        "\n--model: error[model-unresolved] `acme/not-a-real-model` is not in the bundled"
        " catalog" in err
    )


def test_an_unresolved_model_in_a_profile_is_an_error_for_plan_and_a_warning_for_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("model:\n  id: acme/not-a-real-model\nhardware:\n  gpu_name: H100 SXM\n")
    code, out, err = run(["plan", "--offline", str(profile)], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines()[:2] == [
        "vllm-wizard plan: no plan:",
        f"{profile}:2:7: error[model-unresolved] `acme/not-a-real-model` is not in the bundled"
        " catalog or the Hugging Face cache, and the Hugging Face Hub is not asked offline; go"
        " online or download it first (`hf download acme/not-a-real-model config.json`) or point"
        " `model.id` at a local folder with the model's config.json",
    ]
    code, out, _ = run(["check", "--offline", str(profile)], capsys)
    assert code == 0
    assert out.startswith(f"{profile}:2:7: warning[model-unresolved] ")


def test_an_unreadable_path_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["plan", "--json", str(tmp_path / "missing.yaml")], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"vllm-wizard plan: cannot read {tmp_path / 'missing.yaml'}: ")


def test_the_plan_process_does_not_import_heavy_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vllm_wizard", "plan", "--json", str(SAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "vllm_wizard" in imported
    # pydantic only writes the JSON Schemas (`vllm-wizard schema`), not plan.json
    heavy = {"pygls", "lsprotocol", "huggingface_hub", "pynvml", "pydantic", "pydantic_core"}
    assert imported & heavy == set()
    assert json.loads(result.stdout)["memory"]["kv_cache_tokens"] == 15_664


# ----------------------------------------------------------------------------- ambiguous GPUs

H100_AMBIGUOUS = (
    "warning[gpu-ambiguous] `H100` could be 3 GPUs (80 or 94 GB): H100 PCIe (79.11 GiB),"
    " H100 SXM (79.18 GiB), H100 NVL (93.00 GiB); planning for the smallest, H100 PCIe, until"
    " you name one.\n"
)


def test_a_bare_h100_flag_warns_and_plans_the_smallest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # only flags: the finding names the flag that set the value
    code, out, err = run(
        ["plan", "--offline", "-m", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100"], capsys
    )
    assert code == 0
    assert "on 1 × H100 PCIe" in out.splitlines()[0]
    assert err == "--gpu: " + H100_AMBIGUOUS
    # a profile with the flag: the value is the flag's, not the profile line's; --json too
    code, out, err = run(["plan", "--json", str(SAMPLE), "--gpu", "H100"], capsys)
    assert code == 0 and json.loads(out)["hardware"]["gpu_name"] == "H100 PCIe"
    assert err == "--gpu: " + H100_AMBIGUOUS


def test_an_ambiguous_name_in_the_profile_warns_at_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(SAMPLE.read_text().replace('gpu_name: "RTX 4090"', "gpu_name: H100"))
    code, _, err = run(["plan", "--offline", str(profile)], capsys)
    assert code == 0
    assert err == f"{profile}:14:13: " + H100_AMBIGUOUS
    # naming the board silences it
    code, _, err = run(["plan", "--offline", str(profile), "--gpu", "H100 SXM"], capsys)
    assert (code, err) == (0, "")


# ----------------------------------------------------------------------------- plan.json warnings


def warnings_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(w["code"], w["message"]) for w in document["warnings"]]


def test_plan_json_warns_of_a_model_planned_from_its_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Not in the catalog or the cache, offline: planned as the catalog model its name says it
    # is. The assumption is the engine's finding, not the planner's; plan.json must carry it.
    args = ["--model", "Qwen/Qwen2.5-7B-Instruct-AWQ", "--gpu", "RTX 4090"]
    code, out, err = run(["plan", "--json", "--offline", *args], capsys)
    assert code == 0
    [derived] = [w for w in warnings_of(json.loads(out)) if w[0] == "model-derived"]
    assert derived[1].startswith("`Qwen/Qwen2.5-7B-Instruct-AWQ` is not in the bundled catalog")
    assert "planned as `Qwen/Qwen2.5-7B-Instruct` with AWQ 4-bit weights" in derived[1]
    assert err == f"--model: warning[model-derived] {derived[1]}\n"


def test_plan_json_warns_of_an_ambiguous_gpu_once(capsys: pytest.CaptureFixture[str]) -> None:
    document = plan_doc(["-m", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100"], capsys)
    assert document["hardware"]["gpu_name"] == "H100 PCIe"
    message = H100_AMBIGUOUS.removeprefix("warning[gpu-ambiguous] ").removesuffix("\n")
    assert warnings_of(document).count(("gpu-ambiguous", message)) == 1


def test_plan_json_carries_the_texts_warnings_and_the_planners_each_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a misspelled key (the plan ignored it), an ambiguous GPU, and a plan that does not start
    text = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()
    profile = tmp_path / "profile.yaml"
    profile.write_text(text.replace("gpu_name: H100 SXM", "gpu_name: H100") + "workloda: {}\n")
    document = plan_doc([str(profile)], capsys)
    found = warnings_of(document)
    codes = [code for code, _ in found]
    assert {"unknown-key", "gpu-ambiguous", "does-not-start"} <= set(codes)
    assert len(found) == len(set(found))
    # every error and warning `check` reports for the profile, and nothing else
    main(["check", "--offline", "--format", "json", str(profile)])
    checked = json.loads(capsys.readouterr().out)
    expected = {(d["code"], d["message"]) for d in checked if d["severity"] != "info"}
    assert set(found) == expected
    jsonschema.validate(document, json.loads(PLAN_SCHEMA.read_text()))


def test_a_plan_with_no_estimate_says_why_instead_of_rows_of_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing the search tries starts a bitsandbytes checkpoint on vLLM 0.33 (the method is
    # gone) when no unquantized model is known for it (a folder with no name to go by), so
    # there is no setup to estimate for.
    folder = tmp_path / "mine"
    folder.mkdir()
    config = json.loads((FIXTURES / "meta-llama--Llama-3.1-8B-Instruct.json").read_text())
    config["quantization_config"] = {"quant_method": "bitsandbytes", "load_in_4bit": True}
    (folder / "config.json").write_text(json.dumps(config))
    args = ["plan", "--offline", "--model", str(folder)]
    code, out, _ = run([*args, "--gpu", "RTX 4090"], capsys)
    assert code == 0
    assert (
        "\nNo performance estimate: the profile does not start and no setup the planner tried"
        " does.\n" in out
    )
    assert "unknown" not in out and "concurrency None" not in out
