"""lsp/completion.py (and the text reader lsp/cursor.py): keys, values, GPUs, models, flags."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from lsp.cursor_marker import OFFLINE, at_cursor
from vllm_wizard.catalog.gpus import all_gpus
from vllm_wizard.catalog.models import catalog_model_ids
from vllm_wizard.lsp.completion import complete
from vllm_wizard.lsp.cursor import locate
from vllm_wizard.lsp.model import CompletionResult, Completions
from vllm_wizard.models import hub
from vllm_wizard.pipeline import analyze
from vllm_wizard.profile.fields import fields_of
from vllm_wizard.profile.positions import Position, Range, split_lines
from vllm_wizard.profile.schema import SECTIONS, Profile, quantization_choices
from vllm_wizard.vllm import PINNED_VLLM_VERSION
from vllm_wizard.vllm.args import PROFILE_FLAGS
from vllm_wizard.vllm.flags import flag_table
from wizard_testing import EXAMPLES

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def complete_at(marked: str, *, analysed: bool = False) -> Completions:
    text, position = at_cursor(marked)
    return complete(text, position, analyze(text, OFFLINE) if analysed else None)


def labels(marked: str, **kwargs: Any) -> list[str]:
    return [item.label for item in complete_at(marked, **kwargs).items]


def item(marked: str, label: str) -> CompletionResult:
    found = [i for i in complete_at(marked).items if i.label == label]
    assert len(found) == 1, [i.label for i in complete_at(marked).items]
    return found[0]


# ----------------------------------------------------------------------------- the marker


def test_cursor_marker_counts_code_points() -> None:
    text, position = at_cursor("a: 1\nb: 模型😀<CURSOR>x\n")
    assert text == "a: 1\nb: 模型😀x\n"
    assert position == Position(1, 6)
    with pytest.raises(AssertionError):
        at_cursor("no marker")


# ----------------------------------------------------------------------------- keys


def test_keys_inside_a_section_on_a_blank_line() -> None:
    result = complete_at("hardware:\n  <CURSOR>")
    assert [i.label for i in result.items] == list(fields_of(SECTIONS["hardware"]))
    gpu = result.items[0]
    assert gpu.insert_text == "gpu_name: ${1:auto}"
    assert gpu.snippet and gpu.plain_text == "gpu_name: auto"
    assert gpu.edit_range == Range.at(1, 2, 0)
    assert gpu.kind == "property" and gpu.detail == "GPU"
    assert gpu.documentation is not None and gpu.documentation.startswith("**GPU**")
    gpus = result.items[1]
    assert (gpus.insert_text, gpus.plain_text) == ("gpus: ${1:1}", "gpus: 1")
    vram = result.items[3]
    assert (vram.label, vram.insert_text, vram.snippet, vram.plain_text) == (
        "vram_gb",
        "vram_gb: ",
        False,
        None,
    )


def test_small_enums_become_a_snippet_choice() -> None:
    found = item("hardware:\n  inter<CURSOR>", "interconnect")
    assert found.insert_text == "interconnect: ${1|unknown,pcie,nvlink|}"
    assert found.plain_text == "interconnect: unknown"
    assert found.edit_range == Range.at(1, 2, 5)


def test_half_typed_key_replaces_only_the_word() -> None:
    found = item("hardware:\n  gpu_na<CURSOR>", "gpu_name")
    assert found.edit_range == Range.at(1, 2, 6)
    assert found.sort_text == "00"


def test_key_before_an_existing_colon_adds_no_colon() -> None:
    found = item("hardware:\n  gpu_na<CURSOR>me: H100 SXM\n", "gpu_name")
    assert (found.insert_text, found.snippet, found.plain_text) == ("gpu_name", False, None)
    assert found.edit_range == Range.at(1, 2, 8)


def test_keys_already_present_are_not_offered() -> None:
    marked = "hardware:\n  gpus: 2\n  <CURSOR>\n  gpu_name: L4\nworkload:\n  mode: latency\n"
    assert labels(marked) == ["nodes", "vram_gb", "interconnect", "tp_size", "pp_size"]


def test_top_level_keys_and_section_snippets() -> None:
    result = complete_at("profile_version: 1\n<CURSOR>\nworkload:\n  concurrency: 4\n")
    assert [i.label for i in result.items] == [
        "vllm_version",
        "model",
        "hardware",
        "policy",
        "outputs",
    ]
    by_label = {i.label: i for i in result.items}
    hardware = by_label["hardware"]
    assert hardware.kind == "module" and hardware.snippet
    assert hardware.insert_text == "hardware:\n  gpu_name: ${1:auto}\n  gpus: ${2:1}"
    assert hardware.plain_text == "hardware:\n  gpu_name: auto\n  gpus: 1"
    assert by_label["model"].insert_text == f"model:\n  id: ${{1:{LLAMA}}}"
    assert by_label["outputs"].insert_text == "outputs:\n  emit: ${1:[command, profile]}"
    assert by_label["vllm_version"].plain_text == f'vllm_version: "{PINNED_VLLM_VERSION}"'


def test_empty_document_offers_top_level_keys_and_a_whole_profile() -> None:
    result = complete_at("<CURSOR>")
    assert [i.label for i in result.items] == [*fields_of(Profile), "vLLM Wizard profile"]
    whole = result.items[-1]
    assert whole.kind == "snippet" and whole.snippet
    assert whole.edit_range == Range.at(0, 0, 0)
    assert whole.insert_text == (
        "profile_version: 1\n"
        f"model:\n  id: ${{1:{LLAMA}}}\n"
        "hardware:\n  gpu_name: ${2:auto}\n  gpus: ${3:1}\n"
        "workload:\n  prompt_tokens: ${4:512}\n  gen_tokens: ${5:256}\n  concurrency: ${6:1}"
    )
    assert whole.plain_text is not None
    assert "${" not in whole.plain_text and whole.plain_text.startswith("profile_version: 1\n")
    assert result.items[0].insert_text == "profile_version: 1"
    # a comment does not make the document non-empty; a key does
    assert labels("# my profile\nmo<CURSOR>")[-1] == "vLLM Wizard profile"
    assert "vLLM Wizard profile" not in labels("model:\n  id: a/b\n<CURSOR>")


def test_keys_in_a_flow_mapping() -> None:
    result = complete_at("model: {id: a/b, dt<CURSOR>}")
    names = [i.label for i in result.items]
    assert "id" not in names and "dtype" in names
    dtype = next(i for i in result.items if i.label == "dtype")
    assert dtype.edit_range == Range.at(0, 17, 2)
    assert dtype.insert_text == "dtype: ${1|auto,float16,bfloat16,float32|}"


def test_section_key_in_a_flow_mapping_stays_on_one_line() -> None:
    found = item("{mo<CURSOR>}", "model")
    assert (found.insert_text, found.snippet) == ("model: ", False)


def test_keys_after_a_syntax_error_elsewhere() -> None:
    marked = 'model:\n  id: "unclosed\n  dtype: [auto\nhardware:\n  gp<CURSOR>\n'
    text, _ = at_cursor(marked)
    assert not analyze(text).document.syntax_ok
    assert labels(marked) == list(fields_of(SECTIONS["hardware"]))


def test_indentation_decides_the_section() -> None:
    marked = "model:\n  id: a/b\n\n<CURSOR>"
    assert labels(marked) == [
        "profile_version",
        "vllm_version",
        "hardware",
        "workload",
        "policy",
        "outputs",
    ]
    assert labels("model:\n  id: a/b\n\n  <CURSOR>")[0] == "revision"


def test_a_line_under_a_scalar_is_not_its_child() -> None:
    """Only `key:` with nothing after it opens a block; `gpu_name: L4` does not."""
    marked = "hardware:\n  gpu_name: L4\n    <CURSOR>\n"
    assert labels(marked)[0] == "gpus"
    assert labels("profile_version: 1\n  <CURSOR>")[0] == "vllm_version"


def test_nothing_in_a_comment_or_after_a_closing_quote() -> None:
    assert complete_at("model:\n  id: a/b # a co<CURSOR>mment\n").items == []
    assert complete_at('model:\n  dtype: "auto"<CURSOR>\n').items == []
    assert complete_at("model:\n  id: a/b\n  foo:\n    bar<CURSOR>\n").items == []


# ----------------------------------------------------------------------------- enum values


def test_dtype_values_on_a_half_typed_line() -> None:
    result = complete_at("model:\n  id: a/b\n  dtype: bf<CURSOR>")
    assert [i.label for i in result.items] == ["auto", "float16", "bfloat16", "float32"]
    assert all(i.edit_range == Range.at(2, 9, 2) for i in result.items)
    assert result.items[0].detail == "default"
    assert result.items[2].insert_text == "bfloat16" and result.items[2].kind == "enum"


def test_value_right_after_the_colon_gets_a_space() -> None:
    found = item("model:\n  dtype:<CURSOR>", "bfloat16")
    assert found.insert_text == " bfloat16"
    assert found.edit_range == Range.at(1, 8, 0)


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        (
            "model:\n  kv_cache_dtype: <CURSOR>",
            ["auto", "float16", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2"],
        ),
        ("hardware:\n  interconnect: <CURSOR>", ["pcie", "nvlink", "unknown"]),
        ("workload:\n  mode: <CURSOR>", ["throughput", "latency", "balanced"]),
        ("workload:\n  streaming: <CURSOR>", ["true", "false"]),
        ("model:\n  trust_remote_code: <CURSOR>", ["true", "false"]),
        ("profile_version: <CURSOR>", ["1"]),
        ("model:\n  max_model_len: <CURSOR>", ["auto", "null"]),
        ("hardware:\n  tp_size: <CURSOR>", ["auto", "null"]),
        ("hardware:\n  gpus: <CURSOR>", []),
        ("outputs:\n  emit: <CURSOR>", []),
    ],
)
def test_enum_values(marked: str, expected: list[str]) -> None:
    assert labels(marked) == expected


def test_booleans_are_keywords_never_quoted() -> None:
    found = item("workload:\n  streaming: <CURSOR>", "false")
    assert (found.kind, found.insert_text, found.detail) == ("keyword", "false", None)
    assert item("workload:\n  streaming: <CURSOR>", "true").detail == "default"


def test_quantization_methods_come_from_the_flag_table() -> None:
    result = complete_at("model:\n  quantization: <CURSOR>")
    assert [i.label for i in result.items] == list(quantization_choices())
    deprecated = set(flag_table().deprecated_quantization_methods())
    assert deprecated
    for found in result.items:
        assert (found.detail == "deprecated in vLLM") == (found.label in deprecated)
    ordered = sorted(result.items, key=lambda i: i.sort_text or "")
    assert {i.label for i in ordered[-len(deprecated) :]} == deprecated


def test_max_model_len_offers_the_models_limit_with_an_analysis() -> None:
    marked = f"model:\n  id: {LLAMA}\n  max_model_len: <CURSOR>\nhardware:\n  gpu_name: H100 SXM\n"
    result = complete_at(marked, analysed=True)
    by_label = {i.label: i for i in result.items}
    assert by_label["131072"].detail == "the model's limit"
    assert by_label["131072"].insert_text == "131072"


def test_tp_size_offers_the_sizes_the_model_accepts_with_an_analysis() -> None:
    # Qwen2.5-7B: 28 attention heads, 4 KV heads. On 8 GPUs vLLM takes 1, 2 and 4; 7 divides
    # the heads but cannot share out 4 KV heads, 3 and 8 do not divide 28.
    qwen = "model:\n  id: Qwen/Qwen2.5-7B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"
    result = complete_at(qwen + "  gpus: 8\n  tp_size: <CURSOR>\n", analysed=True)
    by_label = {i.label: i for i in result.items}
    assert list(by_label) == ["auto", "null", "1", "2", "4"]
    assert by_label["1"].detail == "28 of the 28 attention heads per GPU; what `auto` picks"
    assert (by_label["4"].insert_text, by_label["4"].detail) == (
        "4",
        "7 of the 28 attention heads per GPU",
    )
    ordered = sorted(result.items, key=lambda i: i.sort_text or "")
    assert [i.label for i in ordered] == ["auto", "null", "1", "2", "4"]
    # a size the user chose is not `auto`'s; across two nodes of 4 GPUs, 8 spans them
    across = "  gpus: 4\n  nodes: 2\n  pp_size: 1\n  tp_size: 2<CURSOR>\n"
    details = {i.label: i.detail for i in complete_at(qwen + across, analysed=True).items}
    assert "auto" not in (details["1"] or "") and set(details) == {"auto", "null", "1", "2", "4"}
    llama = f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H100 SXM\n" + across
    details = {i.label: i.detail for i in complete_at(llama, analysed=True).items}
    assert details["8"] == "4 of the 32 attention heads per GPU; across nodes (slow)"
    # without an analysis (no model known yet) there is nothing to divide
    assert labels(qwen + "  gpus: 8\n  tp_size: <CURSOR>\n") == ["auto", "null"]


# ----------------------------------------------------------------------------- emit lists


def test_emit_block_items_skip_those_present() -> None:
    marked = "outputs:\n  emit:\n    - command\n    - <CURSOR>\n    - k8s\n"
    result = complete_at(marked)
    assert [i.label for i in result.items] == ["profile", "compose", "docker"]
    assert result.items[0].edit_range == Range.at(3, 6, 0)


def test_emit_block_item_at_the_keys_column_in_quotes() -> None:
    result = complete_at('outputs:\n  emit:\n  - "command"\n  - "pro<CURSOR>"\n')
    assert [i.label for i in result.items] == ["profile", "compose", "k8s", "docker"]
    assert result.items[0].edit_range == Range.at(3, 5, 3)
    assert result.items[0].insert_text == "profile"


def test_emit_flow_items() -> None:
    result = complete_at("outputs:\n  emit: [command, pro<CURSOR>]\n")
    assert [i.label for i in result.items] == ["profile", "compose", "k8s", "docker"]
    assert result.items[0].edit_range == Range.at(1, 18, 3)
    after_comma = complete_at("outputs: {emit: [command,<CURSOR>]}")
    assert after_comma.items[0].insert_text == " profile"


# ----------------------------------------------------------------------------- GPUs and models


def test_gpu_names_inside_quotes() -> None:
    result = complete_at('hardware:\n  gpu_name: "RTX 40<CURSOR>"\n')
    assert [i.label for i in result.items] == ["auto", *(g.name for g in all_gpus())]
    assert all(i.edit_range == Range.at(1, 13, 6) for i in result.items)
    by_label = {i.label: i for i in result.items}
    assert by_label["H100 SXM"].detail == "79.18 GiB · H100 SXM"
    assert by_label["RTX 4090"].insert_text == "RTX 4090"
    documentation = by_label["H100 SXM"].documentation
    assert documentation is not None and documentation.startswith("**H100 SXM**")
    assert by_label["auto"].kind == "keyword"


def test_gpu_name_unquoted_with_spaces_replaces_the_whole_value() -> None:
    found = item("hardware:\n  gpu_name: RTX 40<CURSOR>90  # mine\n", "RTX 4090")
    assert found.edit_range == Range.at(1, 12, 8)
    assert found.insert_text == "RTX 4090"


def test_quoted_value_after_cjk_and_emoji_counts_code_points() -> None:
    marked = 'hardware: {注释😀: x, gpu_name: "H1<CURSOR>"}'
    text, position = at_cursor(marked)
    assert position == Position(0, 32)
    found = next(i for i in complete(text, position).items if i.label == "H100 SXM")
    assert found.edit_range == Range.at(0, 30, 2)
    assert text[30:32] == "H1"


def test_key_after_cjk_and_emoji_in_a_flow_mapping() -> None:
    marked = "model: {id: 模型😀/x, dty<CURSOR>}"
    found = item(marked, "dtype")
    assert found.edit_range == Range.at(0, 19, 3)  # 😀 is one column here, two in UTF-16


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("completion opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def cache_model(model_id: str) -> Path:
    snapshot = hub.hf_cache_dir() / f"models--{model_id.replace('/', '--')}" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"model_type": "llama"}')
    return snapshot


@pytest.mark.usefixtures("no_network")
def test_model_ids_from_the_catalog_and_the_hf_cache() -> None:
    cache_model("acme/private-7b")
    cache_model(LLAMA)
    result = complete_at("model:\n  id: <CURSOR>\n")
    names = [i.label for i in result.items]
    assert names == [*catalog_model_ids(), "acme/private-7b"]
    by_label = {i.label: i for i in result.items}
    assert by_label["acme/private-7b"].detail == "Hugging Face cache"
    assert by_label[LLAMA].detail == "8.03B params · catalog · in the Hugging Face cache"
    assert by_label["Qwen/Qwen3-30B-A3B"].detail == "30.5B (3.3B active) params · catalog"
    assert by_label["deepseek-ai/DeepSeek-V3"].detail == "671B (37B active) params · catalog"
    assert all(i.edit_range == Range.at(1, 6, 0) for i in result.items)


@pytest.mark.usefixtures("no_network")
def test_base_model_offers_catalog_ids_only_with_the_derived_base_first() -> None:
    # model.base_model must name a catalog model: a cached repo is no base
    cache_model("acme/private-7b")
    marked = "model:\n  id: unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit\n  base_model: <CURSOR>\n"
    result = complete_at(marked)
    assert [i.label for i in result.items] == list(catalog_model_ids())
    assert all(i.edit_range == Range.at(2, 14, 0) for i in result.items)
    assert not any(i.preselect for i in result.items)
    analysed = complete_at(marked, analysed=True)
    [picked] = [i for i in analysed.items if i.preselect]
    assert (picked.label, picked.detail) == (LLAMA, "8.03B params · catalog · planned as this")


def test_vllm_version_offers_the_pinned_release() -> None:
    result = complete_at("vllm_version: <CURSOR>")
    pinned = next(i for i in result.items if i.label == PINNED_VLLM_VERSION)
    assert pinned.preselect and pinned.detail == "the pinned release"
    assert pinned.insert_text == PINNED_VLLM_VERSION


# ----------------------------------------------------------------------------- vllm_args


def test_flag_names_leave_out_profile_fields_and_present_keys() -> None:
    marked = "outputs:\n  vllm_args:\n    enforce-eager: true\n    max_num<CURSOR>\n"
    result = complete_at(marked)
    names = [i.label for i in result.items]
    table = flag_table()
    expected = [s.dest for s in table.flags if s.dest not in PROFILE_FLAGS]
    expected.remove("enforce_eager")
    assert names == expected
    assert not set(names) & set(PROFILE_FLAGS)
    seqs = next(i for i in result.items if i.label == "max_num_seqs")
    assert (seqs.insert_text, seqs.detail) == ("max_num_seqs: ", "int · default null")
    assert seqs.edit_range == Range.at(3, 4, 7)
    assert seqs.documentation is not None and "**`--max-num-seqs`**" in seqs.documentation
    caching = next(i for i in result.items if i.label == "enable_prefix_caching")
    assert caching.insert_text == "enable_prefix_caching: ${1|true,false|}"
    assert caching.plain_text == "enable_prefix_caching: true"


def test_deprecated_flags_sort_last() -> None:
    result = complete_at("outputs:\n  vllm_args: {<CURSOR>}\n")
    deprecated = {s.dest for s in flag_table().flags if s.deprecated} - set(PROFILE_FLAGS)
    assert deprecated
    ordered = sorted(result.items, key=lambda i: i.sort_text or "")
    assert {i.label for i in ordered[-len(deprecated) :]} == deprecated
    assert all((i.detail or "").startswith("deprecated · ") for i in ordered[-len(deprecated) :])


def test_flag_values() -> None:
    marked = "outputs:\n  vllm_args:\n    performance_mode: <CURSOR>\n"
    result = complete_at(marked)
    assert [i.label for i in result.items] == ["balanced", "interactivity", "throughput"]
    assert result.items[0].detail == "vLLM's default"
    flow = complete_at("outputs:\n  vllm_args: {enforce_eager: <CURSOR>}\n")
    assert [(i.label, i.insert_text) for i in flow.items] == [("true", "true"), ("false", "false")]
    assert complete_at("outputs:\n  vllm_args:\n    no_such_flag: <CURSOR>\n").items == []


# ----------------------------------------------------------------------------- the reader


def test_locate_reports_the_path_and_the_word() -> None:
    text, position = at_cursor("outputs:\n  vllm_args: {enforce_eager: true, max_<CURSOR>}\n")
    context = locate(text, position)
    assert context is not None
    assert (context.role, context.container, context.prefix) == (
        "key",
        ("outputs", "vllm_args"),
        "max_",
    )
    assert context.siblings == frozenset({"enforce_eager"}) and context.flow
    text, position = at_cursor("model:\n  id: x\n  dtype: 'bf<CURSOR>\n")
    context = locate(text, position)
    assert context is not None
    assert (context.role, context.path, context.quote, context.prefix) == (
        "value",
        ("model", "dtype"),
        "'",
        "bf",
    )


# ----------------------------------------------------------------------------- speed


def test_completion_is_fast_on_the_examples() -> None:
    """Well under 15 ms a completion once the catalogs are loaded (best of three)."""
    worst = 0.0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text("utf-8")
        analysis = analyze(text, OFFLINE)
        for lineno, line in enumerate(split_lines(text)):
            for column in {len(line) - len(line.lstrip()), len(line)}:
                position = Position(lineno, column)
                complete(text, position, analysis)
                best = min(_timed(text, position, analysis) for _ in range(3))
                worst = max(worst, best)
    flags = "outputs:\n  vllm_args:\n    "
    complete(flags, Position(2, 4))
    worst = max(worst, min(_timed(flags, Position(2, 4), None) for _ in range(3)))
    assert worst < 0.015, f"slowest completion took {worst * 1000:.1f} ms"


def _timed(text: str, position: Position, analysis: Any) -> float:
    start = time.perf_counter()
    complete(text, position, analysis)
    return time.perf_counter() - start
