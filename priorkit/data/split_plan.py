"""``SplitConfig`` (how to split a dataset into folds) and ``make_splits`` (the folds it gives).

One validated config serves the Python API, study files (``folds: {kind: story, k: 5}``) and
recipes. A :class:`SplitPlan` keeps the folds with the groups they were made from, and writes
itself as JSON by sample id, so a study saves the exact folds its trials used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from priorkit.config import SEED_MAX, Settings, validated
from priorkit.data.dataset import TreeDataset
from priorkit.data.labels import require_labels
from priorkit.data.sources import DataSource, as_dataset
from priorkit.data.splits import (
    Split,
    Validation,
    leave_one_group_out,
    story_kfold,
    stratified_kfold,
    temporal_splits,
)
from priorkit.data.stories import story_groups
from priorkit.errors import ConfigError

SplitKind = Literal["stratified", "groups", "story", "temporal"]
_OWN_KEYS = {"story": {"tfidf", "embedding"}, "temporal": {"test_fraction", "per_class"}}
_DEFAULT_K = {"stratified": 5, "story": 5, "temporal": 1}


class SplitConfig(Settings):
    """How a dataset is split into folds.

    Args:
        kind: ``stratified`` (k-fold by label), ``groups`` (leave one ``group`` out, e.g. PHEME
            events), ``story`` (k-fold with no story of near-duplicate texts on both sides) or
            ``temporal`` (train on older samples, test on newer, by ``created_at``).
        k: folds (stratified, story: 5) or test blocks (temporal: 1); not used by ``groups``.
        val_fraction: share of each training part used for validation.
        validation: how the validation part is drawn: ``like_test`` (the default: as the test
            part is, so that selection sees a shift like the test's: a whole held-out group for
            ``groups``, whole stories for ``story``, the newest samples for ``temporal``; a
            stratified random share for ``stratified``) or ``random`` (a random share of the
            training part, whatever the kind). :meth:`describe_validation` says it in words.
        seed: seeds the fold assignment (the same for every trial, so arms are paired).
        tfidf: story: link texts whose TF-IDF cosine reaches it (null: no TF-IDF links).
        embedding: story: also link texts whose text-embedding cosine reaches it (the run's
            frozen text encoder; null: no embedding links).
        test_fraction: temporal: share of the samples in each test block.
        per_class: temporal: cut each class at its own times (its newest samples tested, its
            older ones trained on), for data whose classes were collected in different periods;
            a single cut that leaves a tested class out of training is refused.
    """

    kind: SplitKind = "stratified"
    k: int | None = Field(None, ge=1)
    val_fraction: float = Field(0.1, gt=0.0, lt=1.0)
    validation: Validation = "like_test"
    seed: int = Field(0, ge=0, le=SEED_MAX)
    tfidf: float | None = Field(0.5, gt=0.0, le=1.0)
    embedding: float | None = Field(None, gt=0.0, le=1.0)
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    per_class: bool = False

    @model_validator(mode="after")
    def _keys_of_kind(self) -> SplitConfig:
        fields = type(self).model_fields
        foreign = {
            key
            for kind, keys in _OWN_KEYS.items()
            if kind != self.kind
            for key in keys
            if getattr(self, key) != fields[key].default
        }
        if foreign:
            raise ValueError(f"{', '.join(sorted(foreign))}: not an option of kind {self.kind!r}")
        if self.kind == "groups" and self.k is not None:
            raise ValueError("k: kind 'groups' makes one fold per group; remove k")
        if self.kind in ("stratified", "story") and self.k is not None and self.k < 2:
            raise ValueError(f"k: expected an integer >= 2 for kind {self.kind!r} (got {self.k})")
        return self

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> SplitConfig:
        """The config of saved folds; folds saved before ``validation`` existed drew a group
        split's validation part at random (and every other kind's as ``like_test`` does)."""
        if "validation" not in saved and saved.get("kind") == "groups":
            saved = {**saved, "validation": "random"}
        return cls.model_validate(saved)

    def describe_validation(self) -> str:
        """How the validation part of every fold is drawn, in words (for summaries)."""
        share = f"{self.val_fraction:.0%}"
        if self.validation == "random" or self.kind == "stratified":
            return f"validation: a random {share} of each fold's training part" + (
                ", stratified by label" if self.kind in ("stratified", "groups") else ""
            )
        return {
            "groups": f"validation: the whole training group nearest in size to {share} of the training part",
            "story": f"validation: whole training stories, about {share} of the training part",
            "temporal": f"validation: the newest {share} of the samples older than the test block"
            + (", within each class" if self.per_class else ""),
        }[self.kind]

    @property
    def folds(self) -> int | None:
        """The number of folds (None for ``groups``: one per group of the data)."""
        return None if self.kind == "groups" else self.k or _DEFAULT_K[self.kind]

    @property
    def near_duplicate(self) -> float:
        """The TF-IDF cosine at which a leakage report counts a near-duplicate: the story link of
        a ``story`` split that has one, else 0.5."""
        return self.tfidf if self.kind == "story" and self.tfidf is not None else 0.5

    @property
    def needs_embeddings(self) -> bool:
        return self.kind == "story" and self.embedding is not None


@dataclass(frozen=True)
class SplitPlan:
    """The folds of one dataset under one :class:`SplitConfig`.

    Args:
        config: how they were made; splits: one per fold (indices into the dataset).
        ids: the dataset's sample ids; groups: the group of each sample (its story or event;
            None for stratified and temporal splits).
    """

    config: SplitConfig
    splits: list[Split]
    ids: list[str]
    groups: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the config, every fold's sample ids, and each sample's group."""
        folds = [
            {part: [self.ids[i] for i in getattr(split, part)] for part in ("train", "val", "test")}
            | {"name": split.name}
            for split in self.splits
        ]
        groups = None if self.groups is None else dict(zip(self.ids, self.groups, strict=True))
        return {"config": self.config.model_dump(mode="json"), "folds": folds, "groups": groups}

    @classmethod
    def from_dict(cls, data: dict[str, Any], dataset: TreeDataset) -> SplitPlan:
        """The plan saved by :meth:`to_dict`, as indices into ``dataset`` (which must hold every
        saved id)."""
        position = {s.id: i for i, s in enumerate(dataset)}
        missing = {i for fold in data["folds"] for part in ("train", "val", "test") for i in fold[part]}
        missing -= set(position)
        if missing:
            raise ConfigError(
                f"saved folds name {len(missing)} sample(s) the data no longer has "
                f"(first: {sorted(missing)[0]!r}); the data changed since the folds were made."
            )
        splits = [
            Split(
                fold["name"],
                *(np.asarray([position[i] for i in fold[p]], np.int64) for p in ("train", "val", "test")),
            )
            for fold in data["folds"]
        ]
        ids = [s.id for s in dataset]
        saved = data.get("groups")
        groups = None if saved is None else [saved.get(i, "") for i in ids]
        return cls(SplitConfig.from_saved(data["config"]), splits, ids, groups)


