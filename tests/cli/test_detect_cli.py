"""`vllm-wizard detect [--json]`: output lines, JSON and exit codes (DESIGN §7).

pynvml's calls into libnvidia-ml are replaced (the only mock edge); one test runs the real
binding on a machine without a driver.
"""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from dataclasses import dataclass
from types import SimpleNamespace

import pynvml
import pytest

from vllm_wizard.cli import main
from wizard_testing import REPO_ROOT

MIB = 2**20
PLAN_WITHOUT = 'set `hardware.gpu_name` to your GPU (e.g. "H100 SXM") to plan without detection.'


@dataclass
class Board:
    name: str
    total_mib: int
    free_mib: int
    uuid: str
    cc: tuple[int, int]
    links: int | None  # NVLink links the board has; None: unsupported
    active: int = 0


H100_0 = Board("NVIDIA H100 80GB HBM3", 81559, 81000, "GPU-a", (9, 0), 18, 18)
H100_1 = Board("NVIDIA H100 80GB HBM3", 81559, 40960, "GPU-b", (9, 0), 18, 12)
UNKNOWN = Board("NVIDIA Imaginary X1", 65536, 65000, "GPU-c", (12, 0), None)


def fake_nvml(
    monkeypatch: pytest.MonkeyPatch, boards: list[Board], init_error: int | None = None
) -> None:
    def init() -> None:
        if init_error is not None:
            raise pynvml.NVMLError(init_error)

    def nvlink_state(board: Board, link: int) -> int:
        if board.links is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        if link >= board.links:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return pynvml.NVML_FEATURE_ENABLED if link < board.active else 0

    def memory(board: Board) -> SimpleNamespace:
        return SimpleNamespace(total=board.total_mib * MIB, free=board.free_mib * MIB)

    calls = {
        "nvmlInit": init,
        "nvmlShutdown": lambda: None,
        "nvmlSystemGetDriverVersion": lambda: "550.54.15",
        "nvmlSystemGetCudaDriverVersion_v2": lambda: 12040,
        "nvmlDeviceGetCount": lambda: len(boards),
        "nvmlDeviceGetHandleByIndex": lambda index: boards[index],
        "nvmlDeviceGetName": lambda board: board.name,
        "nvmlDeviceGetUUID": lambda board: board.uuid,
        "nvmlDeviceGetMemoryInfo": memory,
        "nvmlDeviceGetCudaComputeCapability": lambda board: board.cc,
        "nvmlDeviceGetNvLinkState": nvlink_state,
    }
    for name, call in calls.items():
        monkeypatch.setattr(pynvml, name, call)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_lists_each_gpu_then_driver(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_nvml(monkeypatch, [H100_0, H100_1, UNKNOWN])
    code, out, err = run(["detect"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "GPU 0: NVIDIA H100 80GB HBM3, 79.18 GiB (NVML: 79.65 GiB), 79.10 GiB free,"
        " compute capability 9.0, NVLink 18 active links, catalog: H100 SXM",
        "GPU 1: NVIDIA H100 80GB HBM3, 79.18 GiB (NVML: 79.65 GiB), 40.00 GiB free,"
        " compute capability 9.0, NVLink 12 active links, catalog: H100 SXM",
        "GPU 2: NVIDIA Imaginary X1, 62.72 GiB (NVML: 64.00 GiB), 63.48 GiB free,"
        " compute capability 12.0, NVLink not supported,"
        " not in the catalog (NVML's total less 2 %: CUDA reports less)",
        "Driver 550.54.15, CUDA 12.4",
    ]


def test_json_lists_each_gpu(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_nvml(monkeypatch, [H100_1, UNKNOWN])
    code, out, err = run(["detect", "--json"], capsys)
    assert (code, err) == (0, "")
    common = {"driver_version": "550.54.15", "cuda_version": "12.4"}
    assert json.loads(out) == [
        {
            "index": 0,
            "name": "NVIDIA H100 80GB HBM3",
            "uuid": "GPU-b",
            "memory_total_gib": 79.647,
            "memory_gib": 79.18,
            "memory_free_gib": 40.0,
            "compute_capability": "9.0",
            "nvlink_active_links": 12,
            "catalog_name": "H100 SXM",
            **common,
        },
        {
            "index": 1,
            "name": "NVIDIA Imaginary X1",
            "uuid": "GPU-c",
            "memory_total_gib": 64.0,
            "memory_gib": 62.72,
            "memory_free_gib": 63.477,
            "compute_capability": "12.0",
            "nvlink_active_links": None,
            "catalog_name": None,
            **common,
        },
    ]


def test_no_driver_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_nvml(monkeypatch, [], init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    assert run(["detect"], capsys) == (
        1,
        "",
        f"vllm-wizard detect: No NVIDIA driver found (NVML could not be loaded): {PLAN_WITHOUT}\n",
    )


def test_driver_not_loaded_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_nvml(monkeypatch, [], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    assert run(["detect", "--json"], capsys) == (
        1,
        "[]\n",
        "vllm-wizard detect: The NVIDIA driver is not loaded (NVMLError_DriverNotLoaded):"
        f" load it (check `nvidia-smi`), or {PLAN_WITHOUT}\n",
    )


@pytest.mark.parametrize("args", [["detect"], ["detect", "--json"]])
def test_zero_gpus_exit_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    fake_nvml(monkeypatch, [])
    code, out, err = run(args, capsys)
    assert (code, out) == (1, "[]\n" if "--json" in args else "")
    assert (
        err == f"vllm-wizard detect: NVML reports no NVIDIA GPU on this machine: {PLAN_WITHOUT}\n"
    )


def _driver_present() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


@pytest.mark.skipif(_driver_present(), reason="an NVIDIA driver is installed here")
def test_real_pynvml_without_a_driver() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vllm_wizard", "detect", "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert (result.returncode, result.stdout) == (1, "[]\n")
    assert result.stderr == (
        f"vllm-wizard detect: No NVIDIA driver found (NVML could not be loaded): {PLAN_WITHOUT}\n"
    )
