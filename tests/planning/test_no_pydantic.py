"""The way to diagnostics imports no pydantic: the profile (profile/check.py validates it)
and planning's results (planning/result.py) are plain dataclasses.

Importing pydantic costs ~85 ms of the language server's time to first diagnostics; only the
edges that write plan.json or a schema import it, lazily. Each check runs in a fresh process,
where no other test has imported pydantic yet.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

TESTS = Path(__file__).resolve().parent.parent


def _run(code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", dedent(code)], capture_output=True, text=True, timeout=120, cwd=TESTS
    )
    assert done.returncode == 0, done.stderr


def test_results_and_performance_import_and_build_without_pydantic() -> None:
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


def test_planning_a_profile_imports_no_pydantic() -> None:
    """Planning, recommendations (a search) and the report included: pydantic is for the
    edges (plan.json, the schemas), not for the diagnostics' path."""
    _run(
        """
        import sys

        import vllm_wizard.planning.recommend
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
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
        assert not loaded, loaded[:5]
        """
    )


def test_the_language_server_s_first_analysis_imports_no_pydantic() -> None:
    """What the server does for its first diagnostics: parse, validate, resolve, plan."""
    _run(
        """
        import sys
        from pathlib import Path

        from vllm_wizard.lsp.documents import Analyzer
        from vllm_wizard.lsp.server import warm_pipeline

        warm_pipeline()
        analyzer = Analyzer(schedule_lookup=lambda *a, **k: None, on_lookup_done=lambda *a: None)
        for path in sorted(Path("../examples/profiles").glob("*.yaml")):
            analysis = analyzer.analysis(path.resolve().as_uri(), path.read_text(), 1)
            assert analysis is not None and analysis.plan is not None, path
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
        assert not loaded, loaded[:5]
        """
    )
