"""Seeded, leakage-safe splits: every split has its own validation part, carved from training.

Early stopping and model selection use ``val`` only; ``test`` is never looked at before
the final score. Four kinds: stratified k-fold (samples of one story may sit on both sides),
leave one group out (PHEME events), story k-fold (no story on both sides) and temporal (train
on older samples, test on newer). By default the validation part is drawn like the test part
(``validation="like_test"``): a whole held-out group, whole stories, the newest samples, so
that model selection and every choice made on validation data see a shift like the test's;
``validation="random"`` carves it at random from the training part instead.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from priorkit.data.sample import TreeSample
from priorkit.data.times import every_time
from priorkit.errors import ConfigError

Validation = Literal["like_test", "random"]


def shared_ids(part: Iterable[TreeSample], training: Iterable[TreeSample]) -> list[str]:
    """The ids of ``part``'s samples that are also training samples, in ``part``'s order: a
    split that leaked, or one file given for both."""
    training_ids = {sample.id for sample in training}
    return [sample.id for sample in part if sample.id in training_ids]


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
    held = math.ceil(val_fraction * len(train))
    if math.floor((1 - val_fraction) * len(train)) < 1:
        raise ConfigError(
            f"val_fraction: expected a share that leaves samples to train on (got {val_fraction}: "
            f"{held} of the {len(train)} training samples held out). Give a smaller share, e.g. 0.1."
        )
    # stratified only where every class can sit on both sides (else sklearn refuses the split)
    fits = counts.min() >= 2 and min(held, len(train) - held) >= len(counts)
    stratify = labels[train] if fits else None
    fit, val = train_test_split(train, test_size=val_fraction, random_state=seed, stratify=stratify)
    return np.sort(fit), np.sort(val)


def per_sample(**columns: object) -> None:
    """A clear error unless every named column (labels, groups, ...) is a list or array of one
    value per sample, all of one length."""
    lengths = {}
    for name, values in columns.items():
        if isinstance(values, str | bytes | Mapping) or not hasattr(values, "__len__"):
            raise ConfigError(
                f"{name}: expected one value per sample, a list or array (got {type(values).__name__})."
            )
        lengths[name] = len(values)  # type: ignore[arg-type]
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise ConfigError(f"expected one value per sample in each of {', '.join(lengths)} (got {shown}).")


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
    per_sample(labels=labels)
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
    groups: Sequence[object],
    labels: Sequence[object],
    val_fraction: float = 0.1,
    seed: int = 0,
    validation: Validation = "like_test",
) -> list[Split]:
    """One split per group (a PHEME event): test on that group, train and validate on the others.

    Args:
        groups: one group per sample; None is not allowed.
        labels: one label per sample (stratifies a random validation part).
        val_fraction: share of the training part held out for validation: with ``like_test``,
            the one training group whose size is nearest to it (ties: seeded); with ``random``,
            a stratified random share.
        seed: seeds the validation carve-out.
        validation: ``like_test`` (a whole held-out group, as the test part is) or ``random``.
    """
    per_sample(groups=groups, labels=labels)
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
    if validation == "like_test" and len(names) < 3:
        raise ConfigError(
            f"groups: a validation part of whole groups needs at least 3 groups, one to test, one to "
            f"validate, one to train on (got {len(names)}: {', '.join(map(str, names))}). "
            "Use validation: random."
        )
    splits = []
    for i, name in enumerate(names):
        test = np.flatnonzero(g == name)
        rest = np.flatnonzero(g != name)
        if validation == "like_test":
            fit, val = _carve_group(rest, g, val_fraction, seed + i)
        else:
            fit, val = _carve_val(rest, y, val_fraction, seed + i)
        splits.append(Split(name, fit, val, test))
    return splits


def _carve_group(
    train: np.ndarray, groups: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The training group whose size is nearest to ``val_fraction`` of ``train`` as validation."""
    names, sizes = np.unique(groups[train], return_counts=True)
    order = np.random.default_rng(seed).permutation(len(names))  # seeded tie-break
    gaps = np.abs(sizes[order] - val_fraction * len(train))
    chosen = names[order[int(np.argmin(gaps))]]
    held = groups[train] == chosen
    return np.sort(train[~held]), np.sort(train[held])


def story_kfold(
    stories: Sequence[object],
    labels: Sequence[object],
    k: int = 5,
    val_fraction: float = 0.1,
    seed: int = 0,
    validation: Validation = "like_test",
) -> list[Split]:
    """k folds with no story on both sides: stratified group k-fold over the stories, and a
    validation part made of whole training stories (so selection also sees new stories); with
    fewer training stories than ``1 / val_fraction``, the validation part is one of as many
    story folds as there are training stories.

    Args:
        stories: the story (group) of each sample, e.g. from :func:`priorkit.data.stories.story_groups`.
        labels: one label per sample.
        k: number of folds; val_fraction: share of each training part for validation.
        seed: seeds the assignment of stories to folds.
        validation: ``like_test`` (whole training stories) or ``random`` (a stratified random
            share of the training samples: the same story may then sit in training and validation).
    """
    per_sample(stories=stories, labels=labels)
    g = np.asarray([str(v) for v in stories])
    y = np.asarray([str(v) for v in labels])
    _check(val_fraction, len(y), 2 * k)
    if k < 2 or len(set(g)) < k:
        raise ConfigError(f"folds: expected 2 <= k <= the number of stories ({len(set(g))}) (got {k}).")
    largest = _largest_class(y)
    if k > largest:
        raise ConfigError(
            f"folds: expected k <= the samples of the largest class ({largest}) (got {k}); "
            "use fewer folds or more data."
        )
    splits = []
    for i, (train, test) in enumerate(_group_folds(g, y, k, seed)):
        if validation == "random":
            fit, val = _carve_val(train, y, val_fraction, seed + i)
            splits.append(Split(f"fold{i}", fit, val, np.sort(test)))
            continue
        # as many inner folds as 1 / val_fraction, at most one per training story and no more
        # than the largest class has samples (the stratified splitter's own limit)
        inner = min(max(2, round(1.0 / val_fraction)), len(set(g[train])), _largest_class(y[train]))
        if inner < 2:
            raise ConfigError(f"folds: fold {i} has one training story; a validation part needs two.")
        fit, val = _group_folds(g[train], y[train], inner, seed + i + 1)[0]
        splits.append(Split(f"fold{i}", np.sort(train[fit]), np.sort(train[val]), np.sort(test)))
    return splits


