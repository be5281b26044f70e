"""Text from users and data written into Markdown and CSV outputs, escaped so that it stays text:
a ``|`` cannot add a table column, a newline cannot end a row, ``<script>`` is not HTML, and a
spreadsheet does not run ``=cmd|...`` as a formula. (HTML outputs use :func:`html.escape`.)"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads these as a formula (OWASP)
_MARKDOWN = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "`": "'", "\n": " ", "\r": " "})


def markdown_text(value: Any) -> str:
    """``value`` as text for a Markdown table cell, heading or code span."""
    return str(value).translate(_MARKDOWN)


def path_safe(name: str) -> str:
    """``name`` as one file or folder name: every character but letters, digits and ``-_.=@``
    replaced by ``_`` (no separator, no ``..`` path)."""
    return "".join(c if c.isalnum() or c in "-_.=@" else "_" for c in name)


def clipped(name: str, max_bytes: int) -> str:
    """``name`` cut to at most ``max_bytes`` bytes of UTF-8 (at a character's end): file names
    are limited in bytes (255 on most systems), and one CJK character takes 3, some 4."""
    return name.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def csv_cell(value: Any) -> Any:
    """A string that a spreadsheet would run as a formula, prefixed with ``'``; anything else
    (numbers included) unchanged. :func:`csv_value` undoes it on reading."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value  # quotes before a formula too, so that reading back is exact
    return value


def csv_value(value: Any) -> Any:
    """The value :func:`csv_cell` was given."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value
