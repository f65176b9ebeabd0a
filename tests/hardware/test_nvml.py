"""NVML detection: the real ``pynvml`` module with its C calls replaced (the only mock edge).

Figures come from the catalog (server/vllm_wizard/catalog/gpus.json): an H100 80GB HBM3 reports
81559 MiB to NVML and 79.18 GiB to CUDA; the RTX 4060 Ti 16GB / 8GB report 16380 / 8188 MiB.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace

import pynvml
import pytest

from vllm_wizard.catalog.gpus import gpu_by_nvml_name
from vllm_wizard.hardware.nvml import DetectedGpu, Detection, detect_gpus, free_memory_warning

MIB = 2**20
GIB = 2**30
PLAN_WITHOUT = 'set `hardware.gpu_name` to your GPU (e.g. "H100 SXM") to plan without detection.'


@dataclass
class FakeDevice:
    """One board. ``links``: how many NVLink links it has (None: the query is unsupported)."""

    name: str | bytes
    total_mib: int
    free_mib: int
    uuid: str | bytes = "GPU-00000000-0000-0000-0000-000000000000"
    cc: tuple[int, int] = (9, 0)
    links: int | None = None
    active: int = 0
    fail: dict[str, int] = field(default_factory=dict)  # pynvml function -> NVML_ERROR_* code


class FakeNvml:
    """Replaces pynvml's calls into libnvidia-ml; errors are pynvml's own classes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, devices: list[FakeDevice]) -> None:
        self.devices = devices
        self.init_error: int | None = None
        self.driver: str | bytes = "550.54.15"
        self.cuda = 12040
        self.inits = 0
        self.shutdowns = 0
        for name in (
            "nvmlInit",
            "nvmlShutdown",
            "nvmlSystemGetDriverVersion",
            "nvmlSystemGetCudaDriverVersion_v2",
            "nvmlDeviceGetCount",
            "nvmlDeviceGetHandleByIndex",
            "nvmlDeviceGetName",
            "nvmlDeviceGetUUID",
            "nvmlDeviceGetMemoryInfo",
            "nvmlDeviceGetCudaComputeCapability",
            "nvmlDeviceGetNvLinkState",
        ):
            monkeypatch.setattr(pynvml, name, getattr(self, name))

    @staticmethod
    def _check(device: FakeDevice, call: str) -> None:
        if call in device.fail:
            raise pynvml.NVMLError(device.fail[call])

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.inits += 1

    def nvmlShutdown(self) -> None:
        self.shutdowns += 1

    def nvmlSystemGetDriverVersion(self) -> str | bytes:
        return self.driver

    def nvmlSystemGetCudaDriverVersion_v2(self) -> int:
        return self.cuda

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeDevice:
        device = self.devices[index]
        self._check(device, "nvmlDeviceGetHandleByIndex")
        return device

    def nvmlDeviceGetName(self, device: FakeDevice) -> str | bytes:
        self._check(device, "nvmlDeviceGetName")
        return device.name

    def nvmlDeviceGetUUID(self, device: FakeDevice) -> str | bytes:
        self._check(device, "nvmlDeviceGetUUID")
        return device.uuid

    def nvmlDeviceGetMemoryInfo(self, device: FakeDevice) -> SimpleNamespace:
        self._check(device, "nvmlDeviceGetMemoryInfo")
        total, free = device.total_mib * MIB, device.free_mib * MIB
        return SimpleNamespace(total=total, free=free, used=total - free)

    def nvmlDeviceGetCudaComputeCapability(self, device: FakeDevice) -> tuple[int, int]:
        self._check(device, "nvmlDeviceGetCudaComputeCapability")
        return device.cc

    def nvmlDeviceGetNvLinkState(self, device: FakeDevice, link: int) -> int:
        self._check(device, "nvmlDeviceGetNvLinkState")
        if device.links is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        if link >= device.links:  # what a real board answers past its last link
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return pynvml.NVML_FEATURE_ENABLED if link < device.active else 0


