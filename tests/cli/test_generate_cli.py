"""`vllm-wizard generate`: what it writes, what it refuses, and its exit codes (DESIGN §7)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from render_testing import MULTI_NODE, SAMPLE
from vllm_wizard.cli import main

Result = tuple[int, str, str]
DOES_NOT_START = SAMPLE.replace('gpu_name: "RTX 4090"', 'gpu_name: "RTX 3060 8GB"')


def generate(args: list[str], capsys: pytest.CaptureFixture[str]) -> Result:
    code = main(["generate", *args, "--offline"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(SAMPLE)
    return path


def test_writes_the_profiles_emit_targets_and_says_what_next(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = generate([str(profile)], capsys)
    deploy = profile.parent / "deploy"
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"written  {deploy / 'serve_command.sh'}",
        f"written  {deploy / 'profile.yaml'}",
        f"written  {deploy / 'plan.json'}",
        "",
        "Next:",
        f"  bash {deploy / 'serve_command.sh'}",
    ]
    assert sorted(p.name for p in deploy.iterdir()) == [
        "plan.json",
        "profile.yaml",
        "serve_command.sh",
    ]
    assert json.loads((deploy / "plan.json").read_text())["starts"] is True


def test_rerun_reports_unchanged(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate([str(profile)], capsys)
    code, out, _ = generate([str(profile)], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[:3]] == ["unchanged"] * 3


def test_a_changed_file_is_refused_then_forced(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate([str(profile)], capsys)
    edited = profile.parent / "deploy" / "serve_command.sh"
    edited.write_text("echo mine\n")
    code, out, err = generate([str(profile)], capsys)
    assert code == 1
    assert f"changed, not replaced  {edited}" in out.splitlines()
    assert err == (
        "vllm-wizard generate: 1 file(s) differ from what would be written and were left as"
        f" they are: {edited}; use --force to replace them.\n"
    )
    assert edited.read_text() == "echo mine\n"
    code, out, _ = generate([str(profile), "--force"], capsys)
    assert code == 0
    assert f"replaced   {edited}" in out.splitlines()
    assert edited.read_text().startswith("#!/usr/bin/env bash\n")


def test_emit_and_output_flags(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "elsewhere"
    code, out, _ = generate([str(profile), "-o", str(out_dir), "--emit", "compose", "k8s"], capsys)
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "docker-compose.yaml",
        "k8s-values.yaml",
        "plan.json",
    ]
    assert out.splitlines()[-2:] == [
        f"  docker compose -f {out_dir / 'docker-compose.yaml'} up -d",
        f"  helm install vllm vllm/vllm-stack -f {out_dir / 'k8s-values.yaml'}",
    ]
    assert not (profile.parent / "deploy").exists()


def test_a_plan_that_does_not_start_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(DOES_NOT_START)
    code, out, err = generate([str(path)], capsys)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:18:12: error[no-kv-memory] Does not start:")
    assert lines[-1] == (
        "vllm-wizard generate: vLLM would not start with this plan, so nothing was written. Fix"
        " the profile, or pass --allow-infeasible to write the files anyway (each one then says"
        " that it will not start)."
    )
    assert not (tmp_path / "deploy").exists()


def test_allow_infeasible_writes_with_a_banner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(DOES_NOT_START)
    code, _, err = generate([str(path), "--allow-infeasible"], capsys)
    assert code == 0
    assert err.endswith("warning: written with --allow-infeasible: vLLM will not start as is.\n")
    script = (tmp_path / "deploy" / "serve_command.sh").read_text().splitlines()
    assert script[1] == (
        "# WARNING: vllm-wizard predicts that vLLM will NOT start with this configuration:"
    )
    assert json.loads((tmp_path / "deploy" / "plan.json").read_text())["starts"] is False


def test_unusable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = generate([str(tmp_path / "missing.yaml")], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("vllm-wizard generate: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  id: meta-llama/Llama-2-7b-hf\nhardware:\n  gpus: 0\n")
    code, out, err = generate([str(bad)], capsys)
    assert (code, out) == (2, "")
    assert f"{bad}:4:9: error[invalid-value]" in err


def test_an_unwritable_output_folder_is_one_clear_error(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    target = blocker / "deploy"
    code, out, err = generate([str(profile), "-o", str(target)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"vllm-wizard generate: cannot create the output folder {target}: Not a directory\n"
    )


def test_outputs_dir_outside_the_profile_folder_warns_with_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    path = folder / "profile.yaml"
    path.write_text(SAMPLE + '  dir: "../shared-out"\n')
    code, out, err = generate([str(path)], capsys)
    resolved = (tmp_path / "shared-out").resolve()
    assert code == 0
    assert err.splitlines() == [
        f"{path}:35:8: warning[output-dir] `outputs.dir` resolves to {resolved}, outside the"
        f" profile's folder {folder.resolve()}."
    ]
    assert (tmp_path / "shared-out" / "plan.json").is_file()
    assert f"written  {folder / '../shared-out' / 'plan.json'}" in out.splitlines()


def test_outputs_dir_inside_is_used_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(SAMPLE + "  dir: gen\n")
    code, _, err = generate([str(path)], capsys)
    assert (code, err) == (0, "")
    assert (tmp_path / "gen" / "serve_command.sh").is_file()


def test_multi_node_says_why_there_is_no_compose_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(MULTI_NODE)
    code, _, err = generate([str(path), "--emit", "compose", "k8s"], capsys)
    assert code == 0
    assert err == (
        "vllm-wizard generate: docker-compose.yaml not written: the plan spans 2 nodes and"
        " Compose runs on one host; use k8s (the chart's raySpec) or start a Ray cluster by"
        " hand.\n"
    )
    assert sorted(p.name for p in (tmp_path / "deploy").iterdir()) == [
        "k8s-values.yaml",
        "plan.json",
    ]


def test_profile_from_stdin_writes_next_to_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.encode())))
    code, out, _ = generate(["-"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "written  deploy/serve_command.sh"
    assert (tmp_path / "deploy" / "profile.yaml").is_file()


def test_an_ambiguous_gpu_flag_warns_before_writing(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = str(profile.parent / "out")
    code, _, err = generate([str(profile), "--gpu", "A100", "-o", out_dir], capsys)
    assert code == 0
    assert err.startswith(
        "vllm-wizard generate: warning[gpu-ambiguous] `A100` could be 4 GPUs (40 or 80 GB):"
    )
    assert "planning for the smallest, A100 PCIe 40GB, until you name one.\n" in err