def make_splits(
    dataset: DataSource, config: SplitConfig | Mapping[str, Any], embeddings: np.ndarray | None = None
) -> SplitPlan:
    """The folds of ``dataset`` under ``config`` (every sample needs a label).

    Args:
        dataset: a dataset, a JSONL path, or a list of samples or records (as ``pk.fit`` takes
            data); the folds' positions index it in the order read.
        config: a :class:`SplitConfig`, or a mapping of its fields (``{"kind": "story", "k": 5}``).
        embeddings: one text embedding per sample, needed when ``config.embedding`` is set.

    Shapes:
        embeddings: (len(dataset), t).
    """
    if isinstance(config, Mapping):
        config = validated(SplitConfig, config, where="splits: ")
    if not isinstance(config, SplitConfig):
        raise ConfigError(
            f"splits: expected a pk.SplitConfig or a mapping of its fields (got {type(config).__name__}); "
            "e.g. pk.SplitConfig(kind='stratified', k=5)."
        )
    dataset = as_dataset(dataset, "dataset")
    require_labels(dataset, "splitting")  # folds are stratified or scored by label
    labels, ids = dataset.labels, [s.id for s in dataset]
    val, seed, k, drawn = config.val_fraction, config.seed, config.folds, config.validation
    if config.kind == "stratified":
        return SplitPlan(config, stratified_kfold(labels, int(k or 5), val, seed), ids)
    if config.kind == "groups":
        groups = [s.group for s in dataset]
        return SplitPlan(
            config, leave_one_group_out(groups, labels, val, seed, drawn), ids, [str(g) for g in groups]
        )
    if config.kind == "temporal":
        times = [s.created_at for s in dataset]
        by_class = labels if config.per_class else None
        splits = temporal_splits(times, ids, int(k or 1), config.test_fraction, val, drawn, seed, by_class)
        return SplitPlan(config, _every_class_trained(splits, labels), ids)
    if config.needs_embeddings and embeddings is None:
        raise ConfigError("folds: story with `embedding` needs the samples' text embeddings.")
    stories = story_groups([s.text for s in dataset], config.tfidf, embeddings, config.embedding)
    names = [f"story{g}" for g in stories]
    return SplitPlan(config, story_kfold(names, labels, int(k or 5), val, seed, drawn), ids, names)


def _every_class_trained(splits: list[Split], labels: Sequence[object]) -> list[Split]:
    """``splits``, refused where a validation or test part holds a class its training part lacks
    (a model cannot predict a class it never saw, and the fold could not be scored)."""
    labels = np.asarray([str(v) for v in labels])
    for split in splits:
        trained = set(labels[split.train].tolist())
        for part, name in (("val", "validation"), ("test", "test")):
            unseen = sorted(set(labels[getattr(split, part)].tolist()) - trained)
            if unseen:
                raise ConfigError(
                    f"folds: temporal {split.name}: its {name} part holds class(es) "
                    f"{', '.join(map(repr, unseen))} that no older sample has (the classes were "
                    "collected in different periods). Set `per_class: true` to cut each class at its "
                    "own times, or use fewer test blocks."
                )
    return splits
