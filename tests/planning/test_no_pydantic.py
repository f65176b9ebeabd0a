"""Planning imports no pydantic for its results (planning/result.py is plain dataclasses).

Importing pydantic costs ~85 ms of the language server's time to first diagnostics; only the
edges that write plan.json or a schema import it, lazily. Each check runs in a fresh process,
where no other test has imported pydantic yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

TESTS = Path(__file__).resolve().parent.parent


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", dedent(code)], capture_output=True, text=True, timeout=120, cwd=TESTS
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_results_and_performance_import_and_build_without_pydantic() -> None:
    # these modules do not go through profile/schema.py (a pydantic model until it is replaced)
    _run(
        """
        import sys
        from dataclasses import replace

        import vllm_wizard.planning.explain
        import vllm_wizard.render.performance
        from vllm_wizard.planning.perf import unknown_performance
        from vllm_wizard.planning.perf.estimate import estimate_performance
        from vllm_wizard.planning.result import LoadPoint, PlanDocument, Span

        performance = unknown_performance("no GPU figures")
        performance = replace(performance, ttft_ms=Span(low=1.0, high=2.0, point=1.5))
        assert performance.ttft_ms is not None and performance.ttft_ms.point == 1.5
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
        assert not loaded, loaded[:5]
        """
    )


def test_planning_imports_pydantic_only_through_the_profile_modules() -> None:
    """Planning a profile, recommendations and report included: the only modules of ours that
    import pydantic are the profile's validation (profile/schema.py and profile/validate.py,
    until they stop). A hook on `__import__` sees which module runs each `import pydantic…`."""
    out = _run(
        """
        import builtins, json, sys

        original = builtins.__import__
        importers = set()

        def spy(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and name.split(".")[0] in ("pydantic", "pydantic_core"):
                importers.add(sys._getframe(1).f_globals.get("__name__", ""))
            return original(name, globals, locals, fromlist, level)

        builtins.__import__ = spy
        from planner_testing import make_plan
        from vllm_wizard.render.report import render_report

        plans = [
            make_plan(),
            make_plan(gpu_name="L4"),  # does not start: recommendations, a for_setup estimate
            make_plan("deepseek-ai/DeepSeek-V3", "H100 SXM", hardware={"gpus": 8}),
        ]
        assert plans[1].recommendations and plans[1].performance.for_setup
        for plan in plans:
            render_report(plan)
        print(json.dumps(sorted(m for m in importers if m.startswith("vllm_wizard"))))
        """
    )
    ours = set(json.loads(out))
    assert ours <= {"vllm_wizard.profile.schema", "vllm_wizard.profile.validate"}, ours
