"""``UserVocabulary``: the users seen often enough in training data, as embedding indices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from priorkit.data.sample import TreeSample


@dataclass(frozen=True)
class UserVocabulary:
    """User ids that occur in at least ``min_count`` training trees, numbered from 1.

    Index 0 stands for every other user (unseen, rare, or absent), so a model never gets an
    embedding it could only have fitted to a single training tree. Saved with a run, so that
    evaluation maps ids exactly as training did.

    Args:
        ids: the known user ids, in index order (index of ``ids[k]`` is ``k + 1``).
        min_count: the threshold the vocabulary was built with (kept for the record).
    """

    ids: tuple[str, ...]
    min_count: int = 2
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {user: k + 1 for k, user in enumerate(self.ids)})

    @classmethod
    def build(cls, samples: Iterable[TreeSample], min_count: int = 2) -> UserVocabulary:
        """Count each user once per tree; keep those in ``min_count`` trees or more, sorted."""
        return cls.from_counts(Counter(user for sample in samples for user in tree_users(sample)), min_count)

    @classmethod
    def from_counts(cls, trees: Counter[str], min_count: int = 2) -> UserVocabulary:
        """From the number of trees each user occurs in (:func:`tree_users` per tree)."""
        return cls(tuple(sorted(user for user, n in trees.items() if n >= min_count)), min_count)

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, sample: TreeSample) -> np.ndarray:
        """Index of each node's user, 0 where unknown.

        Shapes:
            -> (n,) int64.
        """
        if sample.user is None:
            return np.zeros(sample.num_nodes, dtype=np.int64)
        index = self._index
        return np.fromiter((index.get(u, 0) for u in sample.user), dtype=np.int64, count=sample.num_nodes)

    def to_dict(self) -> dict[str, object]:
        return {"min_count": self.min_count, "ids": list(self.ids)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> UserVocabulary:
        return cls(tuple(data["ids"]), int(data["min_count"]))  # type: ignore[arg-type]


def tree_users(sample: TreeSample) -> set[str]:
    """The distinct known users of one tree."""
    return {user for user in sample.user or () if user is not None}
