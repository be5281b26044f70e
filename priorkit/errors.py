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
