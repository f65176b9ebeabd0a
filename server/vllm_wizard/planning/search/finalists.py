"""The finalists: each hit re-planned from its edited profile (`replan`, i.e. `plan_core`)
and kept only if it still reaches its goal there, so a setup that does not start on
re-planning is never offered; a costlier setup only when it buys more.
"""

from __future__ import annotations

from vllm_wizard.planning.memory import GIB
from vllm_wizard.planning.search.edits import Edits, edited_profile
from vllm_wizard.planning.search.gpu_search import _GpuSearch, _Hit
from vllm_wizard.planning.search.knobs import reaches
from vllm_wizard.planning.search.results import Found
from vllm_wizard.planning.semantic import LEN_FIELD, TP_FIELD


def _verify(search: _GpuSearch, hit: _Hit, goal: str, gpu_edits: Edits = ()) -> Found | None:
    """Re-plan the edited profile; keep the setup only if it reaches `goal` there too.

    Where the profile leaves tp to the planner and the re-plan picks the hit's tp anyway,
    the fix does not pin it.
    """
    edits = (*gpu_edits, *search.edits_for(hit))
    base = search.base_for(hit.knobs)
    assert base is not None
    attempts = [edits]
    if search.core.tp_chosen and any(path == TP_FIELD for path, _ in edits):
        attempts.insert(0, tuple((p, v) for p, v in edits if p != TP_FIELD))
    for attempt in attempts:
        profile = edited_profile(search.core.profile, attempt)
        core = search.replan(profile, base.model, search.core.gpu)
        layout = (core.setup.tp, core.setup.pp) == (hit.layout.tp, hit.layout.pp)
        if attempt is not edits and not layout:
            continue
        if core.starts and reaches(core.memory, goal, search.need):
            return Found(goal, attempt, core, search.reasons_for(hit, attempt))
    return None


def _pick(
    search: _GpuSearch, hits: list[_Hit], goal: str, want: int, gpu_edits: Edits = ()
) -> list[Found]:
    """The first `want` hits that hold up on re-planning, skipping any that costs more than
    one already picked and buys no more (fewer or as many KV tokens, no better verdict)."""
    picked: list[Found] = []
    for hit in hits:
        if len(picked) >= want:
            break
        found = _verify(search, hit, goal, gpu_edits)
        if found is None or any(_dominates(other, found) for other in picked):
            continue
        picked.append(found)
    return picked


def _dominates(first: Found, second: Found) -> bool:
    """A costlier setup must buy more: more KV tokens, or fit where the cheaper one only
    starts. (At equal cost the setups are different trade-offs and all stay.)"""
    a, b = first.core, second.core
    return (
        first.cost < second.cost
        and a.memory.kv_tokens >= b.memory.kv_tokens
        and (a.fits or not b.fits)
    )


def _extras(
    search: _GpuSearch, hits: list[_Hit], goal: str, picked: list[Found], longest: int = 0
) -> list[Found]:
    """Beyond the cheapest few: the cheapest layout alone (more GPUs and nothing else), and
    the longest max_model_len that starts on the profile's own GPUs (the change the finding
    and vLLM's refusal name), each when it reaches `goal`, buys more than anything cheaper
    and is not offered already."""
    extras: list[Found] = []
    candidates: list[Found | None] = []
    alone = next((h for h in hits if h.knobs == ()), None)
    if alone is not None:
        candidates.append(_verify(search, alone, goal))
    if longest >= search.need and not search.repaired:
        edits: Edits = ((LEN_FIELD, longest),)
        core = search.replan(
            edited_profile(search.core.profile, edits), search.core.model, search.core.gpu
        )
        if core.starts and reaches(core.memory, goal, search.need):
            kv = core.memory.stage.kv_cache / GIB
            reason = f"the longest request that fits in {kv:,.2f} GiB of KV cache"
            candidates.append(Found(goal, edits, core, (reason,)))
    for found in candidates:
        others = (*picked, *extras)
        if found is None or any(found.edits == o.edits or _dominates(o, found) for o in others):
            continue
        extras.append(found)
    return extras
