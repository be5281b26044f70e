"""``DataSchema``: what a trained model fixes about its data (labels, feature width, users)."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from priorkit.data.labels import LabelSpace, require_labels, unlabelled
from priorkit.data.problems import DataValidationError, Problem
from priorkit.data.sample import Label, TreeSample
from priorkit.data.schema import MAX_FEATURES
from priorkit.data.users import UserVocabulary, tree_users
from priorkit.errors import PriorkitError


class IncompatibleDataError(PriorkitError, ValueError):
    """Data that a trained run cannot score: unseen labels, another feature width."""


@dataclass(frozen=True)
class DataSchema:
    """What a run fixes about its data: the labels and the node feature width.

    Args:
        labels: the label space of the training data.
        num_features: node feature width; sparse: bag-of-words features.
        node_text: whether samples carry node texts.
        users: the training user vocabulary (``node_input.users: vocab``), else None.
        groups: the groups (``group`` field: events, stories, periods) of the training samples,
            sorted; empty when they have none.
        class_mix: the share of each label among the training samples, in label order (empty:
            not recorded, a run of an earlier priorkit).
        ungrouped: the ids of the training samples without a group when others have one (for
            priors about groups to refuse; not saved: a trained model has passed that check).
        pairs: how many training samples are counterfactuals of another training sample (their
            ``counterfactual_of``), for priors about pairs to refuse none; -1: not known (not
            saved, like ``ungrouped``).
        unpaired: the ids of the training samples whose ``counterfactual_of`` names no training
            sample (for priors about pairs to refuse; not saved, like ``ungrouped``).
        important: how many training samples mark some node important (``importance`` above
            0), for priors that learn from it to refuse none; -1: not known (not saved).
    """

    labels: LabelSpace
    num_features: int
    sparse: bool
    node_text: bool
    users: UserVocabulary | None = None
    groups: tuple[str, ...] = ()
    class_mix: tuple[float, ...] = ()
    ungrouped: tuple[str, ...] = field(default=(), compare=False)
    pairs: int = field(default=-1, compare=False)
    unpaired: tuple[str, ...] = field(default=(), compare=False)
    important: int = field(default=-1, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.num_features <= MAX_FEATURES:
            raise ValueError(f"num_features: expected 0 to {MAX_FEATURES:,} (got {self.num_features})")
        if self.class_mix and len(self.class_mix) != len(self.labels.names):
            count = len(self.labels.names)
            raise ValueError(f"class_mix: expected one share per label, {count} (got {len(self.class_mix)})")
        if not all(math.isfinite(share) and 0 <= share <= 1 for share in self.class_mix):
            raise ValueError(f"class_mix: expected shares from 0 to 1 (got {list(self.class_mix)})")

    @classmethod
    def of(cls, train: Iterable[TreeSample], user_min_count: int | None = None) -> DataSchema:
        """The schema of training data (any samples, read once: a dataset in memory or a
        streamed file); with ``user_min_count``, also its user vocabulary."""
        survey = _Survey()
        for sample in train:
            survey.add(sample)
        if not survey.count:
            raise IncompatibleDataError(
                "data.train: expected at least one training sample (got none). Check the file or split."
            )
        if survey.unlabelled:
            raise DataValidationError(survey.unlabelled)
        if len(survey.labels) < 2:
            (only, count), *_ = survey.labels.items()
            raise IncompatibleDataError(
                f"data.train: expected samples of two labels or more (got {count} of {only!r} and none of "
                "any other). A classifier learns nothing from one class: check the split and the label field."
            )
        labels = LabelSpace.from_labels(survey.labels)
        return cls(
            labels,
            survey.num_features,
            survey.sparse,
            survey.node_text,
            None if user_min_count is None else UserVocabulary.from_counts(survey.users, user_min_count),
            tuple(sorted(survey.groups)),
            tuple(survey.labels[name] / survey.count for name in labels.names),
            () if len(survey.ungrouped) == survey.count else tuple(survey.ungrouped),
            sum(1 for _, original in survey.originals if original in survey.ids),
            tuple(sample for sample, original in survey.originals if original not in survey.ids),
            survey.important,
        )

    def check(self, dataset: Sequence[TreeSample], where: str, labelled: bool = True) -> None:
        """Refuse data this run cannot score, naming the reason and the fix.

        Args:
            dataset: the samples; where: names them in messages.
            labelled: the data must carry labels the run knows (scoring); False for prediction,
                where labels, if any, are not read.
        """
        if labelled:
            self._check_labels(dataset, where)
        wrong = next((s for s in dataset if s.num_features != self.num_features), None)
        if wrong is not None:
            raise IncompatibleDataError(
                f"{where}: sample {wrong.id} ({wrong.source or 'in memory'}): expected {self.num_features} "
                f"node features (got {wrong.num_features}). "
                "Use data built like the training data (same converter and settings)."
            )

    def _check_labels(self, dataset: Sequence[TreeSample], where: str) -> None:
        """Every sample has a label the run knows, written as training wrote it."""
        require_labels(dataset, where)
        names = {str(n): n for n in self.labels.names}
        first = next((s for s in dataset if str(s.label) not in names), None)
        if first is not None:
            unseen = sorted({str(s.label) for s in dataset} - set(names))
            known = ", ".join(map(repr, map(str, self.labels.names)))
            alike = {unicodedata.normalize("NFC", n): n for n in names}.get(
                unicodedata.normalize("NFC", str(first.label))
            )
            hint = f" ({first.label!r} is {alike!r} in other Unicode code points)" if alike else ""
            raise IncompatibleDataError(
                f"{where}: sample {first.id} ({first.source or 'in memory'}): label: expected one of {known} "
                f"(got {', '.join(map(repr, unseen))}){hint}. The run was trained on those labels only; "
                "relabel the data or train on it."
            )
        kind = next((s for s in dataset if names[str(s.label)] != s.label), None)
        if kind is not None:
            raise IncompatibleDataError(
                f"{where}: sample {kind.id} ({kind.source or 'in memory'}): expected the label "
                f"{names[str(kind.label)]!r} as training wrote it (got {kind.label!r}). Write every label "
                "the same way (all strings or all numbers): they would be two classes."
            )

    def to_dict(self) -> dict[str, object]:
        return {
            "labels": list(self.labels.names),
            "num_features": self.num_features,
            "sparse": self.sparse,
            "node_text": self.node_text,
            "users": None if self.users is None else self.users.to_dict(),
            "groups": list(self.groups),
            "class_mix": list(self.class_mix),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DataSchema:
        """The schema :meth:`to_dict` wrote; a value of the wrong kind is refused, not coerced
        (a string of labels read as its letters, ``"false"`` as true).

        Raises:
            TypeError, ValueError, KeyError: naming the key (a damaged or hand-edited file).
        """
        if not isinstance(data, dict):
            raise TypeError(f"expected a mapping (got {type(data).__name__})")
        labels, width = data["labels"], data["num_features"]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(name, str | int) and not isinstance(name, bool) for name in labels)
            or len({str(name) for name in labels}) != len(labels)
        ):
            raise ValueError(f"labels: expected a list of distinct label names (got {labels!r})")
        if not isinstance(width, int) or isinstance(width, bool):
            raise ValueError(f"num_features: expected a whole number (got {width!r})")
        for flag in ("sparse", "node_text"):
            if not isinstance(data[flag], bool):
                raise ValueError(f"{flag}: expected true or false (got {data[flag]!r})")
        return cls(
            LabelSpace(tuple(labels)),
            width,
            bool(data["sparse"]),
            bool(data["node_text"]),
            None if data.get("users") is None else UserVocabulary.from_dict(data["users"]),  # type: ignore[arg-type]
            tuple(str(g) for g in data.get("groups") or ()),  # type: ignore[union-attr]
            tuple(float(v) for v in data.get("class_mix") or ()),  # type: ignore[union-attr]
        )


class _Survey:
    """What :meth:`DataSchema.of` gathers from training samples, one sample at a time."""

    def __init__(self) -> None:
        self.count = 0
        self.labels: Counter[Label] = Counter()
        self.unlabelled: list[Problem] = []
        self.num_features, self.sparse, self.node_text = 0, False, False
        self.users: Counter[str] = Counter()  # trees each user occurs in
        self.groups: set[str] = set()
        self.ungrouped: list[str] = []  # ids of the samples without a group
        self.ids: set[str] = set()
        self.originals: list[tuple[str, str]] = []  # each counterfactual's id and counterfactual_of
        self.important = 0  # samples with a node of importance above 0

    def add(self, sample: TreeSample) -> None:
        if not self.count:
            self.num_features = sample.num_features
            self.sparse = sample.features is not None and not isinstance(sample.features, np.ndarray)
            if self.num_features > MAX_FEATURES:
                raise IncompatibleDataError(
                    f"data.train: sample {sample.id} ({sample.source or 'in memory'}): features: expected at "
                    f"most {MAX_FEATURES:,} (2**24) per node (got {self.num_features:,}): the node encoder "
                    "holds a row of weights per feature. Hash the vocabulary into fewer columns."
                )
        self.count += 1
        self.ids.add(sample.id)
        if sample.counterfactual_of and sample.counterfactual_of != sample.id:
            self.originals.append((sample.id, sample.counterfactual_of))
        if sample.label is None:
            self.unlabelled.append(unlabelled(sample, "training"))
        else:
            self.labels[sample.label] += 1
        self.node_text = self.node_text or sample.node_text is not None
        self.important += int(sample.importance is not None and bool((sample.importance > 0).any()))
        self.users.update(tree_users(sample))
        if sample.group:
            self.groups.add(str(sample.group))
        else:
            self.ungrouped.append(sample.id)
