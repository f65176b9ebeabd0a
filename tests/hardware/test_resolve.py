"""`hardware.gpu_name` (+ `vram_gb`) → the GPU a plan runs on (hardware/resolve.py).

Detection is passed in, so NVML is never touched: `detect` returns a real `Detection`.
"""

from __future__ import annotations

import pytest

from vllm_wizard.catalog.gpus import gpu_by_nvml_name
from vllm_wizard.hardware.nvml import DetectedGpu, Detection
from vllm_wizard.hardware.resolve import (
    GpuUnresolved,
    ResolvedGpu,
    ambiguity_message,
    marketing_vram_warning,
    resolve_gpu,
)

GIB = 2**30
MIB = 2**20


def h100_detected(free_mib: int = 80_000, cc: tuple[int, int] | None = (9, 0)) -> DetectedGpu:
    return DetectedGpu(
        index=0,
        name="NVIDIA H100 80GB HBM3",
        uuid="GPU-1",
        memory_total_bytes=81_559 * MIB,
        memory_free_bytes=free_mib * MIB,
        compute_capability=cc,
        nvlink_active_links=18,
        catalog=gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 81_559),
    )


def detection(*gpus: DetectedGpu, error: str | None = None) -> Detection:
    return Detection(gpus=gpus, driver_version="550.54.15", cuda_version="12.4", error=error)


def resolved(name: str, vram_gb: float | None = None) -> ResolvedGpu:
    found = resolve_gpu(name, vram_gb)
    assert isinstance(found, ResolvedGpu), found
    return found


# ----------------------------------------------------------------------------- by name


@pytest.mark.parametrize(
    ("written", "name", "memory"),
    [
        ("H100 SXM", "H100 SXM", 79.18),
        ("h100 sxm", "H100 SXM", 79.18),
        ("DGX H100", "H100 SXM", 79.18),
        ("RTX4090", "RTX 4090", 23.643),
        ("4090", "RTX 4090", 23.643),
        ("  L40S ", "L40S", 44.521),
        ("A100 SXM 80GB", "A100 SXM 80GB", 79.256),
    ],
)
def test_catalog_names_and_aliases(written: str, name: str, memory: float) -> None:
    gpu = resolved(written)
    assert (gpu.name, gpu.memory_gib, gpu.source) == (name, memory, "catalog")
    assert gpu.spec is not None and gpu.spec.name == name
    assert gpu.candidates == () and not gpu.ambiguous and gpu.detected is None


def test_an_ambiguous_name_plans_for_the_smallest_candidate() -> None:
    # "H100": the PCIe (79.109 GiB), SXM (79.18) and NVL (93.003) boards, smallest first
    gpu = resolved("H100")
    assert gpu.ambiguous
    assert gpu.candidates == ("H100 PCIe", "H100 SXM", "H100 NVL")
    assert (gpu.name, gpu.memory_gib) == ("H100 PCIe", 79.109)
    a100 = resolved("A100")
    assert a100.candidates == ("A100 PCIe 40GB", "A100 SXM 40GB", "A100 PCIe 80GB", "A100 SXM 80GB")
    assert a100.memory_gib == 39.381


@pytest.mark.parametrize(
    ("written", "candidates", "chosen"),
    [
        # the 96 GB H20 and the 141 GB one (NVML "NVIDIA H20-3e")
        ("H20", ("H20 96GB", "H20 141GB"), "H20 96GB"),
        # same memory: the slower NVL board
        ("H200", ("H200 NVL", "H200 SXM"), "H200 NVL"),
        ("h200 141gb", ("H200 NVL", "H200 SXM"), "H200 NVL"),
        ("A800", ("A800 PCIe 80GB", "A800 SXM 80GB"), "A800 PCIe 80GB"),
        (
            "RTX PRO 6000",
            (
                "RTX PRO 6000 Blackwell Max-Q",
                "RTX PRO 6000 Blackwell Server",
                "RTX PRO 6000 Blackwell Workstation",
            ),
            "RTX PRO 6000 Blackwell Max-Q",
        ),
    ],
)
def test_families_with_variants_are_ambiguous(
    written: str, candidates: tuple[str, ...], chosen: str
) -> None:
    gpu = resolved(written)
    assert (gpu.candidates, gpu.name) == (candidates, chosen)


