"""``TreeDataset``: the samples a loader produced, with the report of what loading did."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from priorkit.data.problems import Problem
from priorkit.data.sample import Label, TreeSample
from priorkit.data.times import every_time
from priorkit.errors import ConfigError


@dataclass(frozen=True)
class DroppedSample:
    """A sample left out under the ``skip`` policy, with why."""

    id: str
    line: int
    problems: list[Problem]


@dataclass
class LoadReport:
    """What loading a source did, so that nothing is lost silently.

    Args:
        source: the file or folder loaded.
        dropped: samples left out (``skip`` policy, or a loader's stated policy).
        changes: counts of what a loader's repair policies changed, e.g.
            ``{"self_loop_edges_removed": 1218}``.
    """

    source: str
    dropped: list[DroppedSample] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, amount: int = 1) -> None:
        self.changes[key] = self.changes.get(key, 0) + amount

    def lines(self) -> list[str]:
        """Human-readable lines: one per change and one per dropped sample."""
        out = [f"{self.source}: {key.replace('_', ' ')}: {n}" for key, n in self.changes.items() if n]
        for drop in self.dropped:
            reasons = "; ".join(f"{p.field}: {p.message}" for p in drop.problems[:3])
            out.append(f"{self.source}:{drop.line}: sample {drop.id}: dropped ({reasons})")
        return out


class TreeDataset(Sequence[TreeSample]):
    """An ordered collection of samples plus its :class:`LoadReport`.

    Args:
        samples: the samples.
        report: what loading did; a fresh empty report when omitted.
    """

    def __init__(self, samples: list[TreeSample], report: LoadReport | None = None) -> None:
        self.samples = list(samples)
        self.report = report if report is not None else LoadReport(source="<memory>")

    def __len__(self) -> int:
        return len(self.samples)

    @overload
    def __getitem__(self, index: int) -> TreeSample: ...

    @overload
    def __getitem__(self, index: slice | Sequence[int] | np.ndarray) -> TreeDataset: ...

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
            return self.samples[self._position(int(index))]
        if isinstance(index, slice):
            return TreeDataset(self.samples[index], self.report)
        return TreeDataset([self.samples[i] for i in self._positions(index)], self.report)

    def _position(self, index: int) -> int:
        if not -len(self) <= index < len(self):
            raise IndexError(f"sample index {index}: out of range (the dataset holds {len(self)} samples)")
        return index

    def _positions(self, index: object) -> list[int]:
        """The sample positions an index of many names: whole numbers, or a mask of booleans
        as long as the dataset (as numpy reads one)."""
        kinds = "an integer, a slice, a sequence of integers or a boolean mask"
        if isinstance(index, (str, bytes, Mapping)) or not isinstance(index, Iterable):
            raise ConfigError(f"TreeDataset index: expected {kinds} (got {type(index).__name__}).")
        items = np.asarray(index if isinstance(index, np.ndarray) else list(index))
        if items.dtype == bool:
            if items.shape != (len(self),):
                raise ConfigError(
                    f"TreeDataset index: a boolean mask must hold one value per sample ({len(self)}; "
                    f"got shape {items.shape})."
                )
            return np.flatnonzero(items).tolist()
        if items.size and (items.ndim != 1 or not np.issubdtype(items.dtype, np.integer)):
            raise ConfigError(f"TreeDataset index: expected {kinds} (got items of type {items.dtype}).")
        return [self._position(int(i)) for i in items]

    def __iter__(self) -> Iterator[TreeSample]:
        return iter(self.samples)

    def __repr__(self) -> str:
        return f"TreeDataset({len(self)} samples from {self.report.source})"

    @property
    def labels(self) -> list[Label | None]:
        return [s.label for s in self.samples]

    @property
    def groups(self) -> list[str | None]:
        return [s.group for s in self.samples]

    def relabel(self, renames: Mapping[str, Label]) -> TreeDataset:
        """Rename labels in place (``{"false": "rumour"}``; a label matches by its text, labels
        not named stay) and return the dataset.

        Raises:
            ConfigError: a renamed label that no sample has (a typo would rename nothing).
        """
        present = {str(s.label) for s in self.samples if s.label is not None}
        unknown = sorted(set(map(str, renames)) - present)
        if unknown:
            raise ConfigError(
                f"{self.report.source}: relabel: expected labels the data have, {', '.join(sorted(present))} "
                f"(got {', '.join(map(repr, unknown))}). Fix the names: a label matches by its text."
            )
        for sample in self.samples:
            if sample.label is not None:
                sample.label = renames.get(str(sample.label), sample.label)
        return self

    def drop_features(self) -> TreeDataset:
        """Remove every sample's node features in place and return the dataset (for a model
        that must score a collection whose nodes carry other features, or none)."""
        for sample in self.samples:
            sample.features = None
        return self

    def group_by_period(self, periods: int) -> TreeDataset:
        """Set every sample's ``group`` to its post-time period and return the dataset: the
        samples ordered by ``created_at`` cut into ``periods`` parts of equal size (``period0``
        the oldest; samples of one time share a period). Replaces any group the data had.

        Raises:
            ConfigError: fewer than 2 periods, more periods than samples, or a sample without a time.
        """
        t = every_time(
            [s.created_at for s in self.samples],
            [s.id for s in self.samples],
            "periods: every sample needs a time (`created_at`) to be put in a period",
            "Set `created_at` on every sample, or give the samples groups of their own.",
        )
        if not 2 <= periods <= len(self):
            raise ConfigError(f"periods: expected 2 to {len(self)} periods, one per group (got {periods}).")
        ranks = np.searchsorted(np.sort(t), t, side="left")  # samples of one time share a rank
        for sample, rank in zip(self.samples, ranks, strict=True):
            sample.group = f"period{rank * periods // len(self)}"
        return self

    @property
    def num_features(self) -> int:
        return self.samples[0].num_features if self.samples else 0
