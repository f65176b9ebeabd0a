"""`search`, the one entry point: repair what vLLM would refuse, search the profile's GPU
for the cheapest few setups that start (or fit), and fall back to other GPUs; also the
longest max_model_len that starts, which the finding, the quick fix and the hover show.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from vllm_wizard.planning.memory import MemoryResult, compute_memory
from vllm_wizard.planning.search.boards import _other_gpu, _refused_on_every_board
from vllm_wizard.planning.search.edits import edited_profile
from vllm_wizard.planning.search.finalists import _extras, _pick
from vllm_wizard.planning.search.gpu_search import _GpuSearch
from vllm_wizard.planning.search.knobs import longest_max_model_len
from vllm_wizard.planning.search.options import PlanOptions, Replan
from vllm_wizard.planning.search.repairs import repaired_model, repairs
from vllm_wizard.planning.search.results import Found, SearchResult

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore

FEW = 3
"""How many setups that start (or fit) the planner offers."""


def search(core: PlanCore, options: PlanOptions, replan: Replan) -> SearchResult:
    """The cheapest few setups that start (when `core` does not) and that fit (when it does
    not fit); when none starts on this GPU, the smallest catalog GPU on which one does."""
    fixed = repairs(core, options.unquantized) if not core.starts else ()
    model = repaired_model(core, options, fixed)
    refused = any(f.is_error for f in core.findings)  # before vLLM sizes memory
    longest = 0  # no length starts while vLLM refuses the profile for another reason
    if core.memory.refusal is not None and not core.memory.starts and not refused:
        longest = longest_max_model_len(core.memory, lambda n: _rerun_length(core, n))
    if core.fits:
        return SearchResult(longest_max_model_len=longest)
    base = core
    if fixed:
        base = replan(edited_profile(core.profile, fixed), model, core.gpu)
    gpu_search = _GpuSearch(base, replan, options.max_gpus_per_node, fixed)
    starting: list[Found] = []
    fitting: list[Found] = []
    if not core.starts:
        hits = gpu_search.hits(options, "start", FEW)
        starting = _pick(gpu_search, hits, "start", FEW)
        starting += _extras(gpu_search, hits, "start", starting, longest)
        if starting and not starting[0].core.fits:
            fitting = _pick(gpu_search, gpu_search.hits(options, "fit", 1), "fit", 1)
        if not starting and not _refused_on_every_board(base, options, replan, fixed):
            starting = _other_gpu(base, options, replan, fixed)
    else:
        hits = gpu_search.hits(options, "fit", FEW)
        fitting = _pick(gpu_search, hits, "fit", FEW)
        fitting += _extras(gpu_search, hits, "fit", fitting)
    return SearchResult(tuple(starting), tuple(fitting), longest)


def _rerun_length(core: PlanCore, length: int) -> MemoryResult:
    from vllm_wizard.planning.plan import batch_for

    seqs, tokens, _ = batch_for(core.profile, core.context.gpu, core.rules, core.args, length)
    setup = replace(
        core.setup, max_model_len=length, max_num_seqs=seqs, max_num_batched_tokens=tokens
    )
    context = core.context
    return compute_memory(context.model, context.gpu, setup, context.workload, core.rules)
