"""Markdown cells stay one cell of one row; CSV cells never start a spreadsheet formula, and the
report reads back the names the study used."""

from __future__ import annotations

import pytest

from priorkit.escaping import csv_cell, csv_value, markdown_text


def test_markdown_text_keeps_a_cell_a_cell() -> None:
    assert markdown_text("a|b <i>x</i>\r\n`c`") == "a\\|b &lt;i&gt;x&lt;/i&gt;  'c'"
    assert markdown_text(3) == "3"


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0", "'=x", "''+y"]
)
def test_a_formula_is_quoted_for_spreadsheets_and_read_back_as_written(text: str) -> None:
    assert csv_cell(text) == "'" + text and csv_value(csv_cell(text)) == text


@pytest.mark.parametrize("value", ["baseline", "'quoted", "a=b", "", -1.5, 3, None])
def test_other_values_pass_unchanged_both_ways(value: object) -> None:
    assert csv_cell(value) == value and csv_value(value) == value


def test_a_name_is_clipped_to_a_byte_budget_at_a_character_end() -> None:
    from priorkit.escaping import clipped

    assert clipped("\u8bed" * 80, 120) == "\u8bed" * 40  # 3 bytes each
    assert clipped("\U00020000" * 100, 10) == "\U00020000" * 2  # 4 bytes each: never half of one
    assert clipped("short", 120) == "short"
