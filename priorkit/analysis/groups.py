"""Groups in the scored data (events, stories, periods: the samples' ``group`` field): can a
fresh probe tell them apart from what the model's head reads, and how does the worst group fare?

A model whose fused vectors carry the group (the event a tweet is about) can learn the label
of each group rather than of each sample, a shortcut that fails on a new group. The probe is
fitted afresh on the evaluated data (cross-validated): its accuracy above the majority group's
share (``probe_excess``) says how much group the representation carries. Where groups differ
in their class mix (PHEME's events), the label alone tells them apart to a degree; the same
probe fitted within each class (``probe_excess_within_class``, weighted by the classes' sizes)
says how much group the representation carries beyond the label, and ``label_excess`` how far
the label alone tells the groups apart (the floor of ``probe_excess`` for a representation that
carries the label).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

MIN_PROBE_GROUP = 5  # samples a group needs in the scored data to take part in the probe


def group_report(
    fused: np.ndarray, groups: Sequence[str], right: np.ndarray, labels: np.ndarray | None = None
) -> dict[str, float] | None:
    """``worst_group_accuracy`` over the groups of the data (samples without one left out) and,
    where at least two groups have :data:`MIN_PROBE_GROUP` samples, the probe of :func:`probe`
    on them (and, with ``labels``, within each class where it can be fitted); None when the data
    have fewer than two groups.

    Shapes:
        fused: (N, d); groups: N names ("" for none); right: (N,) 1 where the prediction is right;
        labels: (N,) class indices.
    """
    names = np.asarray([str(g) for g in groups])
    known = names != ""
    kinds, counts = np.unique(names[known], return_counts=True)
    if len(kinds) < 2:
        return None
    out = {"worst_group_accuracy": min(float(right[names == g].mean()) for g in kinds)}
    probed = known & np.isin(names, kinds[counts >= MIN_PROBE_GROUP])
    if len(np.unique(names[probed])) >= 2:
        out.update(probe(fused[probed], names[probed]))
    if labels is not None:
        classes = np.asarray(labels)[known]
        out.update(_within_class(fused[known], names[known], classes))
        out["label_excess"] = label_excess(names[known], classes)
    return out


def label_excess(groups: Sequence[object], labels: Sequence[object]) -> float:
    """How far the label alone tells the groups apart: the accuracy of guessing each sample's
    group as its class's most common group, minus the majority group's share. 0 where every
    group has the same class mix.

    Shapes:
        groups, labels: (N,).
    """
    g = np.asarray([str(v) for v in groups])
    y = np.asarray([str(v) for v in labels])
    best = sum(np.unique(g[y == c], return_counts=True)[1].max() for c in np.unique(y))
    return float(best / len(g) - np.unique(g, return_counts=True)[1].max() / len(g))


def _within_class(fused: np.ndarray, groups: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The probe's excess fitted on each class's samples alone (groups of that class with
    :data:`MIN_PROBE_GROUP` samples), averaged with the classes' sizes as weights; empty where
    no class holds two such groups."""
    excess, sizes = [], []
    for label in np.unique(labels):
        names = groups[labels == label]
        kinds, counts = np.unique(names, return_counts=True)
        keep = np.isin(names, kinds[counts >= MIN_PROBE_GROUP])
        if len(np.unique(names[keep])) >= 2:
            excess.append(probe(fused[labels == label][keep], names[keep])["probe_excess"])
            sizes.append(int(keep.sum()))
    return {} if not sizes else {"probe_excess_within_class": float(np.average(excess, weights=sizes))}


def probe(features: np.ndarray, groups: np.ndarray, folds: int = 3) -> dict[str, float]:
    """A fresh logistic probe's cross-validated accuracy at telling ``groups`` apart from
    ``features``, the majority group's share, and the excess of the first over the second.

    Shapes:
        features: (N, d); groups: (N,).
    """
    _, counts = np.unique(groups, return_counts=True)
    majority = float(counts.max() / counts.sum())
    splits = StratifiedKFold(n_splits=min(folds, int(counts.min())), shuffle=True, random_state=0)
    with warnings.catch_warnings():  # lbfgs on few samples may stop early: a probe, not a model
        warnings.simplefilter("ignore")
        scores = cross_val_score(LogisticRegression(max_iter=500), features, groups, cv=splits)
    accuracy = float(np.mean(scores))
    return {"probe_accuracy": accuracy, "probe_majority": majority, "probe_excess": accuracy - majority}
