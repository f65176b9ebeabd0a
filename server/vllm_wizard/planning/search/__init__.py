"""The recommendation search (DESIGN §4): the cheapest setups that start, and that fit (see
gpu_search)."""

from __future__ import annotations

from vllm_wizard.planning.search.gpu_search import (
    DEFAULT_GPUS_PER_NODE,
    UTIL_FIELD,
    VRAM_FIELD,
    Edits,
    Found,
    GpuOption,
    PlanOptions,
    Replan,
    SearchResult,
    edited_profile,
    fitting_utilization,
    longest_max_model_len,
    repairs,
    same_model,
    search,
)

__all__ = [
    "DEFAULT_GPUS_PER_NODE",
    "UTIL_FIELD",
    "VRAM_FIELD",
    "Edits",
    "Found",
    "GpuOption",
    "PlanOptions",
    "Replan",
    "SearchResult",
    "edited_profile",
    "fitting_utilization",
    "longest_max_model_len",
    "repairs",
    "same_model",
    "search",
]
