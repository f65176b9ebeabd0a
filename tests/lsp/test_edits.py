"""Quick-fix text edits: exact results that keep comments, quotes, layout and line endings."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import yaml

from vllm_wizard.lsp.edits import (
    REMOVE,
    Raw,
    move_field,
    remove_field,
    remove_pair_at,
    rename_key,
    render_value,
    set_field,
    set_fields,
)
from vllm_wizard.lsp.edits.operations import TOP_LEVEL_ORDER
from vllm_wizard.lsp.model import TextEdit
from vllm_wizard.profile.diagnostics import Code
from vllm_wizard.profile.document import parse_document
from vllm_wizard.profile.positions import Position, Range
from vllm_wizard.profile.text_stages import analyze_text
from vllm_wizard.profile.validate import TOP_LEVEL_KEYS


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply LSP-style edits (code points) bottom-up; fail on overlapping edits.

    Written independently of `edits.apply_edits` so the tests check the edits, not the
    module's own arithmetic.
    """
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(position: Position) -> int:
        assert position.line < len(starts), position
        line_start = starts[position.line]
        line_end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
        line_text = text[line_start:line_end].rstrip("\r\n")
        assert position.character <= len(line_text), (position, line_text)
        return line_start + position.character

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True
    )
    for (start, _end, _), (_, earlier_end, _) in itertools.pairwise(spans):
        assert earlier_end <= start, f"overlapping edits: {edits}"
    for start, end, new_text in spans:
        assert start <= end
        text = text[:start] + new_text + text[end:]
    return text


Op = Callable[..., list[TextEdit]]


def edited(text: str, op: Op, *args: Any) -> str:
    edits = op(parse_document(text), *args)
    assert edits, "no edits"
    return apply_edits(text, edits)


def codes(text: str) -> list[str]:
    return [d.code.value for d in analyze_text(text).diagnostics]


PROFILE = """\
# Qwen3-32B on one H100
profile_version: 1
model:
  id: Qwen/Qwen3-32B  # the checkpoint
  max_model_len: 32768
hardware:
  # the card we rent
  gpu_name: H100 SXM
  gpus: 1  # one for now

# Traffic we expect
workload:
  concurrency: 8
"""


# ----------------------------------------------------------------------------- set_field


def test_replacing_a_value_keeps_the_comments_around_it() -> None:
    assert edited(PROFILE, set_field, ("hardware", "gpus"), 2) == PROFILE.replace(
        "  gpus: 1  # one for now", "  gpus: 2  # one for now"
    )


def test_a_replaced_value_is_the_only_text_touched() -> None:
    [edit] = set_field(parse_document(PROFILE), ("model", "max_model_len"), 22528)
    assert edit == TextEdit(Range.at(4, 17, 5), "22528")


def test_a_new_key_goes_after_the_sections_last_field_before_the_next_comment_block() -> None:
    assert edited(PROFILE, set_field, ("hardware", "tp_size"), 2) == PROFILE.replace(
        "  gpus: 1  # one for now\n", "  gpus: 1  # one for now\n  tp_size: 2\n"
    )


def test_a_new_key_follows_a_nested_block_value() -> None:
    text = "outputs:\n  emit:\n    - command\n    - profile\n\n# the end\n"
    assert edited(text, set_field, ("outputs", "dir"), "deploy") == (
        "outputs:\n  emit:\n    - command\n    - profile\n  dir: deploy\n\n# the end\n"
    )


def test_a_missing_section_goes_after_its_neighbour_before_the_next_sections_comments() -> None:
    text = "profile_version: 1\nmodel:\n  id: org/m\n# traffic\nworkload:\n  concurrency: 2\n"
    assert edited(text, set_field, ("hardware", "gpus"), 2) == (
        "profile_version: 1\nmodel:\n  id: org/m\nhardware:\n  gpus: 2\n# traffic\n"
        "workload:\n  concurrency: 2\n"
    )