def h100(index: int = 0, **changes: object) -> FakeDevice:
    device = FakeDevice(
        name="NVIDIA H100 80GB HBM3",
        total_mib=81559,
        free_mib=81000,
        uuid=f"GPU-h100-{index}",
        links=18,
        active=18,
    )
    for key, value in changes.items():
        setattr(device, key, value)
    return device


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> FakeNvml:
    return FakeNvml(monkeypatch, [])


def only_gpu(detection: Detection) -> DetectedGpu:
    assert detection.error is None, detection.error
    assert len(detection.gpus) == 1
    return detection.gpus[0]


# --------------------------------------------------------------------------- matching


def test_h100_is_matched_and_reports_cuda_memory_from_the_catalog(nvml: FakeNvml) -> None:
    nvml.devices = [h100()]
    detection = detect_gpus()
    gpu = only_gpu(detection)
    assert gpu == DetectedGpu(
        index=0,
        name="NVIDIA H100 80GB HBM3",
        uuid="GPU-h100-0",
        memory_total_bytes=81559 * MIB,
        memory_free_bytes=81000 * MIB,
        compute_capability=(9, 0),
        nvlink_active_links=18,
        catalog=gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 81559),
    )
    assert gpu.catalog is not None and gpu.catalog.name == "H100 SXM"
    assert gpu.memory_gib == 79.18
    assert gpu.memory_source == "catalog"
    assert round(gpu.memory_total_gib, 3) == 79.647  # NVML's figure is larger
    assert (detection.driver_version, detection.cuda_version) == ("550.54.15", "12.4")
    assert detection.warnings == ()
    assert (nvml.inits, nvml.shutdowns) == (1, 1)


def test_two_gpus_with_nvlink(nvml: FakeNvml) -> None:
    nvml.devices = [h100(0), h100(1, active=12)]
    detection = detect_gpus()
    assert [(g.index, g.uuid, g.nvlink_active_links) for g in detection.gpus] == [
        (0, "GPU-h100-0", 18),
        (1, "GPU-h100-1", 12),
    ]
    assert detection.error is None


def test_nvlink_present_but_no_link_active_is_zero_not_none(nvml: FakeNvml) -> None:
    nvml.devices = [h100(active=0)]
    assert only_gpu(detect_gpus()).nvlink_active_links == 0


@pytest.mark.parametrize(
    ("total_mib", "catalog_name", "memory_gib"),
    [(16380, "RTX 4060 Ti 16GB", 15.699), (8188, "RTX 4060 Ti 8GB", 7.7)],
)
def test_rtx_4060_ti_variants_are_told_apart_by_memory(
    nvml: FakeNvml, total_mib: int, catalog_name: str, memory_gib: float
) -> None:
    nvml.devices = [
        FakeDevice(name="NVIDIA GeForce RTX 4060 Ti", total_mib=total_mib, free_mib=7000, cc=(8, 9))
    ]
    gpu = only_gpu(detect_gpus())
    assert gpu.catalog is not None and gpu.catalog.name == catalog_name
    assert gpu.memory_gib == memory_gib
    assert gpu.compute_capability == (8, 9)


def test_unknown_gpu_uses_nvml_total(nvml: FakeNvml) -> None:
    nvml.devices = [FakeDevice(name="NVIDIA Imaginary X1", total_mib=65536, free_mib=65000)]
    gpu = only_gpu(detect_gpus())
    assert gpu.catalog is None
    assert gpu.memory_source == "nvml"
    assert gpu.memory_gib == 64.0 * 0.98  # NVML's total less UNCATALOGUED_RESERVE
    assert DetectedGpu.memory_gib.__doc__ is not None
    assert "NVML's total" in DetectedGpu.memory_gib.__doc__


def test_known_name_with_unseen_memory_total_falls_back_to_nvml(nvml: FakeNvml) -> None:
    nvml.devices = [FakeDevice(name="NVIDIA GeForce RTX 4060 Ti", total_mib=12288, free_mib=1)]
    gpu = only_gpu(detect_gpus())
    assert gpu.catalog is None
    assert gpu.memory_gib == 12.0 * 0.98


