"""The code lens at the top of a profile: the verdict line, which opens the plan when clicked."""

from __future__ import annotations

from vllm_wizard.lsp.model import SHOW_PLAN_COMMAND, CommandRef, LensResult
from vllm_wizard.pipeline import Analysis
from vllm_wizard.profile.positions import Range


def verdict(analysis: Analysis) -> tuple[bool, bool, str] | None:
    """(starts, fits, summary) for the lens and the `vllmWizard/verdict` notification.

    None while there is nothing to say (no profile yet). Without a plan the summary says
    what stands in the way, in the words of the first blocking diagnostic.
    """
    if analysis.profile is None:
        blocking = next((d for d in analysis.diagnostics if d.is_error), None)
        if blocking is None:
            return None
        return False, False, f"✘ {blocking.code.value} · line {blocking.range.start.line + 1}"
    if analysis.plan is not None:
        from vllm_wizard.render.report import verdict_line

        plan = analysis.plan
        return plan.starts, plan.fits, verdict_line(plan)
    if analysis.pending:
        return False, False, "… looking up the model on the Hugging Face Hub"
    reason = next(
        (d for d in analysis.diagnostics if d.code.value in ("model-unresolved", "model-config",
         "gpu-unknown", "gpu-undetected")),
        None,
    )  # fmt: skip
    if reason is not None:
        return False, False, f"? no plan · {reason.code.value}"
    return None


def code_lenses(analysis: Analysis, uri: str) -> list[LensResult]:
    found = verdict(analysis)
    if found is None:
        return []
    _, _, summary = found
    command = CommandRef(summary, SHOW_PLAN_COMMAND, (uri,))
    return [LensResult(Range.at(0, 0), command)]