def test_a_missing_section_with_no_earlier_neighbour_goes_at_the_end() -> None:
    text = "hardware:\n  gpus: 1\n# last words\n"
    assert edited(text, set_field, ("model", "id"), "org/m") == (
        "hardware:\n  gpus: 1\nmodel:\n  id: org/m\n# last words\n"
    )


def test_the_last_section_gets_a_new_one_after_it() -> None:
    assert edited(PROFILE, set_field, ("policy", "gpu_memory_utilization"), 0.95) == (
        PROFILE + "policy:\n  gpu_memory_utilization: 0.95\n"
    )


def test_sections_separated_by_blank_lines_stay_separated() -> None:
    text = "model:\n  id: org/m\n\nworkload:\n  concurrency: 2\n"
    assert edited(text, set_field, ("hardware", "gpus"), 2) == (
        "model:\n  id: org/m\n\nhardware:\n  gpus: 2\n\nworkload:\n  concurrency: 2\n"
    )


def test_a_deeper_missing_path_creates_each_level() -> None:
    text = "model:\n  id: org/m\noutputs:\n  emit: [command]\n"
    assert edited(text, set_field, ("outputs", "vllm_args", "max_num_seqs"), 256) == (
        "model:\n  id: org/m\noutputs:\n  emit: [command]\n  vllm_args:\n    max_num_seqs: 256\n"
    )


@pytest.mark.parametrize(
    ("section", "after"),
    [
        ("hardware:\n", "hardware:\n  gpus: 2\n"),
        ("hardware: null\n", "hardware:\n  gpus: 2\n"),
        ("hardware: ~  # none yet\n", "hardware:  # none yet\n  gpus: 2\n"),
        ("hardware:  # none yet\n", "hardware:  # none yet\n  gpus: 2\n"),
        ("hardware: {}\n", "hardware: {gpus: 2}\n"),
    ],
)
def test_an_empty_or_null_section_takes_the_new_field(section: str, after: str) -> None:
    text = f"model:\n  id: org/m\n{section}workload:\n  concurrency: 2\n"
    result = edited(text, set_field, ("hardware", "gpus"), 2)
    assert result == f"model:\n  id: org/m\n{after}workload:\n  concurrency: 2\n"
    assert analyze_text(result).profile is not None
    assert analyze_text(result).profile.hardware.gpus == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "after"),
    [
        ("  tp_size:", "  tp_size: 2"),
        ("  tp_size:   ", "  tp_size: 2"),
        ("  tp_size:  # later", "  tp_size: 2  # later"),
        ("  tp_size: null", "  tp_size: 2"),
        ("  tp_size: ~ # later", "  tp_size: 2 # later"),
    ],
)
def test_a_key_with_no_value_or_null_gets_the_value(line: str, after: str) -> None:
    text = f"model:\n  id: org/m\nhardware:\n{line}\n  gpus: 2\n"
    assert edited(text, set_field, ("hardware", "tp_size"), 2) == text.replace(line, after)


def test_a_key_with_no_value_at_the_end_of_a_file_without_newline() -> None:
    text = "model:\n  id: org/m\nhardware:\n  tp_size:"
    assert edited(text, set_field, ("hardware", "tp_size"), 2) == (
        "model:\n  id: org/m\nhardware:\n  tp_size: 2"
    )


@pytest.mark.parametrize(
    ("written", "value", "after"),
    [
        ('gpu_name: "H100"', "H100 SXM", 'gpu_name: "H100 SXM"'),
        ("gpu_name: 'H100'", "H100 SXM", "gpu_name: 'H100 SXM'"),
        ("gpu_name: H100", "H100 SXM", "gpu_name: H100 SXM"),
        ("gpu_name: 'H100'", "it's", "gpu_name: 'it''s'"),
        ('gpus: "1"', 2, "gpus: 2"),
    ],
)
def test_quote_style_is_kept_for_strings(written: str, value: Any, after: str) -> None:
    text = f"hardware:\n  {written}  # card\n"
    field = written.split(":")[0]
    assert edited(text, set_field, ("hardware", field), value) == f"hardware:\n  {after}  # card\n"


