"""A tiny model without a text encoder (random text embeddings) and a batch of synthetic trees."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from priorkit.data import LabelSpace
from priorkit.data.batch import PriorBatch, collate
from priorkit.data.synth import SynthConfig, generate
from priorkit.data.tensors import sample_to_data
from priorkit.model import ModelConfig, PriorModel
from priorkit.priors import PriorStack

TEXT_DIM = 8
GROUPS = ("event_a", "event_b")  # the groups of tiny_graphs' samples


def tiny_graphs(n: int = 8, seed: int = 0):  # type: ignore[no-untyped-def]
    samples = generate(SynthConfig(n_train=n, n_val=2, n_test=2, seed=seed))["train"]
    labels = LabelSpace(("negative", "positive"))
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for k, sample in enumerate(samples):
        sample.group = GROUPS[k % len(GROUPS)]
        graph = sample_to_data(sample, labels)
        graph.text_embedding = torch.randn(1, TEXT_DIM, generator=generator)
        graphs.append(graph)
    return graphs


def tiny_model(priors: PriorStack | None = None, fusion: str = "gated", heads: int = 2) -> PriorModel:
    torch.manual_seed(0)
    config = ModelConfig(fusion=fusion, hidden=16, tree={"hidden": 16, "heads": heads, "dropout": 0.0})
    labels = ("negative", "positive")  # the labels of tiny_graphs
    return PriorModel(
        config, num_features=4, num_classes=2, text_dim=TEXT_DIM, priors=priors, labels=labels, groups=GROUPS
    )


def tiny_run(text_encoder: object, priors: list[dict], epochs: int, cache: Path) -> dict:  # type: ignore[type-arg]
    """The config of a small real run (the tiny Hugging Face encoder) with ``priors``."""
    return {
        "model": {"text_encoder": text_encoder, "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": priors,
        "train": {"epochs": epochs, "batch_size": 16, "cache_dir": str(cache), "progress_bar": False},
    }


def tiny_run_data(small_data: Path) -> dict[str, Path]:
    """The small data's training, validation and in-distribution test files."""
    return {
        name: small_data / f"{file}.jsonl"
        for name, file in (("train", "train"), ("val", "val"), ("test", "test_id"))
    }


@pytest.fixture
def batch() -> PriorBatch:
    return collate(tiny_graphs())
