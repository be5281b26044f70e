"""Synthetic "reviews + user trees" with a controllable causal signal and a planted shortcut.

Each sample is a review (its words carry the label, flipped with probability
``text_noise``) and a tree of users with numeric features. Feature 0 carries the causal
signal at the nodes named in ``signal`` (``root``, ``shallow`` = depth 1, ``leaves``),
feature 1 carries the *shortcut*: at the nodes named by ``shortcut`` it equals +1 for
the positive and -1 for the negative class in train/val/test_id, and is random in
test_ood. A model that learns the shortcut scores well in distribution and collapses
out of distribution; a model that follows the prior "text and root matter, leaves do
not" does not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from priorkit.data.jsonl import write_jsonl
from priorkit.data.sample import TreeSample

Location = Literal["root", "shallow", "leaves"]
LABELS = ("negative", "positive")
SPLITS = ("train", "val", "test_id", "test_ood")

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
_FILLERS = ("really", "quite", "honestly", "very", "so", "rather", "truly", "a bit")


class SynthConfig(BaseModel):
    """Knobs of the synthetic generator; every field has a default.

    Args:
        seed: seeds everything; the same config gives the same files.
        n_train, n_val, n_test: samples per split (test_id and test_ood get n_test each).
        text_noise: probability that a review's sentiment words point to the wrong label.
        min_nodes, max_nodes: tree size range; max_depth: deepest level.
        num_features: node feature width (at least 2: signal and shortcut channels).
        signal: where feature 0 carries the label, and how strongly (mean +-strength, sd 1).
        shortcut: where feature 1 is tied to the label (None: no shortcut).
        time_scale: mean minutes between a node and its parent.
    """

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    n_train: int = Field(600, ge=2)
    n_val: int = Field(150, ge=2)
    n_test: int = Field(300, ge=2)
    text_noise: float = Field(0.15, ge=0.0, le=1.0)
    min_nodes: int = Field(8, ge=1)
    max_nodes: int = Field(30, ge=1)
    max_depth: int = Field(5, ge=1)
    num_features: int = Field(4, ge=2)
    signal: dict[Location, float] = Field(default_factory=lambda: {"root": 0.75})
    shortcut: Location | None = "leaves"
    time_scale: float = Field(30.0, gt=0.0)

    @model_validator(mode="after")
    def _sizes(self) -> SynthConfig:
        if self.max_nodes < self.min_nodes:
            raise ValueError(f"max_nodes ({self.max_nodes}) must be >= min_nodes ({self.min_nodes})")
        return self


def _review(rng: np.random.Generator, positive: bool) -> str:
    words = POSITIVE_WORDS if positive else NEGATIVE_WORDS
    parts = []
    for _ in range(int(rng.integers(1, 3))):
        noun, adjective = rng.choice(_NOUNS), rng.choice(words)
        filler = rng.choice(_FILLERS, size=int(rng.integers(0, 3)), replace=False)
        parts.append(" ".join(["the", str(noun), "was", *map(str, filler), str(adjective)]))
    return " and ".join(parts)


def _tree(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, np.ndarray]:
    """Random recursive tree: parent index (root = own parent) and depth."""
    n = int(rng.integers(config.min_nodes, config.max_nodes + 1))
    parent = np.zeros(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        open_nodes = np.flatnonzero(depth[:i] < config.max_depth)
        parent[i] = rng.choice(open_nodes)
        depth[i] = depth[parent[i]] + 1
    return parent, depth


def _nodes_at(where: Location, parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    if where == "root":
        return depth == 0
    if where == "shallow":
        return depth == 1
    has_child = np.zeros(len(parent), dtype=bool)
    has_child[parent[1:]] = True
    return ~has_child & (depth >= 2) if (depth >= 2).any() else ~has_child


def make_sample(rng: np.random.Generator, config: SynthConfig, index: str, ood: bool) -> TreeSample:
    """One synthetic sample; ``ood`` makes the shortcut random instead of tied to the label."""
    label = int(rng.integers(0, 2))
    sign = 1.0 if label == 1 else -1.0
    flipped = rng.random() < config.text_noise
    parent, depth = _tree(rng, config)
    n = len(parent)
    features = rng.normal(0.0, 1.0, size=(n, config.num_features))
    important = np.zeros(n, dtype=bool)
    for where, strength in config.signal.items():
        at = _nodes_at(where, parent, depth)
        features[at, 0] = rng.normal(sign * strength, 1.0, size=int(at.sum()))
        important |= at
    features[:, 1] = 0.0
    if config.shortcut is not None:
        at = _nodes_at(config.shortcut, parent, depth)
        features[at, 1] = rng.choice([-1.0, 1.0], size=int(at.sum())) if ood else sign
    gaps = rng.exponential(config.time_scale, size=n)
    time = np.zeros(n)
    for i in range(1, n):
        time[i] = time[parent[i]] + gaps[i]
    return TreeSample(
        id=index,
        text=_review(rng, positive=(label == 1) != flipped),
        label=LABELS[label],
        node_ids=[f"u{i}" for i in range(n)],
        parent_index=parent,
        features=np.round(features, 3).astype(np.float32),
        time=np.round(time, 2).astype(np.float32),
        importance=important.astype(np.float32),
    )


def generate(config: SynthConfig | None = None) -> dict[str, list[TreeSample]]:
    """The four splits ``train, val, test_id, test_ood`` of a synthetic dataset."""
    config = config or SynthConfig()
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


def write_synthetic(out_dir: str | os.PathLike[str], config: SynthConfig | None = None) -> dict[str, Path]:
    """Generate and write ``train/val/test_id/test_ood.jsonl`` into ``out_dir``."""
    config = config or SynthConfig()
    folder = Path(out_dir)
    paths = {}
    for split, samples in generate(config).items():
        paths[split] = folder / f"{split}.jsonl"
        write_jsonl(samples, paths[split])
    (folder / "synth.json").write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return paths
