"""Code actions: each quick fix applied to the text gives the exact text expected, and the
finding it fixes is gone when the result is analysed again."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

import pytest

from vllm_wizard.lsp.actions import code_actions
from vllm_wizard.lsp.model import (
    GENERATE_COMMAND,
    SHOW_PLAN_COMMAND,
    ActionResult,
    CommandRef,
    TextEdit,
)
from vllm_wizard.models.resolve import resolve_model_locally
from vllm_wizard.pipeline import Analysis, EngineContext, analyze
from vllm_wizard.profile.diagnostics import Code, Diagnostic
from vllm_wizard.profile.positions import Position, Range
from vllm_wizard.profile.text_stages import analyze_text
from wizard_testing import EXAMPLES

URI = "file:///work/profile.yaml"
CONTEXT = EngineContext(
    resolve_model=lambda i, r, b, p: resolve_model_locally(i, r, base_dir=b, params_b=p)
)
EVERYWHERE = Range(Position(0, 0), Position(10_000, 0))
DOES_NOT_START = (EXAMPLES / "qwen3-32b-one-h100.profile.yaml").read_text()

DOES_NOT_FIT = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
hardware:
  gpu_name: H100 SXM  # rented
workload:
  prompt_tokens: 8192
  gen_tokens: 1024
  concurrency: 64
"""


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply LSP-style edits (code points) bottom-up; fail on overlapping edits."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(position: Position) -> int:
        line_start = starts[position.line]
        line_end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
        assert position.character <= len(text[line_start:line_end].rstrip("\r\n"))
        return line_start + position.character

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True
    )
    for (start, _, _), (_, earlier_end, _) in itertools.pairwise(spans):
        assert earlier_end <= start, f"overlapping edits: {edits}"
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def planned(text: str) -> Analysis:
    return analyze(text, CONTEXT)


def the(diagnostics: Sequence[Diagnostic], code: Code) -> Diagnostic:
    [found] = [d for d in diagnostics if d.code is code]
    return found


def fixes(analysis: Analysis, diagnostic: Diagnostic) -> list[ActionResult]:
    """What a client asking about this diagnostic (and sending it back) is offered."""
    return code_actions(analysis, URI, diagnostic.range, [diagnostic], ["quickfix"])


def titled(actions: Sequence[ActionResult], title: str) -> ActionResult:
    [found] = [a for a in actions if a.title == title]
    return found


def codes(analysis: Analysis) -> list[Code]:
    return [d.code for d in analysis.diagnostics]


# ----------------------------------------------------------------------------- planner fixes


def test_does_not_start_offers_the_planners_fixes_with_their_figures() -> None:
    analysis = planned(DOES_NOT_START)
    diagnostic = the(analysis.diagnostics, Code.DOES_NOT_START)
    actions = fixes(analysis, diagnostic)
    assert diagnostic.data is not None
    assert [a.title for a in actions] == [f["title"] for f in diagnostic.data["fixes"]]
    # cheapest first: on the one GPU, fp8 weights hold the most KV tokens
    assert (
        actions[0].title == "Set quantization: fp8_per_tensor (fits: 34.7 GiB KV, 142,192 tokens)"
    )
    assert actions[0].preferred and not any(a.preferred for a in actions[1:])
    assert all(a.kind == "quickfix" and a.diagnostics == (diagnostic,) for a in actions)


def test_the_gpus_fix_sets_gpus_and_the_plan_starts() -> None:
    analysis = planned(DOES_NOT_START)
    diagnostic = the(analysis.diagnostics, Code.DOES_NOT_START)
    action = titled(
        fixes(analysis, diagnostic), "Use 2 GPUs, tp 2 (fits: 34.6 GiB KV, 283,600 tokens)"
    )
    fixed = apply_edits(DOES_NOT_START, action.edits)
    # tp is left to the planner, which picks 2 of the 2 GPUs: the fix does not pin it
    assert fixed == DOES_NOT_START.replace("  gpus: 1\n", "  gpus: 2\n")
    after = planned(fixed)
    assert after.plan is not None and after.plan.starts and after.plan.fits
    assert Code.DOES_NOT_START not in codes(after)
    assert after.plan.setup.tp == 2
    # What the title promised is what the plan of the fixed profile says.
    memory = after.plan.memory
    assert f"{memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens" in action.title


