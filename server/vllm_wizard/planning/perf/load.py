"""What `concurrency` requests at a time see: TTFT (mean and p90), TPOT and output throughput.

The running batch is capped by max_num_seqs and by the whole requests the KV cache holds; users
beyond it queue. Of the running batch, the N prompts that arrive together are prefilled together
(first come first served, in max_num_batched_tokens chunks), so the i-th waits for the prefill
of the i − 1 before it; decode steps run between and after those chunks. Work is conserved: a
round of N requests costs the prefill of N prompts plus gen_tokens decode steps of the batch,
which gives the throughput, and what a request does not spend waiting for its first token it
spends on its other tokens, which gives the TPOT (time per output token after the first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vllm_wizard.planning.perf.calibration import Calibration
from vllm_wizard.planning.perf.inputs import PerfInputs
from vllm_wizard.planning.perf.step import LinkCost, decode_step_s, prefill_s


@dataclass(frozen=True, slots=True)
class Load:
    """One concurrency's figures (seconds and tokens/s)."""

    concurrency: int
    running: int
    step_s: float
    """One decode step of the running batch: the inter-token latency between prefills."""
    prefill_one_s: float
    """Prefill of one prompt alone."""
    tpot_s: float
    ttft_s: float
    ttft_p90_s: float
    output_tokens_per_s: float

    @property
    def queued(self) -> bool:
        return self.concurrency > self.running


def load_at(
    inputs: PerfInputs,
    cal: Calibration,
    cost: LinkCost,
    concurrency: int,
    prefill_one: float | None = None,
) -> Load:
    """The figures for `concurrency` users under one calibration (`prefill_one`, one prompt's
    prefill under it, when the caller already has it)."""
    users = max(1, concurrency)
    running = min(users, inputs.capacity)
    step = decode_step_s(inputs, cal, cost, running)
    kv = inputs.kv_requests
    if kv is not None and users > kv and kv < inputs.max_num_seqs:
        step *= cal.kv_full_slowdown
    if prefill_one is None:
        prefill_one = prefill_s(inputs, cal, cost, 1)
    prefill_all = prefill_s(inputs, cal, cost, running) if running > 1 else prefill_one
    sync = 1.0 if inputs.arrival == "burst" else cal.sync
    behind = prefill_all - prefill_one
    mean_share = (running + 1) / (2 * running)
    p90_share = math.ceil(0.9 * running) / running
    wait = prefill_one + behind * mean_share * sync
    wait_p90 = prefill_one + behind * p90_share * sync
    gen = max(1, inputs.gen_tokens)
    round_s = prefill_all + gen * step
    tpot = (round_s - wait) / (gen - 1) if gen > 1 else step
    cycle = round_s + cal.api_s
    rounds_queued = users / running - 1.0
    if inputs.arrival == "burst":
        queue, queue_p90 = rounds_queued / 2 * cycle, rounds_queued * 0.9 * cycle
    else:
        queue = queue_p90 = rounds_queued * cycle
    return Load(
        concurrency=users,
        running=running,
        step_s=step,
        prefill_one_s=prefill_one,
        tpot_s=tpot,
        ttft_s=cal.api_s + wait + queue,
        ttft_p90_s=cal.api_s + wait_p90 + queue_p90,
        output_tokens_per_s=running * gen / cycle,
    )
