"""A tiny decorator registry with forgiving, case/``-``/``_``-insensitive lookup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from priorkit.errors import RegistryError

T = TypeVar("T")


def normalise_name(name: str) -> str:
    """``"Depth-Decay"`` and ``"depth_decay"`` name the same entry."""
    return name.strip().lower().replace("-", "_")


class Registry(Generic[T]):
    """Maps names to objects (classes, functions) registered with :meth:`register`.

    Args:
        kind: what the registry holds, used in error messages (``"prior"``, ``"format"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its target under ``name``."""

        def add(obj: T) -> T:
            key = normalise_name(name)
            if key in self._entries:
                raise RegistryError(f"{self.kind} {name!r} is registered twice")
            self._entries[key] = obj
            return obj

        return add

    def get(self, name: str) -> T:
        """The entry called ``name``; raises :class:`RegistryError` listing the valid names."""
        key = normalise_name(name) if isinstance(name, str) else None
        if key is None or key not in self._entries:
            valid = ", ".join(self.names()) or "(none registered yet)"
            raise RegistryError(
                f"{self.kind}: expected one of {valid} (got {name!r}). "
                f"Check the spelling of the {self.kind} name."
            )
        return self._entries[key]

    def validated(self, name: str) -> str:
        """``name`` if registered, for config validators: raises ``ValueError`` listing the valid names."""
        if name not in self:
            raise ValueError(f"expected one of {', '.join(self.names())} (got {name!r})")
        return name

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_name(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