@pytest.mark.parametrize(
    ("written", "name"),
    [("L40", "L40"), ("L40S", "L40S"), ("L20", "L20"), ("H20-3e", "H20 141GB"),
     ("NVIDIA H20", "H20 96GB"), ("H200 SXM", "H200 SXM"), ("MI308X", "MI308X"),
     ("MI355X", "MI355X"), ("RTX 6000 Ada", "RTX 6000 Ada")],
)  # fmt: skip
def test_exact_boards_are_not_ambiguous(written: str, name: str) -> None:
    gpu = resolved(written)
    assert (gpu.name, gpu.ambiguous) == (name, False)


def test_a_bare_rtx_6000_is_not_planned_for_any_board() -> None:
    # Turing's Quadro RTX 6000 (24 GB, not in the catalog) shares the name: planning for the
    # 48 GB Ada board would be optimistic, so it stays unknown and names the candidates.
    found = resolve_gpu("RTX 6000", None)
    assert isinstance(found, GpuUnresolved) and found.reason == "unknown-gpu"
    assert "RTX 6000 Ada" in found.suggestions


def test_vram_gb_narrows_an_ambiguous_name_to_the_boards_of_that_size() -> None:
    eighty = resolved("A100", 79.2)
    assert eighty.candidates == ("A100 PCIe 80GB", "A100 SXM 80GB")
    assert (eighty.name, eighty.memory_gib, eighty.source) == ("A100 PCIe 80GB", 79.2, "override")
    forty = resolved("A100", 40)  # the marketing figure narrows too
    assert forty.candidates == ("A100 PCIe 40GB", "A100 SXM 40GB")
    big_h20 = resolved("H20", 139.7)
    assert (big_h20.name, big_h20.ambiguous) == ("H20 141GB", False)
    # a size no candidate has keeps them all
    assert len(resolved("A100", 60).candidates) == 4


def test_the_ambiguity_message_lists_sizes_and_says_what_the_plan_uses() -> None:
    assert ambiguity_message("A100", resolved("A100")) == (
        "`A100` could be 4 GPUs (40 or 80 GB): A100 PCIe 40GB (39.38 GiB), A100 SXM 40GB"
        " (39.49 GiB), A100 PCIe 80GB (79.14 GiB), A100 SXM 80GB (79.26 GiB); planning for the"
        " smallest, A100 PCIe 40GB, until you name one."
    )
    assert ambiguity_message(" H200 ", resolved("H200")) == (
        "`H200` could be 2 GPUs: H200 NVL (139.72 GiB), H200 SXM (139.72 GiB); planning for the"
        " slowest, H200 NVL, until you name one."
    )
    assert ambiguity_message("A100", resolved("A100", 79.2)) == (
        "`A100` could be 2 GPUs: A100 PCIe 80GB (79.14 GiB), A100 SXM 80GB (79.26 GiB); planning"
        " for `hardware.vram_gb`'s 79.20 GiB and the slowest, A100 PCIe 80GB, until you name one."
    )


def test_vram_gb_overrides_the_catalog_memory() -> None:
    gpu = resolved("H100 SXM", 70.0)
    assert (gpu.name, gpu.memory_gib, gpu.source) == ("H100 SXM", 70.0, "override")
    assert gpu.spec is not None and gpu.compute_capability == (9, 0)


def test_an_unknown_name_with_vram_gb_is_planned_without_a_catalog_entry() -> None:
    gpu = resolved(" Acme X1 ", 40.0)
    assert (gpu.name, gpu.memory_gib, gpu.source, gpu.spec) == ("Acme X1", 40.0, "override", None)
    assert gpu.compute_capability is None and not gpu.is_amd


def test_an_unknown_name_suggests_close_ones() -> None:
    assert resolve_gpu("H10", None) == GpuUnresolved(
        "unknown-gpu",
        "Unknown GPU `H10`. Did you mean `H100 PCIe`, `H100 SXM` or `H100 NVL`? Set"
        " `hardware.vram_gb` to plan for a GPU the catalog does not list.",
        ("H100 PCIe", "H100 SXM", "H100 NVL"),
    )
    assert resolve_gpu("Acme X1", None) == GpuUnresolved(
        "unknown-gpu",
        "Unknown GPU `Acme X1`. Set `hardware.vram_gb` to plan for a GPU the catalog does not"
        " list.",
    )


def test_amd_gpus_are_marked() -> None:
    gpu = resolved("MI300X")
    assert gpu.is_amd and gpu.compute_capability is None and gpu.memory_gib == 191.984


# ----------------------------------------------------------------------------- auto


