"""The YAML tree: ranges, aliases, duplicates, documents, and values as safe_load reads them."""

from __future__ import annotations

import yaml

from vllm_wizard.profile.diagnostics import Code
from vllm_wizard.profile.document import lookup, parse_document, to_python
from vllm_wizard.profile.positions import Position, Range


def test_values_match_safe_load_including_yaml_1_1_booleans() -> None:
    text = "a: yes\nb: 'yes'\nc: 1.5\nd: ~\ne: [1, two, {f: off}]\ng: 0x10\n"
    parsed = parse_document(text)
    assert parsed.root is not None
    assert to_python(parsed.root) == yaml.safe_load(text)


def test_every_key_and_value_keeps_its_range() -> None:
    parsed = parse_document("model:\n  id: org/name\n  max_model_len: 4096\n")
    key, value = lookup(parsed.root, ("model", "max_model_len"))
    assert key is not None and value is not None
    assert key.range == Range(Position(2, 2), Position(2, 15))
    assert value.range == Range(Position(2, 17), Position(2, 21))


def test_lookup_skips_segments_that_are_not_in_the_tree() -> None:
    parsed = parse_document("model:\n  max_model_len: -1\n")
    _, value = lookup(parsed.root, ("model", "max_model_len", "int"))
    assert value is not None and value.value == -1


def test_missing_value_is_told_apart_from_explicit_null() -> None:
    parsed = parse_document("a:\nb: null\nc: ~\n")
    assert parsed.root is not None
    assert [p.value.is_missing for p in parsed.root.mapping_pairs()] == [True, False, False]


def test_alias_is_a_node_at_its_own_place_pointing_at_the_anchor() -> None:
    parsed = parse_document("base: &b {gpus: 2}\nhardware: *b\n")
    _, alias = lookup(parsed.root, ("hardware",))
    assert alias is not None and alias.is_alias
    assert alias.range.start == Position(1, 10)
    assert alias.resolved.range.start == Position(0, 6)
    assert to_python(parsed.root) == {"base": {"gpus": 2}, "hardware": {"gpus": 2}}


def test_merge_keys_apply_as_in_yaml_1_1() -> None:
    text = "base: &b {gpus: 2, nodes: 1}\nhardware:\n  <<: *b\n  nodes: 3\n"
    parsed = parse_document(text)
    assert parsed.root is not None
    assert to_python(parsed.root) == yaml.safe_load(text)
    _, gpus = lookup(parsed.root, ("hardware", "gpus"))
    assert gpus is not None and gpus.value == 2


def test_duplicate_key_is_an_error_pointing_at_the_second_with_the_first_related() -> None:
    parsed = parse_document("model:\n  id: a\n  id: b\n")
    [diagnostic] = parsed.diagnostics
    assert diagnostic.code is Code.DUPLICATE_KEY
    assert diagnostic.range.start == Position(2, 2)
    assert diagnostic.related[0].range.start == Position(1, 2)


def test_second_document_is_an_error_and_the_first_stays_usable() -> None:
    parsed = parse_document("model:\n  id: a\n---\nmodel:\n  id: b\n")
    [diagnostic] = parsed.diagnostics
    assert diagnostic.code is Code.MULTIPLE_DOCUMENTS
    assert diagnostic.range == Range(Position(2, 0), Position(2, 3))
    assert parsed.root is not None
    assert to_python(parsed.root) == {"model": {"id": "a"}}


def test_syntax_error_is_one_diagnostic_at_the_error() -> None:
    parsed = parse_document("model:\n  id: [unclosed\nhardware: {}\n")
    assert not parsed.syntax_ok and parsed.root is None
    [diagnostic] = parsed.diagnostics
    assert diagnostic.code is Code.YAML_SYNTAX
    assert diagnostic.range.start.line == 2


def test_unsupported_tag_is_reported_not_constructed() -> None:
    parsed = parse_document("model: !!python/object:os.system {}\nx: !!python/name:os.system ''\n")
    assert [(d.code, d.range.start) for d in parsed.diagnostics] == [
        (Code.INVALID_VALUE, Position(0, 7)),
        (Code.INVALID_VALUE, Position(1, 3)),
    ]
