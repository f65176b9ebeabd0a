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


@pytest.mark.parametrize("written", ["../shared-out", "{tmp}/abs-out", "~/home-out"])
def test_outputs_dir_outside_the_profile_folder_is_refused(
    written: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    folder = tmp_path / "profiles"
    folder.mkdir()
    path = folder / "profile.yaml"
    dir_value = written.format(tmp=tmp_path)
    path.write_text(SAMPLE + f'  dir: "{dir_value}"\n')
    target = (folder / Path(dir_value).expanduser()).resolve()
    code, out, err = generate([str(path)], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:35:8: warning[output-dir] `outputs.dir` resolves to {target}, outside the"
        f" profile's folder {folder.resolve()}.",
        "vllm-wizard generate: nothing was written: the profile's outputs.dir points outside"
        " its folder. Name the folder with -o DIR to write there, or pass --force.",
    ]
    assert not target.exists()
    # -o naming it writes there (and says nothing about outputs.dir, which -o overrides)
    code, out, err = generate([str(path), "-o", str(target)], capsys)
    assert (code, err) == (0, "")
    assert (target / "serve_command.sh").is_file()
    # --force writes there too, with the warning
    for child in target.iterdir():
        child.unlink()
    code, out, err = generate([str(path), "--force"], capsys)
    assert code == 0
    assert err.startswith(f"{path}:35:8: warning[output-dir] ")
    assert (target / "serve_command.sh").is_file()


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
    code, out, err = generate([str(path), "--emit", "compose", "k8s"], capsys)
    # a requested file that cannot be written is a refusal (exit 1), not a success; the
    # others are written
    assert code == 1
    assert err == (
        "vllm-wizard generate: docker-compose.yaml not written: the plan spans 2 nodes and"
        " Compose runs on one host; use k8s (the chart's raySpec) or start a Ray cluster by"
        " hand.\n"
        "vllm-wizard generate: 1 requested file(s) not written: docker-compose.yaml (the"
        " reason is above).\n"
    )
    assert sorted(p.name for p in (tmp_path / "deploy").iterdir()) == [
        "k8s-values.yaml",
        "plan.json",
    ]
    assert out.splitlines()[-1] == (
        f"  helm install vllm vllm/vllm-stack -f {tmp_path / 'deploy' / 'k8s-values.yaml'}"
    )


def test_a_refused_k8s_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the chart's Ray start script pastes extraArgs into bash: a `$` there is refused
    path = tmp_path / "profile.yaml"
    path.write_text(MULTI_NODE + 'outputs:\n  vllm_args:\n    served_model_name: "a$HOME"\n')
    code, _, err = generate([str(path), "--emit", "k8s,command"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == (
        "vllm-wizard generate: 1 requested file(s) not written: k8s-values.yaml (the reason is"
        " above)."
    )
    assert "k8s-values.yaml not written: the chart's Ray start script would expand" in err
    assert (tmp_path / "deploy" / "serve_command.sh").is_file()


def test_profile_from_stdin_writes_next_to_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.encode())))
    code, out, _ = generate(["-"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "written  deploy/serve_command.sh"
    assert (tmp_path / "deploy" / "profile.yaml").is_file()


# ----------------------------------------------------------------------------- original forms


@pytest.mark.parametrize(
    "emit",
    [
        ["--emit", "command,profile,compose,k8s"],  # the original CLI's documented form
        ["--emit", "command", "profile", "compose", "k8s"],
        ["--emit", "command", "--emit", "profile,compose", "--emit", "k8s"],
        ["--emit", "command, profile", "--emit=compose,k8s,command"],
    ],
    ids=["commas", "spaces", "repeated", "mixed"],
)
def test_emit_accepts_commas_spaces_and_repetition(
    emit: list[str], profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = generate([str(profile), "-o", str(out_dir), *emit], capsys)
    assert (code, err) == (0, "")
    assert [line.split()[-1] for line in out.splitlines()[:5]] == [
        str(out_dir / name)
        for name in (
            "serve_command.sh",
            "profile.yaml",
            "docker-compose.yaml",
            "k8s-values.yaml",
            "plan.json",
        )
    ]


def test_emit_names_an_unknown_target(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", str(profile), "--emit", "command,helm"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "vllm-wizard generate: error: argument --emit: invalid choice: 'helm' (choose from"
        " command, profile, compose, k8s, docker)"
    )


def test_output_dir_is_the_original_spelling_of_o(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "original"
    code, out, err = generate([str(profile), "--output-dir", str(out_dir)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"written  {out_dir / 'serve_command.sh'}"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "plan.json",
        "profile.yaml",
        "serve_command.sh",
    ]


def test_generate_from_flags_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, out, err = generate(
        [
            "--model",
            "meta-llama/Llama-3.1-8B-Instruct",
            "--gpu",
            "H100 SXM",
            "--max-model-len",
            "8192",
            "-o",
            str(out_dir),
            "--emit",
            "command",
        ],
        capsys,
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        f"written  {out_dir / 'serve_command.sh'}",
        f"written  {out_dir / 'plan.json'}",
    ]
    plan = json.loads((out_dir / "plan.json").read_text())
    assert plan["model"]["id"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert (plan["hardware"]["gpu_name"], plan["memory"]["max_model_len"]) == ("H100 SXM", 8192)


def test_generate_flags_override_the_profile(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = generate(
        [str(profile), "-o", str(out_dir), "--gpu", "H100 SXM", "--max-model-len", "2048"],
        capsys,
    )
    assert (code, err) == (0, "")
    plan = json.loads((out_dir / "plan.json").read_text())
    assert (plan["hardware"]["gpu_name"], plan["memory"]["max_model_len"]) == ("H100 SXM", 2048)
    assert "--max-model-len 2048" in (out_dir / "serve_command.sh").read_text()


def test_generate_without_a_profile_or_model_is_unusable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = generate(["--gpu", "H100 SXM", "-o", str(tmp_path / "out")], capsys)
    assert (code, out) == (2, "")
    assert err == "vllm-wizard generate: give a profile, or at least --model\n"
    assert not (tmp_path / "out").exists()


def test_multi_node_docker_says_how_to_start_each_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(MULTI_NODE)
    code, out, err = generate([str(path), "--emit", "docker,command"], capsys)
    deploy = tmp_path / "deploy"
    assert (code, err) == (0, "")
    docker, serve = deploy / "docker_run.sh", deploy / "serve_command.sh"
    assert out.splitlines()[-4:] == [
        "Next:",
        f"  bash {serve}   # on the head node, once Ray runs on every node",
        f"  bash {docker} head HEAD_IP   # on the head node",
        f"  bash {docker} worker HEAD_IP THIS_NODE_IP   # on each other node",
    ]
    assert "ray start --head" in (deploy / "docker_run.sh").read_text()


@pytest.mark.parametrize(
    "emit", [["--emit", "command,compose"], ["--emit", "command", "compose"]], ids=str
)
def test_the_profile_may_follow_the_emit_list(
    emit: list[str],
    profile: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the original's one-value `--emit a,b` let the profile come after it
    monkeypatch.chdir(tmp_path)
    code, _, err = generate([*emit, "profile.yaml", "-o", "out"], capsys)
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "docker-compose.yaml",
        "plan.json",
        "serve_command.sh",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "profile.yaml", "--emit", "command", "profile.yaml"])
    assert exit_info.value.code == 2
    assert "two profiles" in capsys.readouterr().err


def test_an_ambiguous_gpu_flag_warns_before_writing(
    profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = str(profile.parent / "out")
    code, _, err = generate([str(profile), "--gpu", "A100", "-o", out_dir], capsys)
    assert code == 0
    assert err.startswith("--gpu: warning[gpu-ambiguous] `A100` could be 4 GPUs (40 or 80 GB):")
    assert "planning for the smallest, A100 PCIe 40GB, until you name one.\n" in err


def test_plan_json_says_what_the_plan_assumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a checkpoint planned from its name and a GPU name that fits several boards: both are
    # the engine's findings, and the plan.json generate writes carries them like `plan --json`
    out_dir = tmp_path / "out"
    args = ["--model", "Qwen/Qwen2.5-7B-Instruct-AWQ", "--gpu", "A100", "-o", str(out_dir)]
    code, _, err = generate(args, capsys)
    assert code == 0
    warnings = json.loads((out_dir / "plan.json").read_text())["warnings"]
    assert [w["code"] for w in warnings] == ["gpu-ambiguous", "model-derived"]
    for warning in warnings:
        assert f"warning[{warning['code']}] {warning['message']}\n" in err
