"""Exception types raised by priorkit.

Every message follows one shape, so that a user can act on it without reading code::

    <where>: expected <what> (got <value>). <how to fix / valid choices>
"""

from __future__ import annotations


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
    ``(got ...)`` part of a one-line error."""
    text = str(error).strip().splitlines()
    return text[0][:limit] if text else type(error).__name__