def test_bytes_from_older_bindings_are_decoded(nvml: FakeNvml) -> None:
    nvml.devices = [h100(name=b"NVIDIA H100 80GB HBM3", uuid=b"GPU-bytes")]
    nvml.driver = b"535.104.05"
    detection = detect_gpus()
    gpu = only_gpu(detection)
    assert (gpu.name, gpu.uuid) == ("NVIDIA H100 80GB HBM3", "GPU-bytes")
    assert gpu.catalog is not None and gpu.catalog.name == "H100 SXM"
    assert detection.driver_version == "535.104.05"


@pytest.mark.parametrize(("raw", "text"), [(12040, "12.4"), (12080, "12.8"), (11080, "11.8")])
def test_cuda_version_decoding(nvml: FakeNvml, raw: int, text: str) -> None:
    nvml.devices = [h100()]
    nvml.cuda = raw
    assert detect_gpus().cuda_version == text


def test_cuda_version_without_the_v2_call(nvml: FakeNvml, monkeypatch: pytest.MonkeyPatch) -> None:
    nvml.devices = [h100()]
    monkeypatch.delattr(pynvml, "nvmlSystemGetCudaDriverVersion_v2")
    monkeypatch.setattr(pynvml, "nvmlSystemGetCudaDriverVersion", lambda: 12020)
    assert detect_gpus().cuda_version == "12.2"


# --------------------------------------------------------------------------- failures


def test_library_not_found(nvml: FakeNvml) -> None:
    nvml.init_error = pynvml.NVML_ERROR_LIBRARY_NOT_FOUND
    assert detect_gpus() == Detection(
        gpus=(),
        driver_version=None,
        cuda_version=None,
        error=f"No NVIDIA driver found (NVML could not be loaded): {PLAN_WITHOUT}",
    )
    assert nvml.shutdowns == 0  # no shutdown without a successful init


def test_driver_not_loaded(nvml: FakeNvml) -> None:
    nvml.init_error = pynvml.NVML_ERROR_DRIVER_NOT_LOADED
    detection = detect_gpus()
    assert detection.gpus == ()
    assert detection.error == (
        "The NVIDIA driver is not loaded (NVMLError_DriverNotLoaded): load it (check"
        f" `nvidia-smi`), or {PLAN_WITHOUT}"
    )


def test_other_init_error_is_named(nvml: FakeNvml) -> None:
    nvml.init_error = pynvml.NVML_ERROR_NO_PERMISSION
    assert detect_gpus().error == (
        f"NVML could not be initialised (NVMLError_NoPermission: Insufficient Permissions):"
        f" {PLAN_WITHOUT}"
    )


def test_no_pynvml_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    assert detect_gpus().error == (
        "The nvidia-ml-py package (module pynvml) is not installed, so GPUs cannot be"
        f" detected: install it, or {PLAN_WITHOUT}"
    )


def test_zero_devices(nvml: FakeNvml) -> None:
    detection = detect_gpus()
    assert detection.gpus == ()
    assert detection.error == f"NVML reports no NVIDIA GPU on this machine: {PLAN_WITHOUT}"
    assert detection.driver_version == "550.54.15"
    assert nvml.shutdowns == 1


def test_nvlink_not_supported_is_none(nvml: FakeNvml) -> None:
    nvml.devices = [h100(fail={"nvmlDeviceGetNvLinkState": pynvml.NVML_ERROR_NOT_SUPPORTED})]
    gpu = only_gpu(detect_gpus())
    assert gpu.nvlink_active_links is None
    assert gpu.memory_gib == 79.18


def test_optional_queries_failing_leave_fields_unknown(nvml: FakeNvml) -> None:
    nvml.devices = [
        h100(
            fail={
                "nvmlDeviceGetUUID": pynvml.NVML_ERROR_NOT_SUPPORTED,
                "nvmlDeviceGetCudaComputeCapability": pynvml.NVML_ERROR_UNKNOWN,
            }
        )
    ]
    gpu = only_gpu(detect_gpus())
    assert (gpu.uuid, gpu.compute_capability, gpu.nvlink_active_links) == (None, None, 18)


