"""Code points ↔ UTF-16 / UTF-8 units, with the characters that make them differ."""

from __future__ import annotations

import pytest

from vllm_wizard.profile.positions import column_to_units, split_lines, units_to_column

LINE = 'model: {id: "日本語😀", dtype: fp99}'
DTYPE_VALUE_CP = LINE.index("fp99")


def test_the_fixture_line_is_what_we_think() -> None:
    assert DTYPE_VALUE_CP == 27  # 3 CJK characters and one emoji are 4 code points


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-32", 27),
        ("utf-16", 28),  # the emoji is a surrogate pair: one extra unit
        ("utf-8", 27 - 4 + 3 * 3 + 4),  # CJK: 3 bytes each, emoji: 4 bytes
    ],
)
def test_column_converts_to_each_encoding(encoding: str, expected: int) -> None:
    assert column_to_units(LINE, DTYPE_VALUE_CP, encoding) == expected  # type: ignore[arg-type]
    assert units_to_column(LINE, expected, encoding) == DTYPE_VALUE_CP  # type: ignore[arg-type]


def test_half_a_surrogate_pair_snaps_to_the_character() -> None:
    emoji = LINE.index("😀")
    inside = column_to_units(LINE, emoji, "utf-16") + 1
    assert units_to_column(LINE, inside, "utf-16") == emoji + 1


def test_split_lines_treats_crlf_and_cr_as_one_break() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