def test_auto_without_a_detector_finds_no_gpu() -> None:
    result = resolve_gpu("auto", None)
    assert result == GpuUnresolved(
        "undetected",
        "`gpu_name: auto` found no NVIDIA GPU. Set `hardware.gpu_name` to the GPU you will serve"
        ' on (e.g. "H100 SXM").',
    )
    assert resolve_gpu(" AUTO ", None) == result


def test_auto_when_detection_fails_passes_its_reason_on() -> None:
    calls: list[int] = []

    def detect() -> Detection:
        calls.append(1)
        return detection(error="NVML is not available: the driver is not loaded.")

    result = resolve_gpu("auto", None, detect)
    assert result == GpuUnresolved(
        "undetected",
        "`gpu_name: auto` could not detect a GPU. NVML is not available: the driver is not loaded.",
    )
    assert calls == [1]
    # a named GPU never runs the detector
    resolve_gpu("H100 SXM", None, detect)
    assert calls == [1]


def test_auto_with_no_gpu_and_vram_gb_is_an_override() -> None:
    gpu = resolve_gpu("auto", 24.0, lambda: detection(error="no driver"))
    assert gpu == ResolvedGpu(name="unknown GPU", spec=None, memory_gib=24.0, source="override")


def test_auto_with_a_catalog_board() -> None:
    board = h100_detected()
    gpu = resolve_gpu("auto", None, lambda: detection(board, board))
    assert isinstance(gpu, ResolvedGpu)
    # CUDA's 79.18 GiB from the catalog, not NVML's 81,559 MiB (79.65 GiB)
    assert (gpu.name, gpu.memory_gib, gpu.source) == ("H100 SXM", 79.18, "nvml")
    assert gpu.detected == board and gpu.detected_count == 2
    assert gpu.compute_capability == (9, 0)


def test_auto_with_an_uncatalogued_board() -> None:
    board = DetectedGpu(
        index=0,
        name="NVIDIA Future GPU",
        uuid=None,
        memory_total_bytes=100 * GIB,
        memory_free_bytes=99 * GIB,
        compute_capability=(11, 0),
        nvlink_active_links=None,
        catalog=None,
    )
    gpu = resolve_gpu("auto", None, lambda: detection(board))
    assert isinstance(gpu, ResolvedGpu)
    # NVML's total less 2 %: 98 GiB
    assert (gpu.name, gpu.memory_gib, gpu.source) == ("NVIDIA Future GPU", 98.0, "nvml")
    assert gpu.spec is None
    assert gpu.compute_capability == (11, 0)


def test_auto_with_vram_gb_keeps_the_detected_board() -> None:
    board = h100_detected()
    gpu = resolve_gpu("auto", 60.0, lambda: detection(board))
    assert isinstance(gpu, ResolvedGpu)
    assert (gpu.name, gpu.memory_gib, gpu.source, gpu.detected) == (
        "H100 SXM",
        60.0,
        "override",
        board,
    )


def test_the_detected_compute_capability_wins_over_the_catalog() -> None:
    gpu = resolve_gpu("auto", None, lambda: detection(h100_detected(cc=(9, 1))))
    assert isinstance(gpu, ResolvedGpu) and gpu.compute_capability == (9, 1)
    unknown = resolve_gpu("auto", None, lambda: detection(h100_detected(cc=None)))
    assert isinstance(unknown, ResolvedGpu) and unknown.compute_capability == (9, 0)


# ----------------------------------------------------------------------------- vram_gb


def test_the_marketing_figure_is_a_warning() -> None:
    spec = resolved("H100 SXM").spec
    assert marketing_vram_warning(80, spec) == (
        "`hardware.vram_gb: 80` looks like the H100 SXM's marketing figure; CUDA reports 79.18"
        " GiB, which is what vLLM budgets from. Use 79.18 (or leave vram_gb out)."
    )
    # within 1 % of 80 but not CUDA's figure
    assert marketing_vram_warning(79.5, spec) is not None
    # CUDA's own figure (to 0.05 GiB) is right
    assert marketing_vram_warning(79.18, spec) is None
    assert marketing_vram_warning(79.2, spec) is None
    # a deliberately smaller budget is not a mistake
    assert marketing_vram_warning(70, spec) is None
    assert marketing_vram_warning(80, None) is None
    rtx = resolved("RTX 4090").spec
    assert (
        marketing_vram_warning(24, rtx) is not None and marketing_vram_warning(23.64, rtx) is None
    )
