"""Synthetic "reviews + user trees" worlds with a controllable causal signal and a planted shortcut.

Each sample is a review (its words carry the label, replaced by another class's words with
probability ``text_noise``) and a tree of users (of a chosen ``shape``) with numeric features.
Feature 0 carries the causal signal at the nodes named in ``signal``. The *shortcut* is tied
to the label in train/val/test_id and random in test_ood; where it lives is ``shortcut``:

| shortcut | what carries the label |
|---|---|
| ``root``, ``shallow`` (depth 1), ``leaves`` (at depth >= 2) | feature 1 at those nodes |
| ``all_leaves`` (every leaf), ``deep`` (depth > ``deep_depth``) | feature 1 at those nodes |
| ``user`` | the user ids of the leaves (a few users per class) |
| ``time`` | how fast the tree grows (node times) |
| ``text`` | a word appended to the review |

A model that learns the shortcut scores well in distribution and collapses out of
distribution; a model that follows a prior pointing away from it does not. A family of such
worlds (shapes, sizes, shortcut places, classes, noise) is what priors' defaults are chosen on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from priorkit.atomic import atomic_write
from priorkit.config import SEED_MAX, Settings, path_of
from priorkit.data.jsonl import write_jsonl
from priorkit.data.sample import TreeSample
from priorkit.data.synth_trees import Shape, grow_tree, leaves
from priorkit.errors import ConfigError

MAX_VALUES = 2**28  # node feature values of one world (float64 while drawn: 2 GiB)
Location = Literal["root", "shallow", "leaves", "all_leaves", "deep"]
Shortcut = Literal["root", "shallow", "leaves", "all_leaves", "deep", "user", "time", "text"]
LABELS = ("negative", "positive")
CLASS_LABELS = {
    2: LABELS,
    3: ("negative", "positive", "neutral"),
    4: ("negative", "positive", "neutral", "mixed"),
}
SPLITS = ("train", "val", "test_id", "test_ood")
SHORTCUT_USERS = 4  # users per class who carry a ``user`` shortcut
SHORTCUT_WORDS = ("anyway", "basically", "honestly speaking", "to be fair")

POSITIVE_WORDS = (
    "delicious",
    "friendly",
    "excellent",
    "fresh",
    "lovely",
    "perfect",
    "great",
    "tasty",
    "wonderful",
    "generous",
    "cosy",
    "superb",
)
NEGATIVE_WORDS = (
    "cold",
    "rude",
    "awful",
    "stale",
    "bland",
    "terrible",
    "dirty",
    "slow",
    "greasy",
    "disappointing",
    "noisy",
    "overpriced",
)
_NOUNS = (
    "pasta",
    "service",
    "waiter",
    "pizza",
    "soup",
    "dessert",
    "table",
    "coffee",
    "bread",
    "staff",
    "menu",
    "salad",
    "music",
    "wine",
    "kitchen",
    "terrace",
)
NEUTRAL_WORDS = ("okay", "average", "fine", "ordinary", "standard", "acceptable", "plain", "usual")
MIXED_WORDS = (
    "uneven",
    "inconsistent",
    "hit and miss",
    "mixed",
    "patchy",
    "variable",
    "so so",
    "up and down",
)
WORDS = {
    "negative": NEGATIVE_WORDS,
    "positive": POSITIVE_WORDS,
    "neutral": NEUTRAL_WORDS,
    "mixed": MIXED_WORDS,
}
_FILLERS = ("really", "quite", "honestly", "very", "so", "rather", "truly", "a bit")


class SynthConfig(Settings):
    """Knobs of the synthetic generator; every field has a default.

    Args:
        seed: seeds everything; the same config gives the same files.
        n_train, n_val, n_test: samples per split (test_id and test_ood get n_test each).
        num_classes: 2 (negative, positive), 3 (+ neutral) or 4 (+ mixed).
        text_noise: probability that a review's words are those of another class.
        shape: how trees grow (see :mod:`priorkit.data.synth_trees`).
        min_nodes, max_nodes: tree size range; max_depth: deepest level.
        num_features: node feature width (at least 2: signal and shortcut channels).
        signal: where feature 0 carries the label, and how strongly (class means spread over
            -strength..+strength, sd 1).
        shortcut: where the label is planted (see the module table; None: no shortcut).
        deep_depth: ``deep`` places mean depth > ``deep_depth``.
        time_scale: mean minutes between a node and its parent (``time`` shortcut: class k
            grows at ``time_scale * (0.5 + time_step * k)``); at most 1e6 (time_step at most
            1e3), so that a tree's times stay finite numbers.
        time_step: how far apart the classes' growth rates are (``time`` shortcut), in units
            of ``time_scale``: 1 gives mean gaps of 15 and 45 minutes for two classes at the
            default scale, 4 gives 15 and 135.
    """

    seed: int = Field(0, ge=0, le=SEED_MAX)
    n_train: int = Field(600, ge=2)
    n_val: int = Field(150, ge=2)
    n_test: int = Field(300, ge=2)
    num_classes: int = Field(2, ge=2, le=4)
    text_noise: float = Field(0.15, ge=0.0, le=1.0)
    shape: Shape = "recursive"
    min_nodes: int = Field(8, ge=1)
    max_nodes: int = Field(30, ge=1)
    max_depth: int = Field(5, ge=1)
    num_features: int = Field(4, ge=2)
    signal: dict[Location, float] = Field(default_factory=lambda: {"root": 0.75})
    shortcut: Shortcut | None = "leaves"
    deep_depth: int = Field(1, ge=0)
    time_scale: float = Field(30.0, gt=0.0, le=1e6)  # ~2 years a gap: times stay far inside float32
    time_step: float = Field(1.0, gt=0.0, le=1e3)

    @model_validator(mode="after")
    def _sizes(self) -> SynthConfig:
        if self.max_nodes < self.min_nodes:
            raise ValueError(f"max_nodes ({self.max_nodes}) must be >= min_nodes ({self.min_nodes})")
        values = (self.n_train + self.n_val + 2 * self.n_test) * self.max_nodes * self.num_features
        if values > MAX_VALUES:
            raise ValueError(
                f"expected a world of at most {MAX_VALUES:,} node feature values, samples x max_nodes x "
                f"num_features (got up to {values:,}). Lower n_train, n_val, n_test, max_nodes or "
                "num_features"
            )
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        return CLASS_LABELS[self.num_classes]

    def codes(self) -> np.ndarray:
        """The mean of each class on the signal channel: evenly spaced in [-1, 1].

        Shapes:
            -> (num_classes,).
        """
        return np.linspace(-1.0, 1.0, self.num_classes)

    def shortcut_codes(self) -> np.ndarray:
        """The value of each class on the shortcut channel, never 0 (the value of the nodes
        without the shortcut): -1 and 1, then 2 and 3.

        Shapes:
            -> (num_classes,).
        """
        return np.array([-1.0, 1.0, 2.0, 3.0])[: self.num_classes]


def _review(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    parts = []
    for _ in range(int(rng.integers(1, 3))):
        noun, adjective = rng.choice(_NOUNS), rng.choice(words)
        filler = rng.choice(_FILLERS, size=int(rng.integers(0, 3)), replace=False)
        parts.append(" ".join(["the", str(noun), "was", *map(str, filler), str(adjective)]))
    return " and ".join(parts)


def _nodes_at(where: Location, parent: np.ndarray, depth: np.ndarray, config: SynthConfig) -> np.ndarray:
    if where == "root":
        return depth == 0
    if where == "shallow":
        return depth == 1
    if where == "deep":
        return depth > config.deep_depth
    leaf = leaves(parent)
    if where == "all_leaves" or not (depth >= 2).any():
        return leaf
    return leaf & (depth >= 2)


def _text_class(rng: np.random.Generator, label: int, config: SynthConfig) -> int:
    flipped = rng.random() < config.text_noise
    if config.num_classes == 2:
        return label if not flipped else 1 - label
    return label if not flipped else int((label + rng.integers(1, config.num_classes)) % config.num_classes)


def _planted(rng: np.random.Generator, label: int, size: int, ood: bool, config: SynthConfig) -> np.ndarray:
    """The class each of ``size`` shortcut carriers shows: the label, or random out of distribution."""
    if ood:
        return rng.choice(np.arange(config.num_classes), size=size)
    return np.full(size, label)


def make_sample(rng: np.random.Generator, config: SynthConfig, index: str, ood: bool) -> TreeSample:
    """One synthetic sample; ``ood`` makes the shortcut random instead of tied to the label."""
    label = int(rng.integers(0, config.num_classes))
    codes = config.codes()
    text_class = _text_class(rng, label, config)
    size = int(rng.integers(config.min_nodes, config.max_nodes + 1))
    parent, depth = grow_tree(rng, size, config.max_depth, config.shape)
    n = len(parent)
    features = rng.normal(0.0, 1.0, size=(n, config.num_features))
    important = np.zeros(n, dtype=bool)
    for where, strength in config.signal.items():
        at = _nodes_at(where, parent, depth, config)
        features[at, 0] = rng.normal(codes[label] * strength, 1.0, size=int(at.sum()))
        important |= at
    features[:, 1] = 0.0
    users: list[str | None] | None = None
    speed = config.time_scale
    where = config.shortcut
    if where in ("root", "shallow", "leaves", "all_leaves", "deep"):
        at = _nodes_at(where, parent, depth, config)  # type: ignore[arg-type]
        features[at, 1] = config.shortcut_codes()[_planted(rng, label, int(at.sum()), ood, config)]
    elif where == "user":
        at = np.flatnonzero(leaves(parent) & (depth > 0))
        users = [None] * n
        for node, k in zip(at, _planted(rng, label, len(at), ood, config), strict=True):
            users[node] = f"shortcut{k}-{int(rng.integers(SHORTCUT_USERS))}"
    elif where == "time":
        speed = config.time_scale * (0.5 + config.time_step * float(_planted(rng, label, 1, ood, config)[0]))
    gaps = rng.exponential(speed, size=n)
    time = np.zeros(n)
    for i in range(1, n):
        time[i] = time[parent[i]] + gaps[i]
    text = _review(rng, WORDS[config.labels[text_class]])
    if where == "text":
        text = f"{text} {SHORTCUT_WORDS[int(_planted(rng, label, 1, ood, config)[0])]}"
    return TreeSample(
        id=index,
        text=text,
        label=config.labels[label],
        node_ids=[f"u{i}" for i in range(n)],
        parent_index=parent,
        features=np.round(features, 3).astype(np.float32),
        time=np.round(time, 2).astype(np.float32),
        importance=important.astype(np.float32),
        user=users,
    )


def synth_config(config: object) -> SynthConfig:
    """``config`` as a :class:`SynthConfig`: itself, one made of a mapping of its fields, or the
    defaults for None; a clear error for anything else."""
    if config is None:
        return SynthConfig()
    if isinstance(config, SynthConfig):
        return config
    if isinstance(config, Mapping):
        return SynthConfig(**config)
    raise ConfigError(
        f"config: expected a pk.SynthConfig or a mapping of its fields (got {type(config).__name__}); "
        "e.g. pk.SynthConfig(n_train=500, shape='chain')."
    )


def generate(config: SynthConfig | Mapping[str, Any] | None = None) -> dict[str, list[TreeSample]]:
    """The four splits ``train, val, test_id, test_ood`` of a synthetic dataset (``config``: a
    :class:`SynthConfig`, a mapping of its fields, or None for the defaults)."""
    config = synth_config(config)
    sizes = {
        "train": config.n_train,
        "val": config.n_val,
        "test_id": config.n_test,
        "test_ood": config.n_test,
    }
    out = {}
    for offset, split in enumerate(SPLITS):
        rng = np.random.default_rng([config.seed, offset])
        out[split] = [
            make_sample(rng, config, f"{split}-{i}", ood=split == "test_ood") for i in range(sizes[split])
        ]
    return out


def write_synthetic(
    out_dir: str | os.PathLike[str], config: SynthConfig | Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """Generate and write ``train/val/test_id/test_ood.jsonl`` into ``out_dir`` (``config``: as
    :func:`generate` takes it)."""
    config = synth_config(config)
    folder = path_of(out_dir, "out_dir", "a folder to write the synthetic files into")
    paths = {}
    for split, samples in generate(config).items():
        paths[split] = folder / f"{split}.jsonl"
        write_jsonl(samples, paths[split])
    with atomic_write(folder / "synth.json") as handle:
        handle.write(config.model_dump_json(indent=2) + "\n")
    return paths