def test_a_gpu_that_cannot_be_read_is_left_out_with_a_warning(nvml: FakeNvml) -> None:
    nvml.devices = [
        h100(0),
        h100(1, fail={"nvmlDeviceGetMemoryInfo": pynvml.NVML_ERROR_GPU_IS_LOST}),
    ]
    detection = detect_gpus()
    assert [g.index for g in detection.gpus] == [0]
    assert detection.error is None
    assert detection.warnings == (
        "GPU 1 was left out: NVML could not read it (NVMLError_GpuIsLost: GPU is lost).",
    )
    assert nvml.shutdowns == 1


def test_no_gpu_readable_is_an_error(nvml: FakeNvml) -> None:
    nvml.devices = [h100(fail={"nvmlDeviceGetHandleByIndex": pynvml.NVML_ERROR_NO_PERMISSION})]
    detection = detect_gpus()
    assert detection.gpus == ()
    assert detection.error == (
        "NVML lists 1 GPU but could not read it (NVMLError_NoPermission: Insufficient"
        f" Permissions): {PLAN_WITHOUT}"
    )
    assert nvml.shutdowns == 1


def test_count_failing_is_an_error_and_still_shuts_down(
    nvml: FakeNvml, monkeypatch: pytest.MonkeyPatch
) -> None:
    def count() -> int:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_UNKNOWN)

    monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", count)
    assert detect_gpus().error == (
        f"NVML failed while listing GPUs (NVMLError_Unknown: Unknown Error): {PLAN_WITHOUT}"
    )
    assert (nvml.inits, nvml.shutdowns) == (1, 1)


def test_unexpected_exception_does_not_escape(
    nvml: FakeNvml, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", lambda: "two")
    assert detect_gpus().error == (
        "GPU detection failed (ValueError: invalid literal for int() with base 10: 'two'):"
        f" {PLAN_WITHOUT}"
    )
    assert nvml.shutdowns == 1


def test_importing_the_module_does_not_import_pynvml() -> None:
    script = "import sys, vllm_wizard.hardware.nvml; print('pynvml' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- free memory


def detected(free_gib: float, *, catalog: bool = True) -> DetectedGpu:
    spec = gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 81559) if catalog else None
    return DetectedGpu(
        index=3,
        name="NVIDIA H100 80GB HBM3",
        uuid=None,
        memory_total_bytes=81559 * MIB,
        memory_free_bytes=int(free_gib * GIB),
        compute_capability=(9, 0),
        nvlink_active_links=None,
        catalog=spec,
    )


def test_free_memory_warning_none_when_the_request_fits() -> None:
    # 0.90 × 79.18 GiB (CUDA's total, not NVML's 79.65) = 71.262 GiB.
    assert free_memory_warning(detected(71.27), 0.90) is None


def test_free_memory_warning_uses_the_cuda_view_of_total() -> None:
    # Catalogued: 0.90 × 79.18 GiB = 71.26 GiB. Uncatalogued: 0.90 × 0.98 × 79.65 = 70.25 GiB.
    assert free_memory_warning(detected(71.5), 0.90) is None
    assert free_memory_warning(detected(70.5), 0.90) is not None
    assert free_memory_warning(detected(70.5, catalog=False), 0.90) is None
    assert free_memory_warning(detected(70.0, catalog=False), 0.90) is not None


def test_free_memory_warning_message() -> None:
    assert free_memory_warning(detected(40.0), 0.90) == (
        "GPU 3 (NVIDIA H100 80GB HBM3) has 40.00 GiB free of 79.18 GiB, less than the 71.26 GiB"
        ' that gpu_memory_utilization 0.9 asks for, so vLLM will refuse to start ("Free memory'
        ' on device ... on startup is less than desired GPU memory utilization"): lower'
        " `policy.gpu_memory_utilization` to 0.50 or less, or free memory held by other"
        " processes (see `nvidia-smi`)."
    )


def test_free_memory_warning_with_nothing_free() -> None:
    message = free_memory_warning(detected(0.0), 0.5)
    assert message is not None
    assert message.endswith('"): free memory held by other processes (see `nvidia-smi`).')