def test_the_max_model_len_fix_makes_it_start() -> None:
    analysis = planned(DOES_NOT_START)
    diagnostic = the(analysis.diagnostics, Code.DOES_NOT_START)
    assert "The longest max_model_len that starts is 23,136." in diagnostic.message
    action = titled(
        fixes(analysis, diagnostic),
        "Set max_model_len: 23,136 (starts: 5.7 GiB KV, 23,152 tokens)",
    )
    fixed = apply_edits(DOES_NOT_START, action.edits)
    assert fixed == DOES_NOT_START.replace("max_model_len: 32768", "max_model_len: 23136")
    assert action.edits == (TextEdit(diagnostic.range, "23136"),)
    after = planned(fixed)
    assert after.plan is not None and after.plan.starts
    assert Code.DOES_NOT_START not in codes(after)


SLO_MISSED = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
hardware:
  gpu_name: H100 SXM
workload:
  prompt_tokens: 1024
  concurrency: 64  # peak users
  slo:
    ttft_ms: 500
"""


def test_the_slo_fix_sets_the_largest_concurrency_that_meets_it() -> None:
    analysis = planned(SLO_MISSED)
    diagnostic = the(analysis.diagnostics, Code.SLO_MISSED)
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (8, 13)  # 500
    assert analysis.plan is not None and analysis.plan.performance.slo is not None
    best = analysis.plan.performance.slo.max_concurrency
    assert best is not None and best < 64
    [action] = fixes(analysis, diagnostic)
    assert action.title == f"Set concurrency: {best} (meets the latency targets)"
    fixed = apply_edits(SLO_MISSED, action.edits)
    assert fixed == SLO_MISSED.replace("concurrency: 64", f"concurrency: {best}")
    after = planned(fixed)
    assert Code.SLO_MISSED not in codes(after)
    assert after.plan is not None and after.plan.performance.slo is not None
    assert after.plan.performance.slo.met


def test_the_fp8_kv_fix_says_and_does_double_the_kv_tokens() -> None:
    analysis = planned(DOES_NOT_FIT)
    diagnostic = the(analysis.diagnostics, Code.DOES_NOT_FIT)
    action = titled(
        fixes(analysis, diagnostic),
        "Set kv_cache_dtype: fp8 (2.0× KV tokens; fits: 53.0 GiB KV, 868,144 tokens)",
    )
    fixed = apply_edits(DOES_NOT_FIT, action.edits)
    assert fixed == DOES_NOT_FIT.replace(
        "Llama-3.1-8B-Instruct\n", "Llama-3.1-8B-Instruct\n  kv_cache_dtype: fp8\n"
    )
    after = planned(fixed)
    assert analysis.plan is not None and after.plan is not None
    assert round(after.plan.memory.kv_tokens / analysis.plan.memory.kv_tokens, 1) == 2.0
    assert after.plan.fits
    assert Code.DOES_NOT_FIT not in codes(after)


def test_a_fix_in_a_missing_section_creates_it() -> None:
    analysis = planned(DOES_NOT_START)
    diagnostic = the(analysis.diagnostics, Code.DOES_NOT_START)
    [action] = [
        a for a in fixes(analysis, diagnostic) if a.title.startswith("Set gpu_memory_utilization")
    ]
    assert apply_edits(DOES_NOT_START, action.edits) == (
        DOES_NOT_START + "policy:\n  gpu_memory_utilization: 0.95\n"
    )


NOT_STARTING_TEXTS = {
    "qwen3-32b-one-h100": DOES_NOT_START,
    "70B on an RTX 4090": "model:\n  id: meta-llama/Llama-3.1-70B-Instruct\n"
    "hardware:\n  gpu_name: RTX 4090  # the one we have\n",
    "405B on 8 RTX 4090s": "model:\n  id: meta-llama/Llama-3.1-405B\n"
    "hardware:\n  gpu_name: RTX 4090\n  gpus: 8\n",
    "DeepSeek-V3 on 8 H100s": "model:\n  id: deepseek-ai/DeepSeek-V3\n"
    "hardware:\n  gpu_name: H100 SXM\n  gpus: 8\n  tp_size: 8\n",
    "Llama-3 70B on one H100": "model:\n  id: meta-llama/Meta-Llama-3-70B-Instruct\n"
    "hardware:\n  gpu_name: H100 SXM\n",
}


@pytest.mark.parametrize("text", NOT_STARTING_TEXTS.values(), ids=NOT_STARTING_TEXTS.keys())
def test_each_planner_fix_applied_to_the_text_gives_the_setup_it_names(text: str) -> None:
    # the quick fix the editor applies (a WorkspaceEdit on the YAML, comments kept) gives a
    # profile whose plan starts, or fits, with exactly the figures of the fix's title
    analysis = planned(text)
    assert analysis.plan is not None and not analysis.plan.starts
    [diagnostic] = [
        d for d in analysis.diagnostics if d.code in (Code.DOES_NOT_START, Code.NO_KV_MEMORY)
    ]
    actions = fixes(analysis, diagnostic)
    assert actions
    for action in actions:
        after = planned(apply_edits(text, action.edits))
        assert after.plan is not None and after.plan.starts, action.title
        memory = after.plan.memory
        verdict = "fits" if after.plan.fits else "starts"
        assert action.title.endswith(
            f"({verdict}: {memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens)"
        ) or f"; {verdict}: {memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens)" in (
            action.title
        ), action.title
        assert "# the one we have" in after.text or "# the one we have" not in text


def test_every_offered_planner_fix_applies_and_parses() -> None:
    for text in (DOES_NOT_START, DOES_NOT_FIT):
        analysis = planned(text)
        for action in code_actions(analysis, URI, EVERYWHERE, [], ["quickfix"]):
            fixed = apply_edits(text, action.edits)
            assert fixed != text
            assert analyze_text(fixed).profile is not None, action.title


def test_preferred_comes_from_the_fix() -> None:
    text = "model:\n  id: meta-llama/Llama-3.1-8B\nhardware:\n  gpu_name: H100 SXM\n  vram_gb: 80\n"
    analysis = planned(text)
    diagnostic = the(analysis.diagnostics, Code.VRAM_MARKETING)
    [action] = fixes(analysis, diagnostic)
    assert (action.title, action.preferred) == ("Set vram_gb: 79.18", True)
    fixed = apply_edits(text, action.edits)
    assert fixed == text.replace("vram_gb: 80", "vram_gb: 79.18")
    assert Code.VRAM_MARKETING not in codes(planned(fixed))


def test_an_unknown_gpu_offers_the_catalogs_close_names() -> None:
    text = 'model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: "H100 SXXM"\n'
    analysis = planned(text)
    diagnostic = the(analysis.diagnostics, Code.GPU_UNKNOWN)
    actions = fixes(analysis, diagnostic)
    assert actions[0].title == "Set gpu_name: H100 SXM"
    fixed = apply_edits(text, actions[0].edits)
    assert fixed == text.replace('"H100 SXXM"', '"H100 SXM"')
    assert Code.GPU_UNKNOWN not in codes(planned(fixed))


# ----------------------------------------------------------------------------- schema fixes


def test_a_deprecated_alias_is_replaced_by_vllms_spelling_keeping_its_quotes() -> None:
    text = 'model:\n  id: org/m\n  dtype: "bf16"  # old habit\n'
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.DEPRECATED_ALIAS)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert (action.title, action.kind, action.preferred) == (
        "Use `bfloat16` (vLLM's spelling)",
        "quickfix",
        True,
    )
    fixed = apply_edits(text, action.edits)
    assert fixed == 'model:\n  id: org/m\n  dtype: "bfloat16"  # old habit\n'
    assert analyze_text(fixed).diagnostics == []


def test_a_mistyped_key_is_renamed() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpu_nmae: H100 SXM  # rented\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.UNKNOWN_KEY)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert (action.title, action.preferred) == ("Did you mean `gpu_name`?", True)
    assert action.edits == (TextEdit(Range.at(3, 2, 8), "gpu_name"),)
    fixed = apply_edits(text, action.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  gpu_name: H100 SXM  # rented\n"
    assert analyze_text(fixed).diagnostics == []


def test_a_mistyped_key_whose_right_spelling_is_written_is_removed() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpu_name: L4\n  gpu_nmae: H100\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.UNKNOWN_KEY)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert action.title == "Remove `gpu_nmae` (`gpu_name` is already set)"
    fixed = apply_edits(text, action.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  gpu_name: L4\n"
    assert analyze_text(fixed).diagnostics == []


def test_a_top_level_key_moves_into_its_section() -> None:
    text = "model:\n  id: org/m\ngpus: 2  # two cards\nworkload:\n  concurrency: 4\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.UNKNOWN_KEY)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert action.title == "Move `gpus: 2` under `hardware:`"
    fixed = apply_edits(text, action.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  gpus: 2\nworkload:\n  concurrency: 4\n"
    assert analyze_text(fixed).diagnostics == []


def test_an_invalid_enum_offers_the_close_choices_closest_first() -> None:
    text = "model:\n  id: org/m\n  kv_cache_dtype: fp8_e4m2\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    actions = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert [(a.title, a.preferred) for a in actions] == [
        ("Use `fp8_e4m3`", False),
        ("Use `fp8_e5m2`", False),
    ]
    fixed = apply_edits(text, actions[0].edits)
    assert fixed == "model:\n  id: org/m\n  kv_cache_dtype: fp8_e4m3\n"
    assert analyze_text(fixed).diagnostics == []


def test_one_close_choice_is_preferred() -> None:
    text = "model:\n  id: org/m\nhardware:\n  interconnect: 'nvlnk'\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert (action.title, action.preferred) == ("Use `nvlink`", True)
    fixed = apply_edits(text, action.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  interconnect: 'nvlink'\n"
    assert analyze_text(fixed).diagnostics == []


def test_with_nothing_close_a_short_enum_offers_every_choice_in_order() -> None:
    text = "model:\n  id: org/m\nworkload:\n  mode: fast\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    actions = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert [a.title for a in actions] == ["Use `throughput`", "Use `latency`", "Use `balanced`"]
    assert not any(a.preferred for a in actions)


def test_with_nothing_close_a_long_enum_offers_nothing() -> None:
    text = "model:\n  id: org/m\n  quantization: qqqqqqqqq\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    assert code_actions(analysis, URI, diagnostic.range, [diagnostic]) == []


def test_int8_quantization_offers_fp8() -> None:
    text = "model:\n  id: org/m\n  quantization: int8  # from another tool\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert action.title == "Set quantization: fp8 (8-bit weights, quantized by vLLM at load time)"
    assert action.preferred is True
    fixed = apply_edits(text, action.edits)
    assert fixed == text.replace("int8  #", "fp8  #")
    assert codes(analyze_text(fixed)) == []


def test_an_invalid_list_item_is_replaced() -> None:
    text = "model:\n  id: org/m\noutputs:\n  emit: [command, profle]\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.INVALID_VALUE)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert action.title == "Use `profile`"
    fixed = apply_edits(text, action.edits)
    assert fixed == "model:\n  id: org/m\noutputs:\n  emit: [command, profile]\n"
    assert analyze_text(fixed).diagnostics == []


def test_a_duplicate_key_is_removed_the_later_one_first() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpus: 1\n  gpus: 2  # more\n  tp_size: 1\n"
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.DUPLICATE_KEY)
    later, earlier = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    assert later.title == "Remove this `gpus: 2`"
    assert earlier.title == "Remove the first `gpus: 1` (keeps the value YAML uses)"
    fixed = apply_edits(text, later.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  gpus: 1\n  tp_size: 1\n"
    assert analyze_text(fixed).diagnostics == []
    fixed = apply_edits(text, earlier.edits)
    assert fixed == "model:\n  id: org/m\nhardware:\n  gpus: 2  # more\n  tp_size: 1\n"
    assert analyze_text(fixed).diagnostics == []


def test_crlf_and_emoji_before_the_value_in_an_action() -> None:
    text = 'model: {id: "模型🚀/m", dtype: half}\r\nhardware: {gpus: 1}\r\n'
    analysis = analyze_text(text)
    diagnostic = the(analysis.diagnostics, Code.DEPRECATED_ALIAS)
    assert diagnostic.range == Range.at(0, 28, 4)
    [action] = code_actions(analysis, URI, diagnostic.range, [diagnostic])
    fixed = apply_edits(text, action.edits)
    assert fixed == 'model: {id: "模型🚀/m", dtype: float16}\r\nhardware: {gpus: 1}\r\n'
    assert analyze_text(fixed).diagnostics == []


# ----------------------------------------------------------------------------- vllm_args


VLLM_ARGS = """\
model:
  id: meta-llama/Llama-3.1-8B-Instruct