def test_set_fields_inserts_several_keys_in_order_without_overlapping_edits() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpu_name: H100 SXM\nworkload:\n  concurrency: 2\n"
    changes = [(("hardware", "gpus"), 2), (("hardware", "tp_size"), 2)]
    assert edited(text, set_fields, changes) == text.replace(
        "  gpu_name: H100 SXM\n", "  gpu_name: H100 SXM\n  gpus: 2\n  tp_size: 2\n"
    )


def test_set_fields_can_remove_a_field() -> None:
    text = "model:\n  id: org/m\n  quantization: awq\n  dtype: auto\n"
    changes = [(("model", "quantization"), REMOVE), (("model", "dtype"), "float16")]
    assert edited(text, set_fields, changes) == "model:\n  id: org/m\n  dtype: float16\n"


def test_the_files_own_indentation_is_used() -> None:
    text = "model:\n    id: org/m\nworkload:\n    concurrency: 2\n"
    assert edited(text, set_field, ("model", "dtype"), "float16") == (
        "model:\n    id: org/m\n    dtype: float16\nworkload:\n    concurrency: 2\n"
    )
    assert edited(text, set_field, ("hardware", "gpus"), 2) == (
        "model:\n    id: org/m\nhardware:\n    gpus: 2\nworkload:\n    concurrency: 2\n"
    )


def test_an_empty_file_or_one_with_only_comments_gets_the_section() -> None:
    assert edited("", set_field, ("model", "id"), "org/m") == "model:\n  id: org/m\n"
    assert edited("# my profile\n", set_field, ("model", "id"), "org/m") == (
        "# my profile\nmodel:\n  id: org/m\n"
    )


def test_impossible_edits_give_nothing() -> None:
    assert set_field(parse_document("model: [a, b]\n"), ("model", "id"), "x") == []
    assert set_field(parse_document("model: {id: [\n"), ("model", "id"), "x") == []
    assert set_field(parse_document("base: &b {id: a}\nmodel: *b\n"), ("model", "id"), "x") == []


# ----------------------------------------------------------------------------- flow mappings


FLOW = "model: {id: org/m, dtype: fp16}  # inline\nhardware: {gpus: 1}\n"


def test_flow_values_are_replaced_in_place() -> None:
    assert edited(FLOW, set_field, ("model", "dtype"), "float16") == FLOW.replace(
        "dtype: fp16", "dtype: float16"
    )


def test_a_new_key_in_a_flow_mapping_goes_before_the_brace() -> None:
    assert edited(FLOW, set_field, ("hardware", "tp_size"), 2) == FLOW.replace(
        "{gpus: 1}", "{gpus: 1, tp_size: 2}"
    )
    assert edited(FLOW, set_field, ("hardware", "gpu_name"), "H100 SXM") == FLOW.replace(
        "{gpus: 1}", "{gpus: 1, gpu_name: H100 SXM}"
    )


def test_a_value_with_a_comma_is_quoted_inside_a_flow_mapping() -> None:
    assert edited(FLOW, set_field, ("model", "revision"), "a, b") == FLOW.replace(
        "dtype: fp16}", 'dtype: fp16, revision: "a, b"}'
    )


def test_nested_keys_inside_a_flow_mapping_are_written_flow_style() -> None:
    text = "outputs: {emit: [command]}\n"
    assert edited(text, set_field, ("outputs", "vllm_args", "max_num_seqs"), 256) == (
        "outputs: {emit: [command], vllm_args: {max_num_seqs: 256}}\n"
    )


