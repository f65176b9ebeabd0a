"""`vllm-wizard detect [--json]`: the local GPUs as vLLM will see them (DESIGN §7).

Exit 0 with at least one GPU; 1 when NVML is unusable or lists none (the reason goes to stderr;
under ``--json`` stdout still holds a valid list, ``[]``).
"""

from __future__ import annotations

import argparse
import json
import sys

from vllm_wizard.hardware.nvml import DetectedGpu, Detection, detect_gpus

EXIT_OK = 0
EXIT_NO_GPU = 1


def _cc(gpu: DetectedGpu) -> str | None:
    cc = gpu.compute_capability
    return None if cc is None else f"{cc[0]}.{cc[1]}"


def gpu_json(gpu: DetectedGpu, detection: Detection) -> dict[str, object]:
    """One entry of the ``--json`` list; GiB to 3 decimals, the driver repeated per GPU."""
    return {
        "index": gpu.index,
        "name": gpu.name,
        "uuid": gpu.uuid,
        "memory_total_gib": round(gpu.memory_total_gib, 3),
        "memory_gib": round(gpu.memory_gib, 3),
        "memory_free_gib": round(gpu.memory_free_gib, 3),
        "compute_capability": _cc(gpu),
        "nvlink_active_links": gpu.nvlink_active_links,
        "catalog_name": None if gpu.catalog is None else gpu.catalog.name,
        "driver_version": detection.driver_version,
        "cuda_version": detection.cuda_version,
    }


def format_gpu(gpu: DetectedGpu) -> str:
    """One text line: CUDA's total first (what vLLM budgets against), NVML's in parentheses."""
    links = gpu.nvlink_active_links
    nvlink = (
        "NVLink not supported"
        if links is None
        else f"NVLink {links} active link{'' if links == 1 else 's'}"
    )
    cc = _cc(gpu)
    catalog = (
        "not in the catalog (NVML's total less 2 %: CUDA reports less)"
        if gpu.catalog is None
        else f"catalog: {gpu.catalog.name}"
    )
    return (
        f"GPU {gpu.index}: {gpu.name}, {gpu.memory_gib:.2f} GiB"
        f" (NVML: {gpu.memory_total_gib:.2f} GiB), {gpu.memory_free_gib:.2f} GiB free,"
        f" compute capability {cc or 'unknown'}, {nvlink}, {catalog}"
    )


def run(args: argparse.Namespace) -> int:
    detection = detect_gpus()
    for warning in detection.warnings:
        sys.stderr.write(f"vllm-wizard detect: warning: {warning}\n")
    if args.json:
        entries = [gpu_json(gpu, detection) for gpu in detection.gpus]
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    else:
        for gpu in detection.gpus:
            sys.stdout.write(format_gpu(gpu) + "\n")
        if detection.gpus:
            sys.stdout.write(
                f"Driver {detection.driver_version or 'unknown'},"
                f" CUDA {detection.cuda_version or 'unknown'}\n"
            )
    if detection.gpus:
        return EXIT_OK
    reason = detection.error or "No NVIDIA GPU was detected."
    sys.stderr.write(f"vllm-wizard detect: {reason}\n")
    return EXIT_NO_GPU