hardware:
  gpu_name: H100 SXM
outputs:
  vllm_args:
    max_num_seq: 128  # fewer
    tensor_parallel_size: 1
"""


def test_an_unknown_vllm_arg_is_renamed_in_the_users_spelling() -> None:
    analysis = planned(VLLM_ARGS)
    diagnostic = the(analysis.diagnostics, Code.VLLM_ARG_UNKNOWN)
    [action] = fixes(analysis, diagnostic)
    assert (action.title, action.preferred) == ("Did you mean `max_num_seqs`?", True)
    fixed = apply_edits(VLLM_ARGS, action.edits)
    assert fixed == VLLM_ARGS.replace("max_num_seq:", "max_num_seqs:")
    assert Code.VLLM_ARG_UNKNOWN not in codes(planned(fixed))


def test_a_kebab_case_unknown_vllm_arg_stays_kebab_case() -> None:
    text = VLLM_ARGS.replace("max_num_seq:", "max-num-seq:")
    analysis = planned(text)
    [action] = fixes(analysis, the(analysis.diagnostics, Code.VLLM_ARG_UNKNOWN))
    assert action.title == "Did you mean `max-num-seqs`?"
    assert apply_edits(text, action.edits) == text.replace("max-num-seq:", "max-num-seqs:")


def test_a_vllm_arg_that_duplicates_a_profile_field_moves_there() -> None:
    analysis = planned(VLLM_ARGS)
    diagnostic = the(analysis.diagnostics, Code.VLLM_ARG_DUPLICATE)
    [action] = fixes(analysis, diagnostic)
    assert (action.title, action.preferred) == (
        "Move `tensor_parallel_size: 1` to `hardware.tp_size`",
        True,
    )
    fixed = apply_edits(VLLM_ARGS, action.edits)
    assert fixed == (
        "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"
        "  tp_size: 1\noutputs:\n  vllm_args:\n    max_num_seq: 128  # fewer\n"
    )
    assert Code.VLLM_ARG_DUPLICATE not in codes(planned(fixed))


@pytest.mark.parametrize(
    ("hardware", "arg", "title", "expected"),
    [
        (
            "",
            "tensor_parallel_size: 2",
            "Move `tensor_parallel_size: 2` to `hardware.tp_size` and set `hardware.gpus: 2`"
            " (tp 2 × pp 1 needs 2 GPUs)",
            "  tp_size: 2\n  gpus: 2\n",
        ),
        (
            "  gpus: 2\n  tp_size: 2\n",
            "pipeline-parallel-size: 2",
            "Move `pipeline-parallel-size: 2` to `hardware.pp_size` and set `hardware.gpus: 4`"
            " (tp 2 × pp 2 needs 4 GPUs)",
            "  gpus: 4\n  tp_size: 2\n  pp_size: 2\n",
        ),
    ],
    ids=["tp-on-one-gpu", "pp-on-two"],
)
def test_a_moved_layout_that_needs_more_gpus_sets_them_too(
    hardware: str, arg: str, title: str, expected: str
) -> None:
    # moved alone, tp 2 on the profile's one GPU would trade this error for a world-size one
    text = VLLM_ARGS.replace("  gpu_name: H100 SXM\n", f"  gpu_name: H100 SXM\n{hardware}")
    text = text.replace("tensor_parallel_size: 1", arg)
    analysis = planned(text)
    [action] = fixes(analysis, the(analysis.diagnostics, Code.VLLM_ARG_DUPLICATE))
    assert (action.title, action.preferred) == (title, True)
    fixed = apply_edits(text, action.edits)
    assert fixed == (
        "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"
        f"{expected}outputs:\n  vllm_args:\n    max_num_seq: 128  # fewer\n"
    )
    after = codes(planned(fixed))
    assert Code.VLLM_ARG_DUPLICATE not in after
    assert Code.PARALLEL_LAYOUT not in after


def test_a_duplicate_vllm_arg_that_differs_from_the_field_offers_both_ways() -> None:
    text = VLLM_ARGS.replace(
        "  gpu_name: H100 SXM\n", "  gpu_name: H100 SXM\n  gpus: 2\n  tp_size: 2\n"
    )
    analysis = planned(text)
    move, drop = fixes(analysis, the(analysis.diagnostics, Code.VLLM_ARG_DUPLICATE))
    assert (move.title, move.preferred) == (
        "Move `tensor_parallel_size: 1` to `hardware.tp_size` (replaces 2)",
        False,
    )
    assert drop.title == "Remove `tensor_parallel_size` (keep `hardware.tp_size: 2`)"
    assert apply_edits(text, move.edits) == text.replace(
        "  tp_size: 2\n", "  tp_size: 1\n"
    ).replace("    tensor_parallel_size: 1\n", "")
    assert apply_edits(text, drop.edits) == text.replace("    tensor_parallel_size: 1\n", "")


def test_a_duplicate_vllm_arg_equal_to_the_field_is_removed() -> None:
    text = VLLM_ARGS.replace("  gpu_name: H100 SXM\n", "  gpu_name: H100 SXM\n  tp_size: 1\n")
    analysis = planned(text)
    [action] = fixes(analysis, the(analysis.diagnostics, Code.VLLM_ARG_DUPLICATE))
    assert action.title == "Remove `tensor_parallel_size` (`hardware.tp_size` is already 1)"
    assert apply_edits(text, action.edits) == text.replace("    tensor_parallel_size: 1\n", "")


def test_a_moved_max_model_len_is_written_as_the_profile_spells_it() -> None:
    text = VLLM_ARGS.replace("tensor_parallel_size: 1", "max-model-len: 8k")
    analysis = planned(text)
    [action] = fixes(analysis, the(analysis.diagnostics, Code.VLLM_ARG_DUPLICATE))
    assert action.title == "Move `max-model-len: 8k` to `model.max_model_len: 8000`"
    fixed = apply_edits(text, action.edits)
    assert fixed == (
        "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\n  max_model_len: 8000\nhardware:\n"
        "  gpu_name: H100 SXM\noutputs:\n  vllm_args:\n    max_num_seq: 128  # fewer\n"
    )
    assert Code.VLLM_ARG_DUPLICATE not in codes(planned(fixed))


BNB = """\
model:
  id: unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit  # planned as its base, by name
  max_model_len: 8192
