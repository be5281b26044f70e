"""Exception types raised by priorkit.

Every message follows one shape, so that a user can act on it without reading code::

    <where>: expected <what> (got <value>). <how to fix / valid choices>
"""

from __future__ import annotations

import json


class PriorkitError(Exception):
    """Base class of every error priorkit raises on purpose."""


class ConfigError(PriorkitError, ValueError):
    """A configuration (YAML file, mapping or constructor argument) is invalid."""


class RegistryError(PriorkitError, KeyError):
    """A name was looked up in a registry that does not hold it."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (its type name when it has none), for the
    ``(got ...)`` part of a one-line error; a first line that only heads a list is followed by
    the list's first item."""
    text = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not text:
        return type(error).__name__
    if text[0].endswith(":") and len(text) > 1:  # a heading ("Error(s) in loading state_dict for X:")
        return f"{text[0]} {text[1]}"[:limit]
    return text[0][:limit]


def visible(text: str) -> str:
    """``text`` as written when every character prints (one line stays one line), else quoted
    with escapes, as JSON writes it (a sample id holding a newline or nothing but spaces)."""
    if text.strip() and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)
