"""Issue 12.26: completion with the cursor before a value already written (`gpu_name: |"H100"`,
what an editor gives when the user clicks before the quote or asks for completion right after
the colon) offered nothing. It now offers the field's values, each replacing the whole value,
in the quotes the user wrote (literals such as `null` or `true` stay unquoted, so they keep
their type)."""

from __future__ import annotations

import pytest

from lsp.cursor_marker import at_cursor
from vllm_wizard.lsp.completion import complete
from vllm_wizard.lsp.model import CompletionResult
from vllm_wizard.profile.positions import Range


def _item(marked: str, label: str) -> CompletionResult:
    text, position = at_cursor(marked)
    found = [i for i in complete(text, position).items if i.label == label]
    assert len(found) == 1, [i.label for i in complete(text, position).items]
    return found[0]


def _replaced(marked: str, label: str) -> str:
    """The line after the item is applied, as an editor applies its edit."""
    text, _ = at_cursor(marked)
    found = _item(marked, label)
    edit = found.edit_range
    assert edit.start.line == edit.end.line
    line = text.splitlines()[edit.start.line]
    return line[: edit.start.character] + found.insert_text + line[edit.end.character :]


@pytest.mark.parametrize(
    ("marked", "label", "line"),
    [
        ('hardware:\n  gpu_name: <CURSOR>"H100 SXM"\n', "RTX 4090", '  gpu_name: "RTX 4090"'),
        ("model:\n  dtype: <CURSOR>'auto'\n", "bfloat16", "  dtype: 'bfloat16'"),
        ('model:\n  dtype:<CURSOR> "auto"  # mine\n', "float16", '  dtype: "float16"  # mine'),
        ('model:\n  max_model_len: <CURSOR>"auto"\n', "null", "  max_model_len: null"),
        ('workload:\n  streaming: <CURSOR>"true"\n', "false", "  streaming: false"),
        ('model: {dtype: <CURSOR>"auto"}\n', "float32", 'model: {dtype: "float32"}'),
        ('outputs:\n  emit:\n    - <CURSOR>"command"\n', "k8s", '    - "k8s"'),
        ("hardware:\n  gpu_name:<CURSOR> H100 SXM\n", "L40S", "  gpu_name: L40S"),
        ("model:\n  dtype:<CURSOR>  # later\n", "bfloat16", "  dtype: bfloat16  # later"),
    ],
)  # fmt: skip
def test_a_value_chosen_before_the_written_one_replaces_it(
    marked: str, label: str, line: str
) -> None:
    assert _replaced(marked, label) == line


def test_the_range_covers_the_quotes_and_holds_the_cursor() -> None:
    """LSP: a completion's edit is one line and contains the cursor's position."""
    found = _item('hardware:\n  gpu_name: <CURSOR>"H100 SXM"\n', "RTX 4090")
    assert found.edit_range == Range.at(1, 12, 10)
    assert found.insert_text == '"RTX 4090"'


def test_still_nothing_after_a_closing_quote_or_in_a_comment() -> None:
    for marked in ('model:\n  dtype: "auto"<CURSOR>\n', "model:\n  dtype: auto # c<CURSOR>\n"):
        text, position = at_cursor(marked)
        assert complete(text, position).items == []