hardware:
  gpu_name: RTX 4090
"""


def test_a_checkpoint_whose_method_vllm_dropped_gets_its_base_model_or_an_older_vllm() -> None:
    # vLLM 0.28+ has no bitsandbytes; the message says to serve the unquantized model
    analysis = planned(BNB)
    diagnostic = the(analysis.diagnostics, Code.QUANTIZATION)
    base, older = fixes(analysis, diagnostic)
    assert base.title.startswith("Use meta-llama/Llama-3.1-8B-Instruct (fits: ")
    assert base.preferred
    assert older.title.startswith(
        "Set vllm_version: 0.27.0 (the last vLLM release with bitsandbytes; fits: "
    )
    fixed = apply_edits(BNB, base.edits)
    assert fixed == BNB.replace(
        "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "meta-llama/Llama-3.1-8B-Instruct"
    )
    for action in (base, older):
        again = planned(apply_edits(BNB, action.edits))
        assert again.plan is not None and again.plan.fits, action.title
        memory = again.plan.memory
        assert action.title.endswith(f"{memory.kv_gib:,.1f} GiB KV, {memory.kv_tokens:,} tokens)")
        assert Code.QUANTIZATION not in codes(again)


# ----------------------------------------------------------------------------- selection


def test_source_actions_are_offered_with_a_plan() -> None:
    analysis = planned(DOES_NOT_START)
    assert code_actions(analysis, URI, Range.at(0, 0), [], ["source"]) == [
        ActionResult(
            "Generate deployment files",
            "source",
            command=CommandRef("Generate deployment files", GENERATE_COMMAND, (URI,)),
        ),
        ActionResult(
            "Show plan.json",
            "source",
            command=CommandRef("Show plan.json", SHOW_PLAN_COMMAND, (URI,)),
        ),
    ]


@pytest.mark.parametrize(
    ("only", "kinds"),
    [
        (None, {"quickfix", "source"}),
        (["source"], {"source"}),
        (["quickfix"], {"quickfix"}),
        (["quickfix", "source"], {"quickfix", "source"}),
        ([""], {"quickfix", "source"}),
        (["source.organizeImports"], set()),
        (["refactor"], set()),
    ],
)
def test_only_filters_by_kind_prefix(only: list[str] | None, kinds: set[str]) -> None:
    analysis = planned(DOES_NOT_START)
    actions = code_actions(analysis, URI, EVERYWHERE, [], only)
    assert {a.kind for a in actions} == kinds


def test_no_plan_no_source_actions() -> None:
    analysis = analyze_text("model:\n  id: org/m\n  dtype: bf16\n")
    assert code_actions(analysis, URI, EVERYWHERE, [], ["source"]) == []
    assert planned("model: [\n").plan is None
    assert code_actions(planned("model: [\n"), URI, EVERYWHERE, []) == []


def test_without_sent_diagnostics_those_under_the_cursor_are_fixed() -> None:
    text = "model:\n  id: org/m\n  dtype: bf16\n  kv_cache_dtype: fp8_e4m3fn\n"
    analysis = analyze_text(text)
    on_dtype = code_actions(analysis, URI, Range.at(2, 10), [])
    assert [a.title for a in on_dtype] == ["Use `bfloat16` (vLLM's spelling)"]
    assert code_actions(analysis, URI, Range.at(1, 3), []) == []
    assert code_actions(analysis, URI, Range(Position(2, 0), Position(3, 17)), []) == on_dtype
    both = code_actions(analysis, URI, Range(Position(2, 0), Position(3, 18)), [])
    assert [a.title for a in both] == [
        "Use `bfloat16` (vLLM's spelling)",
        "Use `fp8_e4m3` (vLLM's spelling)",
    ]


def test_the_analysis_data_wins_over_the_clients_copy() -> None:
    text = "model:\n  id: org/m\n  dtype: bf16\n"
    analysis = analyze_text(text)
    own = the(analysis.diagnostics, Code.DEPRECATED_ALIAS)
    stripped = replace(own, data=None)  # a client that drops `data`
    [action] = code_actions(analysis, URI, own.range, [stripped])
    assert action.diagnostics == (own,)
    assert apply_edits(text, action.edits) == "model:\n  id: org/m\n  dtype: bfloat16\n"


def test_a_stale_diagnostic_from_the_client_offers_nothing() -> None:
    text = "model:\n  id: org/m\n  dtype: bf16\n"
    analysis = analyze_text(text)
    own = the(analysis.diagnostics, Code.DEPRECATED_ALIAS)
    moved = replace(own, range=Range.at(5, 0, 4))
    assert code_actions(analysis, URI, moved.range, [moved]) == []
    other_code = replace(own, code=Code.INVALID_VALUE)
    assert code_actions(analysis, URI, own.range, [other_code]) == []


def test_the_same_fix_for_two_diagnostics_is_offered_once() -> None:
    text = "model:\n  id: org/m\n  dtype: bf16\n"
    analysis = analyze_text(text)
    own = the(analysis.diagnostics, Code.DEPRECATED_ALIAS)
    twin = replace(own, message="the same finding, said differently")
    analysis.diagnostics.append(twin)
    [action] = code_actions(analysis, URI, own.range, [own, twin])
    assert action.diagnostics == (own, twin)
