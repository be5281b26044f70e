"""A tiny decorator registry with forgiving, case/``-``/``_``-insensitive lookup.

Entries come from three places: ``@REGISTRY.register(name)`` in any imported module; built-in
entries named as ``"module:attribute"`` and imported on first use (so that the modules that
define them need not import the registry); and, for registries with an entry-point group
(``priorkit.priors``, ``priorkit.fusions``, ``priorkit.formats``), the entry points of
installed packages, loaded the first time a name is not found.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from priorkit.errors import RegistryError

T = TypeVar("T")


def normalise_name(name: str) -> str:
    """``"Depth-Decay"`` and ``"depth_decay"`` name the same entry."""
    return name.strip().lower().replace("-", "_")


def import_object(target: str) -> Any:
    """``"package.module:attribute"`` -> the attribute (``"package.module"`` -> the module)."""
    module, _, attribute = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


class Registry(Generic[T]):
    """Maps names to objects (classes, functions) registered with :meth:`register`.

    Args:
        kind: what the registry holds, used in error messages (``"prior"``, ``"format"``).
        builtin: names of entries imported on first use, ``{"jsonl": "priorkit.data.jsonl:read_jsonl"}``.
        group: the entry-point group installed packages add entries to, or None.
    """

    def __init__(self, kind: str, builtin: Mapping[str, str] | None = None, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, T] = {}
        self._lazy: dict[str, str] = {normalise_name(k): v for k, v in (builtin or {}).items()}
        self._builtin = frozenset(self._lazy)
        self._scanned = group is None

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its target under ``name``."""

        def add(obj: T) -> T:
            key = normalise_name(name)
            taken = key in self._entries and self._entries[key] is not obj
            if taken or (key in self._builtin and key not in self._entries):
                raise RegistryError(f"{self.kind} {name!r} is registered twice")
            self._entries[key] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        """The entry called ``name``; raises :class:`RegistryError` listing the valid names."""
        key = normalise_name(name) if isinstance(name, str) else None
        if key is not None and key not in self._entries:
            self._resolve(key)
        if key is None or key not in self._entries:
            valid = ", ".join(self.names()) or "(none registered yet)"
            raise RegistryError(
                f"{self.kind}: expected one of {valid} (got {name!r}). "
                f"Check the spelling of the {self.kind} name, or import the module that registers it "
                "(a config's `imports:` list)."
            )
        return self._entries[key]

    def _resolve(self, key: str) -> None:
        """Import the entry ``key`` names, built in or installed, if there is one."""
        if key not in self._lazy:
            self._scan()
        if key in self._lazy:
            self._entries.setdefault(key, import_object(self._lazy[key]))

    def _scan(self) -> None:
        """Add the installed packages' entry points of the group (once)."""
        if self._scanned:
            return
        self._scanned = True
        for point in entry_points(group=self.group or ""):
            name = normalise_name(point.name)
            if name not in self._entries and name not in self._lazy:
                self._lazy[name] = point.value

    def validated(self, name: str) -> str:
        """``name`` if registered, for config validators: raises ``ValueError`` listing the valid names."""
        if name not in self:
            raise ValueError(f"expected one of {', '.join(self.names())} (got {name!r})")
        return name

    def names(self) -> list[str]:
        """The registered names (built-in and installed ones included), sorted."""
        self._scan()
        return sorted(set(self._entries) | set(self._lazy))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalise_name(name)
        if key not in self._entries:
            self._resolve(key)
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
