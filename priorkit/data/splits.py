"""Seeded, leakage-safe splits: every split has its own validation part, carved from training.

Early stopping and model selection use ``val`` only; ``test`` is never looked at before
the final score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from priorkit.errors import ConfigError


@dataclass(frozen=True)
class Split:
    """Indices of one train/val/test split.

    Shapes:
        train, val, test: (k,) int64, disjoint, together covering every sample once.
    """

    name: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def _carve_val(
    train: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    counts = np.unique(labels[train], return_counts=True)[1]
    stratify = labels[train] if counts.min() >= 2 else None
    fit, val = train_test_split(train, test_size=val_fraction, random_state=seed, stratify=stratify)
    return np.sort(fit), np.sort(val)


def _check(val_fraction: float, n: int, minimum: int) -> None:
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"val_fraction: expected a number in (0, 1) (got {val_fraction!r}).")
    if n < minimum:
        raise ConfigError(f"splits: expected at least {minimum} samples (got {n}).")


def stratified_kfold(
    labels: Sequence[object], k: int = 5, val_fraction: float = 0.1, seed: int = 0
) -> list[Split]:
    """k stratified folds; each fold's training part also yields a stratified validation part.

    Args:
        labels: one label per sample.
        k: number of folds (each sample is in exactly one test part).
        val_fraction: share of each training part held out for validation.
        seed: seeds the shuffles; the same seed gives the same splits.
    """
    y = np.asarray([str(v) for v in labels])
    _check(val_fraction, len(y), 2 * k)
    if k < 2:
        raise ConfigError(f"folds: expected an integer >= 2 (got {k!r}).")
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if smallest < k:
        raise ConfigError(
            f"folds: expected at most {smallest} folds, the size of the smallest class "
            f"(got {k}). Use fewer folds."
        )
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    splits = []
    for i, (train, test) in enumerate(folds):
        fit, val = _carve_val(train, y, val_fraction, seed + i)
        splits.append(Split(f"fold{i}", fit, val, np.sort(test)))
    return splits


def leave_one_group_out(
    groups: Sequence[object], labels: Sequence[object], val_fraction: float = 0.1, seed: int = 0
) -> list[Split]:
    """One split per group (a PHEME event): test on that group, train and validate on the others.

    Args:
        groups: one group per sample; None is not allowed.
        labels: one label per sample (stratifies the validation part).
        val_fraction: share of the training part held out for validation.
        seed: seeds the validation carve-out.
    """
    if any(g is None for g in groups):
        missing = next(i for i, g in enumerate(groups) if g is None)
        raise ConfigError(
            f"groups: expected a group on every sample (got None at sample {missing}). "
            "Set `group` on every sample, or use stratified k-fold."
        )
    g = np.asarray([str(v) for v in groups])
    y = np.asarray([str(v) for v in labels])
    names = sorted(set(g))
    _check(val_fraction, len(y), 2)
    if len(names) < 2:
        raise ConfigError(f"groups: expected at least 2 groups (got {names}).")
    splits = []
    for i, name in enumerate(names):
        test = np.flatnonzero(g == name)
        fit, val = _carve_val(np.flatnonzero(g != name), y, val_fraction, seed + i)
        splits.append(Split(name, fit, val, test))
    return splits
