"""Real Emacs with eglot: Debian's Emacs 28.2 with elpa-eglot (eglot 1.9) and elpa-yaml-mode,
which .ci/run installs. The Emacs snippet of editors/README.md is loaded as written (the venv's
`vllm-wizard` first on PATH); eglot connects, flymake shows the verdict on the right line, the
hover comes as plain text (eglot without markdown-mode asks for nothing else), and *Show
plan.json* is told with a message, since eglot has no window/showDocument."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard_testing import EXAMPLES, REPO_ROOT

EMACS = shutil.which("emacs")
SCRIPT = Path(__file__).with_name("emacs_check.el")


def _readme_snippet() -> str:
    text = (REPO_ROOT / "editors" / "README.md").read_text()
    match = re.search(r"## Emacs.*?```elisp\n(.*?)```", text, flags=re.S)
    assert match is not None
    return match.group(1)


def _has_eglot_and_yaml_mode() -> bool:
    if EMACS is None:
        return False
    probe = "(progn (package-initialize) (require 'eglot) (require 'yaml-mode))"
    done = subprocess.run(
        [EMACS, "--batch", "--eval", probe], capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


@pytest.mark.skipif(
    not _has_eglot_and_yaml_mode(),
    reason="needs emacs with eglot and yaml-mode (.ci/run: apt-get install emacs-nox"
    " elpa-eglot elpa-yaml-mode)",
)
def test_eglot_shows_the_verdict_a_plain_text_hover_and_the_show_plan_message(
    tmp_path: Path,
) -> None:
    assert EMACS is not None
    profile = tmp_path / "profile.yaml"
    shutil.copy(EXAMPLES / "qwen3-32b-one-h100.profile.yaml", profile)
    snippet = tmp_path / "snippet.el"
    snippet.write_text(_readme_snippet())
    out = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "HOME": str(tmp_path),  # no user init, no ~/.emacs.d
            "HF_HUB_OFFLINE": "1",
            "VLLM_WIZARD_EMACS_OUT": str(out),
            "VLLM_WIZARD_EMACS_PROFILE": str(profile),
            "VLLM_WIZARD_EMACS_SNIPPET": str(snippet),
        }
    )
    done = subprocess.run(
        [EMACS, "--batch", "-l", str(SCRIPT)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert result.get("error") is None, (result, done.stderr)
    assert result["mode"] == "yaml-mode"
    [(line, text)] = result["diagnostics"]
    assert line == profile.read_text().splitlines().index("  max_model_len: 32768") + 1
    assert text.startswith("vllm-wizard [does-not-start]: Does not start: needs 8.00 GiB of KV")
    assert result["hover_kind"] == "plaintext"
    assert result["hover"].startswith("Maximum context length · model.max_model_len\n")
    assert "**" not in result["hover"] and "|" not in result["hover"]
    assert "\nweights                     61.03  safetensors\n" in result["hover"]
    assert result["show_plan_saved"] is True
    written = tmp_path / "deploy" / "plan.json"
    assert written.exists()
    assert f"Server reports (type=3): vLLM Wizard wrote the plan to {written}" in done.stderr
