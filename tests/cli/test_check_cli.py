"""`vllm-wizard check`: formats, path handling and exit codes (DESIGN §7)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_wizard.cli import main
from wizard_testing import EXAMPLES, REPO_ROOT, VALID

BAD = VALID + "  gpus: 0\n  gpu_nmae: x\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_examples_report_only_the_profile_that_does_not_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["check", str(EXAMPLES)], capsys)
    assert (code, err) == (1, "")
    [line] = out.splitlines()
    where = EXAMPLES / "qwen3-32b-one-h100.profile.yaml"
    assert line.startswith(f"{where}:7:18: error[does-not-start]")


def test_the_sample_profile_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", str(EXAMPLES / "sample.yaml")], capsys) == (0, "", "")


def test_text_format_is_path_line_col_severity_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(BAD)
    code, out, _ = run(["check", str(profile)], capsys)
    assert code == 1
    assert out.splitlines() == [
        f"{profile}:5:9: error[invalid-value]"
        " `hardware.gpus` must be at least 1; got the number 0.",
        f"{profile}:6:3: warning[unknown-key] Unknown key `gpu_nmae` in `hardware`."
        " Did you mean `gpu_name`?",
    ]


def test_warnings_alone_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "a.profile.yml"
    profile.write_text(VALID + "  gpu_nmae: x\n")
    code, out, _ = run(["check", str(profile)], capsys)
    assert code == 0 and "warning[unknown-key]" in out


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text('model: {id: "日本😀", dtype: x}\n')
    code, out, _ = run(["check", "--format", "json", str(profile)], capsys)
    assert code == 1
    assert json.loads(out) == [
        {
            "path": str(profile),
            "line": 1,
            "column": 27,
            "end_line": 1,
            "end_column": 28,
            "severity": "error",
            "code": "invalid-value",
            "message": "`model.dtype` must be one of `auto`, `float16`, `bfloat16`, `float32`;"
            ' got "x".',
        }
    ]


def test_github_format_escapes_and_annotates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(BAD)
    _, out, _ = run(["check", "--format", "github", str(profile)], capsys)
    first, second = out.splitlines()
    assert first.startswith(f"::error file={profile},line=5,col=9,endLine=5,endColumn=10,")
    assert "title=vllm-wizard invalid-value::`hardware.gpus` must be at least 1" in first
    assert second.startswith("::warning ")


def test_directories_are_searched_by_the_profile_file_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "profile.yaml").write_text(BAD)
    (tmp_path / "prod.profile.yml").write_text(BAD)
    (tmp_path / "vllm-wizard").mkdir()
    (tmp_path / "vllm-wizard" / "anything.yaml").write_text(BAD)
    (tmp_path / "versioned.yaml").write_text("profile_version: 1\n" + BAD)
    (tmp_path / "compose.yaml").write_text("services: {}\n")  # not a profile: skipped
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "profile.yaml").write_text(BAD)
    code, out, _ = run(["check", str(tmp_path)], capsys)
    checked = sorted({line.split(":")[0] for line in out.splitlines()})
    assert code == 1
    assert checked == sorted(
        str(tmp_path / name)
        for name in (
            "profile.yaml",
            "prod.profile.yml",
            "vllm-wizard/anything.yaml",
            "versioned.yaml",
        )
    )


def test_a_non_profile_named_explicitly_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services: {}\n")
    code, out, _ = run(["check", str(compose)], capsys)
    assert code == 1 and out == f"{compose}:1:1: error[not-a-profile] " + out.split("] ", 1)[1]


def test_unreadable_path_exits_two_after_checking_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "profile.yaml"
    good.write_text(BAD)
    code, out, err = run(["check", str(tmp_path / "missing.yaml"), str(good)], capsys)
    assert code == 2
    assert "error[invalid-value]" in out
    assert "missing.yaml: no such file or directory" in err


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    code, out, _ = run(["check", "-"], capsys)
    assert code == 1 and out.startswith("<stdin>:5:9: error[invalid-value]")


def test_non_utf8_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_bytes(b"model:\n  id: \xff\n")
    code, out, _ = run(["check", str(profile)], capsys)
    assert code == 1 and out.startswith(f"{profile}:2:7: error[encoding]")


def test_console_script_and_module_entry_points() -> None:
    for command in (
        [sys.executable, "-m", "vllm_wizard", "--version"],
        [str(Path(sys.executable).parent / "vllm-wizard"), "--version"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("vllm-wizard 0.")


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version_in_both_spellings_of_the_original_cli(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The original CLI answered `-v` too; scripts that ask for it keep working."""
    with pytest.raises(SystemExit) as stopped:
        main([flag])
    out, err = capsys.readouterr()
    assert stopped.value.code == 0, err
    assert out.startswith("vllm-wizard 0.")


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    assert code == 0
    assert out == (REPO_ROOT / "schemas" / "profile.schema.json").read_text()


def test_check_does_not_import_heavy_modules() -> None:
    script = (
        "import sys\n"
        "from vllm_wizard.cli import main\n"
        f"code = main(['check', {str(EXAMPLES)!r}])\n"
        "heavy = ('pygls', 'lsprotocol', 'huggingface_hub', 'pynvml')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "1 []"  # every stage ran (one example does not start)


def test_an_empty_directory_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", str(tmp_path)], capsys) == (0, "", "")
