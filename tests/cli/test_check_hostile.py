"""`vllm-wizard check` on the hostile profiles: each file's diagnostic in time, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_profiles import CASES, LIMIT_S, VALID, Hostile
from vllm_wizard.cli import main


def write(case: Hostile, folder: Path) -> Path:
    """The case as a profile file; text JSON could carry but UTF-8 cannot (a lone
    surrogate) is written as the bytes an editor would save, which are not UTF-8."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "profile.yaml"
    path.write_bytes(case.text.encode("utf-8", "surrogatepass"))
    return path


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_check_reports_each_hostile_profile_in_time(
    case: Hostile, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warm = tmp_path / "warm" / "profile.yaml"
    warm.parent.mkdir()
    warm.write_text(VALID)
    main(["check", str(warm)])
    capsys.readouterr()
    path = write(case, tmp_path / "case")
    started = time.perf_counter()
    code = main(["check", "--format", "json", str(path)])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert err == ""
    assert code in (0, 1)
    expected = "encoding" if "\ud800" in case.text else case.code
    assert f'"code": "{expected}"' in out
    assert elapsed < LIMIT_S, f"{case.name}: {elapsed:.2f} s"


def test_check_on_a_folder_of_them_exits_1_without_a_traceback(tmp_path: Path) -> None:
    for index, case in enumerate(CASES):
        write(case, tmp_path / f"case-{index}")
    result = subprocess.run(
        [sys.executable, "-m", "vllm_wizard", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert len({line.split(":", 1)[0] for line in result.stdout.splitlines()}) == len(CASES)
