"""Issue 2's list of bad input: each reported at its exact line and column, never a traceback."""

from __future__ import annotations

from vllm_wizard.profile.diagnostics import Code, Severity
from vllm_wizard.profile.io import decode
from vllm_wizard.profile.text_stages import analyze_text
from wizard_testing import VALID, diagnostics, only, where


def test_empty_file() -> None:
    assert where(only("")) == (1, 1, "empty-profile")


def test_only_a_comment() -> None:
    assert where(only("# nothing here yet\n")) == (1, 1, "empty-profile")


def test_top_level_list() -> None:
    diagnostic = only("- model\n- hardware\n")
    assert where(diagnostic) == (1, 1, "not-a-mapping")
    assert "a list" in diagnostic.message


def test_top_level_scalar() -> None:
    diagnostic = only("\n\nllama\n")
    assert where(diagnostic) == (3, 1, "not-a-mapping")
    assert "a single value" in diagnostic.message


def test_model_with_no_value_points_at_the_key() -> None:
    diagnostic = only("hardware:\n  gpus: 1\nmodel:\n")
    assert where(diagnostic) == (3, 1, "invalid-value")
    assert diagnostic.range.end.character == len("model")
    assert "`model` has no value" in diagnostic.message


def test_missing_id_points_at_the_parent_key() -> None:
    diagnostic = only("hardware:\n  gpus: 1\nmodel:\n  dtype: auto\n")
    assert where(diagnostic) == (3, 1, "missing-field")
    assert "`model` needs `id`" in diagnostic.message


def test_missing_model_section_points_at_the_top() -> None:
    assert where(only("hardware:\n  gpus: 2\n")) == (1, 1, "missing-field")


def test_number_where_a_string_belongs() -> None:
    diagnostic = only("model:\n  id: 12345\n")
    assert where(diagnostic) == (2, 7, "invalid-value")
    assert diagnostic.message.startswith("`model.id` must be a string; got the number 12345")


def test_null_where_a_value_with_a_default_belongs_says_to_leave_it_out() -> None:
    """`quantization: null` (its default is `none`): quoting it, as the string message used
    to advise, would give "null", which is no method either."""
    text = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\n  quantization: null\n"
    diagnostic = only(text)
    assert where(diagnostic) == (3, 17, "invalid-value")
    assert diagnostic.message == (
        "`model.quantization` must be a string; got null. Leave the key out for the default,"
        " `none`."
    )
    assert only(VALID + "  gpus: null\n").message == (
        "`hardware.gpus` must be a whole number; got null. Leave the key out for the default, `1`."
    )
    assert only("model:\n  id: null\n").message == "`model.id` must be a string; got null."


def test_string_where_a_number_belongs() -> None:
    diagnostic = only(VALID + '  gpus: "2"\n')
    assert where(diagnostic) == (5, 9, "invalid-value")
    assert diagnostic.message == '`hardware.gpus` must be a whole number; got "2".'


def test_boolean_is_not_a_count() -> None:
    assert where(only(VALID + "  gpus: yes\n")) == (5, 9, "invalid-value")


def test_zero_count() -> None:
    diagnostic = only(VALID + "  gpus: 0\n")
    assert where(diagnostic) == (5, 9, "invalid-value")
    assert diagnostic.message == "`hardware.gpus` must be at least 1; got the number 0."


def test_negative_count() -> None:
    diagnostic = only(VALID + "workload:\n  concurrency: -4\n")
    assert where(diagnostic) == (6, 16, "invalid-value")
    assert "at least 1; got the number -4" in diagnostic.message


def test_negative_max_model_len_reads_as_one_message_not_one_per_union_branch() -> None:
    diagnostic = only("model:\n  id: a/b\n  max_model_len: -1\n")
    assert where(diagnostic) == (3, 18, "invalid-value")
    assert "a whole number greater than 0, `auto` or null" in diagnostic.message


def test_utilization_above_one_is_an_error() -> None:
    diagnostic = only(VALID + "policy:\n  gpu_memory_utilization: 1.5\n")
    assert where(diagnostic) == (6, 27, "invalid-value")
    assert diagnostic.severity is Severity.ERROR


def test_low_utilization_is_a_warning() -> None:
    diagnostic = only(VALID + "policy:\n  gpu_memory_utilization: 0.3\n")
    assert where(diagnostic) == (6, 27, "risky-value")
    assert diagnostic.severity is Severity.WARNING


