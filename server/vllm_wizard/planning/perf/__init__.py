"""The performance model (DESIGN §4): throughput, TPOT and TTFT against concurrency.

`estimate_performance(PerfInputs)` gives ranges with a point estimate inside each, a curve over
concurrency and the `workload.slo` check; held to real vLLM benchmarks by tests/perf/.
Modules: calibration (the constants and where they come from), inputs, step (one engine step),
load (one concurrency), estimate (the plan's Performance section), slo (its finding).
"""

from vllm_wizard.planning.perf.estimate import estimate_performance, unknown_performance
from vllm_wizard.planning.perf.inputs import PerfInputs

__all__ = ["PerfInputs", "estimate_performance", "unknown_performance"]
