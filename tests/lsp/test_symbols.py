"""lsp/symbols.py: the outline, its ranges, and partial documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vllm_wizard.lsp.model import SymbolResult
from vllm_wizard.lsp.symbols import document_symbols
from vllm_wizard.pipeline import analyze
from vllm_wizard.profile.positions import Position, Range
from wizard_testing import EXAMPLES


def symbols(text: str) -> list[SymbolResult]:
    return document_symbols(analyze(text))


def outline(found: tuple[SymbolResult, ...] | list[SymbolResult]) -> list[tuple[str, str]]:
    return [(s.name, s.kind) for s in found]


def line_range(text: str, first: int, last: int) -> Range:
    """From the start of line `first` to the end of line `last`'s text."""
    lines = text.splitlines()
    return Range(Position(first, 0), Position(last, len(lines[last].rstrip())))


def test_sections_fields_and_values_as_written() -> None:
    text = (EXAMPLES / "sample.yaml").read_text("utf-8")
    found = symbols(text)
    assert outline(found) == [
        ("profile_version", "field"),
        ("model", "namespace"),
        ("hardware", "namespace"),
        ("workload", "namespace"),
        ("policy", "namespace"),
        ("outputs", "namespace"),
    ]
    hardware = found[2]
    assert [(c.name, c.detail) for c in hardware.children] == [
        ("gpu_name", '"RTX 4090"'),
        ("gpus", "1"),
        ("vram_gb", "null"),
        ("interconnect", '"unknown"'),
        ("tp_size", "null"),
    ]
    start = text.splitlines().index("hardware:")
    assert hardware.range == line_range(text, start, start + 5)
    assert hardware.selection_range == Range.at(start, 0, 8)
    assert hardware.children[0].range == Range.at(start + 1, 2, 20)
    assert hardware.children[0].selection_range == Range.at(start + 1, 2, 8)
    assert hardware.detail is None


def test_emit_items_and_vllm_args_entries() -> None:
    text = (
        "model:\n  id: a/b\noutputs:\n  emit:\n    - command\n    - compose\n"
        "  vllm_args:\n    enforce_eager: true\n    max_num_seqs: 64\n"
    )
    outputs = symbols(text)[1]
    emit, args = outputs.children
    assert (emit.name, emit.kind) == ("emit", "array")
    assert outline(emit.children) == [("command", "string"), ("compose", "string")]
    assert emit.children[1].range == Range.at(5, 6, 7)
    assert emit.range == Range(Position(3, 2), Position(5, 13))
    assert (args.name, args.kind) == ("vllm_args", "field")
    assert [(c.name, c.kind, c.detail) for c in args.children] == [
        ("enforce_eager", "property", "true"),
        ("max_num_seqs", "property", "64"),
    ]
    assert outputs.range == Range(Position(2, 0), Position(8, 20))


def test_flow_collections_keep_their_text_as_detail() -> None:
    text = "model: {id: a/b, dtype: bf16}\noutputs:\n  emit: [command, k8s]\n  vllm_args: {}\n"
    found = symbols(text)
    assert found[0].detail == "{id: a/b, dtype: bf16}"
    assert [(c.name, c.detail) for c in found[0].children] == [("id", "a/b"), ("dtype", "bf16")]
    emit = found[1].children[0]
    assert emit.detail == "[command, k8s]"
    assert [(c.name, c.range) for c in emit.children] == [
        ("command", Range.at(2, 9, 7)),
        ("k8s", Range.at(2, 18, 3)),
    ]
    assert found[1].children[1].detail == "{}"


def test_positions_are_code_points_after_cjk_and_emoji() -> None:
    found = symbols('model:\n  id: "模型😀"\n  dtype: auto\n')
    identifier, dtype = found[0].children
    assert identifier.detail == '"模型😀"'
    assert identifier.range == Range.at(1, 2, 9)
    assert dtype.range == Range.at(2, 2, 11)


def test_a_schema_error_still_gives_the_whole_outline() -> None:
    found = symbols("model:\n  id: a/b\nhardware:\n  gpus: zero\n  bogus: 1\n")
    assert [c.name for c in found[1].children] == ["gpus", "bogus"]


def test_a_syntax_error_keeps_what_parsed_before_it() -> None:
    text = "model:\n  id: a/b\nhardware:\n  gpu_name: L4\n  gpus: [1\nworkload:\n  concurrency: 4\n"
    analysis = analyze(text)
    assert not analysis.document.syntax_ok
    found = document_symbols(analysis)
    assert outline(found) == [("model", "namespace"), ("hardware", "namespace")]
    assert [c.name for c in found[1].children] == ["gpu_name"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{", "- [", ": : :\n"])
def test_nothing_parsed_gives_no_symbols(text: str) -> None:
    assert symbols(text) == []


def test_a_key_without_a_value() -> None:
    found = symbols("model:\n  id: a/b\nhardware:\n")
    assert found[1].name == "hardware" and found[1].children == ()
    assert found[1].detail is None


def _walk(found: tuple[SymbolResult, ...] | list[SymbolResult]) -> Iterator[SymbolResult]:
    for symbol in found:
        yield symbol
        yield from _walk(symbol.children)


def _inside(inner: Range, outer: Range) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_ranges_nest_on_every_example(path: Path) -> None:
    """The LSP requires selection ⊆ range and each child ⊆ its parent; siblings do not overlap."""
    found = symbols(path.read_text("utf-8"))
    assert found
    for symbol in _walk(found):
        assert _inside(symbol.selection_range, symbol.range), symbol.name
        for child in symbol.children:
            assert _inside(child.range, symbol.range), (symbol.name, child.name)
        for before, after in zip(symbol.children, symbol.children[1:], strict=False):
            assert before.range.end <= after.range.start, (before.name, after.name)
