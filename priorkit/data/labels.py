"""``LabelSpace``: the fixed mapping between label values and class indices of a run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral

import numpy as np

from priorkit.data.problems import DataValidationError, Problem, place, show_value
from priorkit.data.sample import Label, TreeSample
from priorkit.errors import ConfigError, PriorkitError


class UnknownLabelError(PriorkitError, ValueError):
    """A label that the label space (the training data) never saw."""


def _order(label: Label) -> tuple[int, str, int]:
    return (0, "", label) if isinstance(label, int) else (1, label, 0)


@dataclass(frozen=True)
class LabelSpace:
    """Sorted class names; integers sort numerically before strings.

    Args:
        names: the label values, in class-index order.
    """

    names: tuple[Label, ...]

    def __post_init__(self) -> None:
        """``names`` as a tuple of distinct strings or integers (a list is taken as one, numpy's
        integers as ``int``); a :class:`ConfigError` for anything else."""
        if isinstance(self.names, str | bytes) or not isinstance(self.names, Sequence):
            raise ConfigError(
                f"LabelSpace: expected the class names, a list of strings or integers (got "
                f"{type(self.names).__name__}); from a dataset: pk.LabelSpace.from_labels(dataset.labels)."
            )
        names = tuple(_as_label(name, f"LabelSpace: names[{i}]") for i, name in enumerate(self.names))
        if len(set(names)) < len(names):
            repeated = sorted({repr(n) for n in names if names.count(n) > 1})
            raise ConfigError(
                f"LabelSpace: expected each class name once (got {', '.join(repeated)} more than once)."
            )
        object.__setattr__(self, "names", names)

    @classmethod
    def from_labels(cls, labels: Iterable[Label]) -> LabelSpace:
        """The classes of ``labels`` (e.g. ``dataset.labels``): strings or integers, each
        label once however often it occurs.

        Raises:
            ConfigError: ``labels`` is not a list of them, or one is missing (None) or of
                another kind (the position is named).
        """
        if isinstance(labels, str | bytes) or not isinstance(labels, Iterable):  # a Counter: its keys
            shown = type(labels).__name__
            raise ConfigError(f"labels: expected a list of labels, e.g. dataset.labels (got {shown}).")
        values = []
        for i, label in enumerate(labels):
            if label is None:
                raise ConfigError(
                    f"labels[{i}]: expected a label (got None): that sample is unlabelled. Leave "
                    "unlabelled samples out, or label them."
                )
            values.append(_as_label(label, f"labels[{i}]"))
        return cls(tuple(sorted(set(values), key=_order)))

    def __len__(self) -> int:
        return len(self.names)

    def index(self, label: Label, where: str = "label") -> int:
        """Class index of ``label``; raises :class:`UnknownLabelError` naming the valid labels."""
        try:
            return self._lookup[label]
        except KeyError:
            raise UnknownLabelError(
                f"{where}: expected one of {', '.join(map(repr, self.names))} (got {show_value(label)}). "
                "The model was trained on these labels only; map the label or retrain."
            ) from None

    @cached_property
    def _lookup(self) -> dict[Label, int]:
        return {name: i for i, name in enumerate(self.names)}


def _as_label(value: object, where: str) -> Label:
    """``value`` as a class name: a string, or an integer (numpy's as ``int``, never a boolean);
    a :class:`ConfigError` naming ``where`` for anything else."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, str | Integral):
        shown = "None" if value is None else type(value).__name__
        raise ConfigError(f"{where}: expected a string or an integer (got {shown}).")
    return value if isinstance(value, str) else int(value)


def label_space_or_none(labels: object, where: str = "labels") -> LabelSpace | None:
    """``labels`` when it is a :class:`LabelSpace` or None; a clear error for anything else
    (a list of names, a dict)."""
    if labels is None or isinstance(labels, LabelSpace):
        return labels
    raise ConfigError(
        f"{where}: expected a LabelSpace or None (got {type(labels).__name__}); make one with "
        "pk.LabelSpace.from_labels(dataset.labels)."
    )


def unlabelled(sample: TreeSample, where: str) -> Problem:
    """The problem of a sample without a label where ``where`` (training, evaluation) needs one."""
    file, number, unit = place(sample.source or where)
    return Problem(
        file,
        number,
        sample.id,
        "label",
        f"missing ({where} needs a label on every sample)",
        None,
        "add the label, or leave the sample to prediction (`priorkit predict`)",
        unit,
    )


def require_labels(samples: Sequence[TreeSample], where: str) -> None:
    """Refuse unlabelled samples where labels are needed (training, evaluation, splits).

    Raises:
        DataValidationError: one problem per unlabelled sample, naming its file and line.
    """
    problems = [unlabelled(sample, where) for sample in samples if sample.label is None]
    if problems:
        raise DataValidationError(problems)