def _largest_class(labels: np.ndarray) -> int:
    return int(np.unique(labels, return_counts=True)[1].max())


def _group_folds(
    groups: np.ndarray, labels: np.ndarray, k: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    with warnings.catch_warnings():  # "the least populated class has only n members": expected here
        warnings.simplefilter("ignore", UserWarning)
        folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(folds.split(np.zeros(len(labels)), labels, groups))


def temporal_splits(
    times: Sequence[float | None],
    ids: Sequence[str],
    k: int = 1,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    validation: Validation = "like_test",
    seed: int = 0,
    labels: Sequence[object] | None = None,
) -> list[Split]:
    """Train on older samples, test on newer ones, by each sample's time.

    The newest ``k * test_fraction`` of the samples form ``k`` consecutive test blocks; fold i
    tests on block i and trains on every older sample, whose newest ``val_fraction`` is the
    validation part (selection also looks forward in time). Samples posted at the same time
    never straddle a cut. With ``labels``, the cuts are made within each class (its newest
    samples are tested, its older ones trained on), so that every class sits on every side even
    where the classes were collected in different periods (Twitter15).

    Args:
        times: each sample's time (``created_at``); None or NaN is an error.
        ids: sample ids, to name a sample without a time.
        k: number of test blocks; test_fraction: share of the samples in each block.
        validation: ``like_test`` (the newest ``val_fraction`` of the older samples) or
            ``random`` (a random share of them, seeded by ``seed``).
        labels: one label per sample to cut each class at its own times; None: one cut for all.
    """
    per_sample(times=times, ids=ids, **({} if labels is None else {"labels": labels}))
    t = every_time(
        times,
        ids,
        "folds: temporal splits need a time on every sample",
        "Set `created_at` on every sample (seconds since 1970 or an ISO 8601 time), or use another "
        "split kind.",
    )
    if k < 1 or not 0.0 < k * test_fraction < 1.0:
        raise ConfigError(
            "folds: temporal needs k >= 1 and 0 < k * test_fraction < 1 "
            f"(got k={k}, test_fraction={test_fraction})."
        )
    _check(val_fraction, len(t), 3 * (k + 1))
    if labels is None:
        cuts = [("", np.arange(len(t)))]
    else:
        y = np.asarray([str(v) for v in labels])
        cuts = [(f" of class {c!r}", np.flatnonzero(y == c)) for c in sorted(set(y.tolist()))]
    blocks = [
        _time_blocks(t, members, name, k, test_fraction, val_fraction, validation, seed)
        for name, members in cuts
    ]
    return [
        Split(f"fold{i}", *(np.sort(np.concatenate([b[i][part] for b in blocks])) for part in range(3)))
        for i in range(k)
    ]


def _time_blocks(
    t: np.ndarray,
    members: np.ndarray,
    name: str,
    k: int,
    test_fraction: float,
    val_fraction: float,
    validation: Validation,
    seed: int,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(train, val, test) of each of ``k`` test blocks cut among ``members`` by time."""
    order = members[np.argsort(t[members], kind="stable")]
    ordered = t[order]
    n, block = len(order), test_fraction * len(order)
    folds = []
    for i in range(k):
        start = _cut(ordered, round(n - (k - i) * block))
        end = _cut(ordered, round(n - (k - i - 1) * block)) if i < k - 1 else n
        val_start = _cut(ordered, round(start * (1.0 - val_fraction)))
        parts = (order[:val_start], order[val_start:start], order[start:end])
        if validation == "random":
            older = order[:start]
            held = np.random.default_rng(seed + i).permutation(len(older))[: start - val_start]
            keep = np.ones(len(older), dtype=bool)
            keep[held] = False
            parts = (older[keep], older[~keep], order[start:end])
        if min(len(p) for p in parts) == 0:
            raise ConfigError(
                f"folds: temporal fold {i} has an empty part{name} ({n} samples; many share one "
                "time?); use fewer folds or a larger test_fraction."
            )
        folds.append(parts)
    return folds


def _cut(ordered: np.ndarray, position: int) -> int:
    """``position`` moved down so that samples of one time stay on the same side."""
    position = min(max(position, 0), len(ordered))
    while 0 < position < len(ordered) and ordered[position - 1] == ordered[position]:
        position -= 1
    return position
