"""recipes/twitter15_baseline.py: one fold's row, as one network or as a seed ensemble (its default)."""

import json
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import priorkit as pk

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.fixture(scope="module")
def recipe() -> Iterator[dict]:
    sys.path.insert(0, str(RECIPES))
    try:
        yield runpy.run_path(str(RECIPES / "twitter15_baseline.py"))
    finally:
        sys.path.remove(str(RECIPES))


@pytest.fixture(scope="module")
def fold(small_data: Path, tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    config = pk.RunConfig.from_dict(
        {
            "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
            "train": {
                "epochs": 1,
                "batch_size": 16,
                "seed": 7,
                "progress_bar": False,
                "cache_dir": str(tmp_path_factory.mktemp("cache")),
            },
        }
    )
    dataset = pk.read_jsonl(small_data / "train.jsonl")
    split = pk.make_splits(dataset, pk.SplitConfig(kind="stratified", k=3, val_fraction=0.2)).splits[0]
    return config, dataset, split


def test_several_seeds_train_an_ensemble_and_report_one_seeds_mean(recipe, fold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config, dataset, split = fold
    row = recipe["fold_row"](config, dataset, split, tmp_path, (None, None, None, None), True, [0, 1])
    written = json.loads((tmp_path / split.name / "ensemble.json").read_text())
    assert written["members"] == ["seed-0", "seed-1"]
    assert row["network_accuracy"] == pytest.approx(written["test"]["accuracy"])  # accuracy: the mixture
    members = [m["accuracy"] for m in written["members_test"]]
    assert row["single_accuracy"] == pytest.approx(np.mean(members))
    assert 0.0 <= row["network_weight"] <= 1.0  # the ensemble mixed with its neighbours


def test_one_seed_or_none_trains_one_network(recipe, fold, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config, dataset, split = fold
    row = recipe["fold_row"](config, dataset, split, tmp_path / "one", (None, None, None, None), False, [3])
    metrics = json.loads((tmp_path / "one" / split.name / "metrics.json").read_text())
    assert (
        metrics["seed"] == 3
        and "single_accuracy" not in row
        and row["accuracy"] == metrics["test"]["accuracy"]
    )
    recipe["fold_row"](config, dataset, split, tmp_path / "own", (None, None, None, None))
    assert (
        json.loads((tmp_path / "own" / split.name / "metrics.json").read_text())["seed"] == 7
    )  # the config's