def test_removing_flow_items_takes_their_comma() -> None:
    text = "model: {id: org/m, dtype: fp16, revision: main}\n"
    assert edited(text, remove_field, ("model", "id")) == ("model: {dtype: fp16, revision: main}\n")
    assert edited(text, remove_field, ("model", "dtype")) == "model: {id: org/m, revision: main}\n"
    assert edited(text, remove_field, ("model", "revision")) == "model: {id: org/m, dtype: fp16}\n"
    assert edited("hardware: {gpus: 1}\n", remove_field, ("hardware", "gpus")) == "hardware: {}\n"


def test_code_points_count_when_emoji_and_cjk_precede_the_value() -> None:
    text = 'model: {id: "模型🚀/m", dtype: fp16}  # 注释 🚀\n'
    [edit] = set_field(parse_document(text), ("model", "dtype"), "float16")
    assert edit.range == Range.at(0, 28, 4)
    assert apply_edits(text, [edit]) == 'model: {id: "模型🚀/m", dtype: float16}  # 注释 🚀\n'
    assert edited(text, remove_field, ("model", "dtype")) == 'model: {id: "模型🚀/m"}  # 注释 🚀\n'
    assert edited(text, set_field, ("model", "revision"), "主") == (
        'model: {id: "模型🚀/m", dtype: fp16, revision: 主}  # 注释 🚀\n'
    )


# ----------------------------------------------------------------------------- line endings


def test_crlf_files_keep_crlf() -> None:
    text = "model:\r\n  id: org/m\r\n  dtype: 'fp16'  # old\r\nhardware:\r\n  gpus: 1\r\n"
    assert edited(text, set_field, ("model", "dtype"), "float16") == text.replace(
        "'fp16'", "'float16'"
    )
    assert edited(text, set_field, ("hardware", "tp_size"), 2) == text + "  tp_size: 2\r\n"
    assert edited(text, set_field, ("policy", "headroom_gb"), 2.5) == (
        text + "policy:\r\n  headroom_gb: 2.5\r\n"
    )
    assert edited(text, remove_field, ("model", "dtype")) == text.replace(
        "  dtype: 'fp16'  # old\r\n", ""
    )


def test_a_file_without_a_final_newline_stays_valid() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpus: 1"
    assert edited(text, set_field, ("hardware", "tp_size"), 2) == text + "\n  tp_size: 2"
    assert edited(text, set_field, ("workload", "concurrency"), 4) == (
        text + "\nworkload:\n  concurrency: 4"
    )
    assert edited(text, remove_field, ("hardware", "gpus")) == ("model:\n  id: org/m\nhardware: {}")
    removed = edited("model:\n  id: org/m\n  dtype: auto", remove_field, ("model", "dtype"))
    assert removed == "model:\n  id: org/m"


# ----------------------------------------------------------------------------- remove, rename


def test_removing_a_block_pair_takes_its_lines_and_its_values_block() -> None:
    text = (
        "outputs:\n  # what to write\n  emit:\n    - command  # the script\n    - profile\n"
        "  dir: deploy\n"
    )
    assert edited(text, remove_field, ("outputs", "emit")) == (
        "outputs:\n  # what to write\n  dir: deploy\n"
    )


def test_removing_the_last_key_of_a_block_mapping_leaves_an_empty_mapping() -> None:
    text = "outputs:\n  vllm_args:  # extra flags\n    enforce_eager: true\n  dir: out\n"
    assert edited(text, remove_field, ("outputs", "vllm_args", "enforce_eager")) == (
        "outputs:\n  vllm_args: {}  # extra flags\n  dir: out\n"
    )


def test_removing_a_duplicate_by_its_key_range_removes_that_one() -> None:
    text = "model:\n  id: org/m\nhardware:\n  gpus: 1\n  gpus: 2  # later\n  tp_size: 2\n"
    [duplicate] = analyze_text(text).diagnostics
    assert duplicate.code is Code.DUPLICATE_KEY
    assert duplicate.range == Range.at(4, 2, 4)
    result = apply_edits(text, remove_pair_at(parse_document(text), duplicate.range))
    assert result == "model:\n  id: org/m\nhardware:\n  gpus: 1\n  tp_size: 2\n"
    assert codes(result) == []
    result = apply_edits(text, remove_pair_at(parse_document(text), Range.at(3, 2, 4)))
    assert result == "model:\n  id: org/m\nhardware:\n  gpus: 2  # later\n  tp_size: 2\n"
    assert codes(result) == []


