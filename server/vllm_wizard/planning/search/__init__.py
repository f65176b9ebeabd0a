"""The recommendation search (DESIGN §4): the cheapest setups that start, and that fit.

A setup is a layout (GPUs per node, nodes, tp and pp with tp × pp = the GPUs used) and at
most two other knobs: an fp8 KV cache, smaller weights (a quantized checkpoint of the same
model, or fp8 quantized by vLLM at load time), the longest max_model_len that starts,
fewer scheduled sequences, more of each GPU. For each knob set the memory model finds the
cheapest layout by bisecting the layouts in order of cost (more GPUs never leave less memory
per GPU); a combination is kept only when it is cheaper than each of its parts. The
finalists are re-planned from the edited profile (`replan`, i.e. `plan_core`), so the
figures a quick fix states are the ones the fixed profile gets, and a setup that does not
start on re-planning is never offered.

Layouts follow vLLM's rules: tp must divide the attention heads and split the KV heads
evenly (`valid_tp`); tp × pp is the world size and must fit the GPUs; pp ≤ layers. tp stays
within a node and pipeline stages span nodes (pp across nodes uses Ray, which the serve
config turns on for `nodes > 1`); beyond one node, nodes are full (the form factor's GPU
count). Cost: the GPUs used (tp × pp), then nodes, then the KV tokens (more first).

Pure: the quantized checkpoints and catalog GPUs to try arrive in `PlanOptions`.

One module per concern, along the old file's sections: `options` (what the caller hands
in), `results` (what it gets back), `edits` (the profile edits and the edited profile),
`knobs` (the changes besides the layout), `repairs` (what vLLM would refuse before sizing
memory), `layouts`, `gpu_search` (the search on one GPU), `finalists` (re-planned and
kept), `boards` (other GPUs) and `entry` (`search`). This package only re-exports the
names other modules import.
"""

from __future__ import annotations

from vllm_wizard.planning.search.edits import UTIL_FIELD, VRAM_FIELD, Edits, edited_profile
from vllm_wizard.planning.search.entry import search
from vllm_wizard.planning.search.knobs import fitting_utilization, longest_max_model_len, same_model
from vllm_wizard.planning.search.options import (
    DEFAULT_GPUS_PER_NODE,
    GpuOption,
    PlanOptions,
    Replan,
)
from vllm_wizard.planning.search.repairs import repairs
from vllm_wizard.planning.search.results import Found, SearchResult

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