def test_anchors_and_aliases_resolve_and_errors_land_on_the_written_value() -> None:
    text = (
        "model:\n  id: &repo org/model\n"
        "hardware: &hw\n  gpu_name: *repo\n  gpus: 0\n"
        "workload:\n  <<: {concurrency: 4}\n  prompt_tokens: 100\n"
    )
    diagnostic = only(text)
    assert where(diagnostic) == (5, 9, "invalid-value")
    analysis = analyze_text(text.replace("gpus: 0", "gpus: 2"))
    assert analysis.diagnostics == []
    assert analysis.profile is not None
    assert analysis.profile.hardware.gpu_name == "org/model"
    assert analysis.profile.workload.concurrency == 4


def test_one_megabyte_file_reports_the_error_at_its_line() -> None:
    filler = "".join(f"# comment line {i:06d} {'x' * 40}\n" for i in range(20_000))
    text = VALID + filler + "workload:\n  concurrency: 0\n"
    assert len(text.encode()) > 1_000_000
    diagnostic = only(text)
    assert where(diagnostic) == (4 + 20_000 + 2, 16, "invalid-value")


def test_non_utf8_bytes_point_at_the_first_bad_byte() -> None:
    decoded = decode(b"model:\n  id: caf" + b"\xe9\n")
    assert decoded.text is None and decoded.error is not None
    assert where(decoded.error) == (2, 10, "encoding")
    assert "0xe9" in decoded.error.message


def test_byte_order_mark_is_accepted() -> None:
    decoded = decode(b"\xef\xbb\xbf" + VALID.encode())
    assert decoded.text == VALID


def test_crlf_line_endings_keep_lines_and_columns() -> None:
    text = (VALID + "  gpus: 0\n").replace("\n", "\r\n")
    assert where(only(text)) == (5, 9, "invalid-value")


def test_billion_laughs_is_refused_at_the_alias_without_expanding() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    diagnostic = only("\n".join(lines) + "\n")
    assert where(diagnostic) == (9, 8, "alias-expansion")


def test_tab_indentation_gets_a_clear_message() -> None:
    diagnostic = only("model:\n\tid: a/b\n")
    assert where(diagnostic) == (2, 1, "yaml-tab")
    assert "spaces" in diagnostic.message


def test_a_file_that_is_not_a_profile() -> None:
    diagnostic = only("services:\n  web:\n    image: nginx\n")
    assert where(diagnostic) == (1, 1, "not-a-profile")


def test_cjk_and_emoji_before_the_offending_value_in_a_flow_mapping() -> None:
    text = 'model: {id: "日本語😀", dtype: fp99}\n'
    diagnostic = only(text)
    assert where(diagnostic) == (1, 28, "invalid-value")
    assert diagnostic.range.end.character == 31


def test_a_syntax_error_reports_once_where_it_is() -> None:
    diagnostic = only("model:\n  id: a/b\n  dtype: [auto\n")
    assert diagnostic.code is Code.YAML_SYNTAX
    assert diagnostic.range.start.line == 3


def test_unknown_key_suggests_the_close_one() -> None:
    diagnostic = only(VALID + "  gpu_nmae: A100\n")
    assert where(diagnostic) == (5, 3, "unknown-key")
    assert "Did you mean `gpu_name`?" in diagnostic.message
    assert diagnostic.data == {"key": "gpu_nmae", "replacement": "gpu_name"}


def test_key_in_the_wrong_section_says_where_it_belongs() -> None:
    diagnostic = only(VALID + "concurrency: 8\n")
    assert where(diagnostic) == (5, 1, "unknown-key")
    assert "belongs under `workload:`" in diagnostic.message


def test_alias_spelling_warns_and_carries_the_canonical_value() -> None:
    analysis = analyze_text("model:\n  id: a/b\n  dtype: bf16\n  kv_cache_dtype: fp8_e4m3fn\n")
    assert [where(d) for d in analysis.diagnostics] == [
        (3, 10, "deprecated-alias"),
        (4, 19, "deprecated-alias"),
    ]
    assert [d.data["replacement"] for d in analysis.diagnostics if d.data] == [
        "bfloat16",
        "fp8_e4m3",
    ]
    assert analysis.profile is not None
    assert analysis.profile.model.dtype == "bfloat16"
    assert analysis.profile.model.kv_cache_dtype == "fp8_e4m3"


def test_int8_quantization_is_an_error_with_advice() -> None:
    diagnostic = only("model:\n  id: a/b\n  quantization: int8\n")
    assert where(diagnostic) == (3, 17, "invalid-value")
    assert "vLLM has no `int8` method" in diagnostic.message
    assert diagnostic.data is not None and "fp8" in diagnostic.data["choices"]


def test_unsupported_profile_version() -> None:
    diagnostic = only("profile_version: 2\nmodel:\n  id: a/b\n")
    assert where(diagnostic) == (1, 18, "unsupported-version")


def test_diagnostics_come_in_document_order() -> None:
    found = diagnostics("workload:\n  concurrency: 0\nmodel:\n  id: 5\n")
    assert [where(d)[0] for d in found] == [2, 4]