def test_renaming_a_key_keeps_its_value_comment_and_quotes() -> None:
    text = 'hardware:\n  gpu_nmae: H100 SXM  # card\n  "gpu_cnt": 2\n'
    assert edited(text, rename_key, ("hardware", "gpu_nmae"), "gpu_name") == (
        'hardware:\n  gpu_name: H100 SXM  # card\n  "gpu_cnt": 2\n'
    )
    assert edited(text, rename_key, ("hardware", "gpu_cnt"), "gpus") == (
        'hardware:\n  gpu_nmae: H100 SXM  # card\n  "gpus": 2\n'
    )
    assert rename_key(parse_document(text), ("hardware", "nope"), "x") == []


# ----------------------------------------------------------------------------- move


def test_moving_a_vllm_arg_to_its_profile_field() -> None:
    text = (
        "model:\n  id: org/m\nhardware:\n  gpus: 2\noutputs:\n  vllm_args:\n"
        "    tensor_parallel_size: 2\n    enforce_eager: true\n"
    )
    result = edited(
        text, move_field, ("outputs", "vllm_args", "tensor_parallel_size"), ("hardware", "tp_size")
    )
    assert result == (
        "model:\n  id: org/m\nhardware:\n  gpus: 2\n  tp_size: 2\noutputs:\n  vllm_args:\n"
        "    enforce_eager: true\n"
    )
    assert analyze_text(result).profile is not None


def test_a_moved_value_keeps_its_spelling() -> None:
    text = "gpu_memory_utilization: 0.90  # careful\npolicy:\n  headroom_gb: 1\n"
    assert edited(
        text, move_field, ("gpu_memory_utilization",), ("policy", "gpu_memory_utilization")
    ) == ("policy:\n  headroom_gb: 1\n  gpu_memory_utilization: 0.90\n")


def test_moving_the_only_vllm_arg_leaves_an_empty_mapping() -> None:
    text = "model:\n  id: org/m\noutputs:\n  vllm_args:\n    max_model_len: -1\n"
    result = edited(
        text,
        move_field,
        ("outputs", "vllm_args", "max_model_len"),
        ("model", "max_model_len"),
        "auto",
    )
    assert result == "model:\n  id: org/m\n  max_model_len: auto\noutputs:\n  vllm_args: {}\n"
    assert codes(result) == []


# ----------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (2, "2"),
        (0.95, "0.95"),
        (1.0, "1.0"),
        (1e-05, "1.0e-05"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ("fp8", "fp8"),
        ("H100 SXM", "H100 SXM"),
        ("Qwen/Qwen3-32B", "Qwen/Qwen3-32B"),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("2", '"2"'),
        ("0.95", '"0.95"'),
        ("a: b", '"a: b"'),
        ("#tag", '"#tag"'),
        ("", '""'),
        (" pad", '" pad"'),
        ("*star", '"*star"'),
        ("模型", "模型"),
        ([1, "a"], "[1, a]"),
        ({"k": "v"}, "{k: v}"),
        (Raw("'kept'"), "'kept'"),
    ],
)
def test_values_render_as_a_user_would_write_them(value: Any, written: str) -> None:
    assert render_value(value) == written
    if not isinstance(value, Raw):
        assert yaml.safe_load(f"k: {written}\n") == {"k": value}


def test_setting_the_value_already_written_changes_nothing() -> None:
    assert set_field(parse_document(PROFILE), ("hardware", "gpus"), 1) == []
    assert set_field(parse_document(PROFILE), ("hardware", "gpu_name"), "H100 SXM") == []


def test_the_top_level_order_is_the_schemas() -> None:
    assert TOP_LEVEL_ORDER == TOP_LEVEL_KEYS
