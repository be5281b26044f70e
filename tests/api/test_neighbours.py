"""``pk.fit_neighbours`` and ``pk.predict(..., neighbours=...)``: a trained model's text memory."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import priorkit as pk
from priorkit.api.neighbours import text_embeddings
from priorkit.cli import main
from priorkit.errors import ConfigError
from priorkit.functional.neighbours import NeighbourMix


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, small_data: Path, tiny_model_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("neighbours")
    config = {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "train": {"epochs": 1, "batch_size": 16, "cache_dir": str(out / "cache"), "progress_bar": False},
    }
    data = {
        name: small_data / f"{file}.jsonl"
        for name, file in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }
    return pk.fit(config, data=data, out=out / "run").source


def _probabilities(predictions: list[pk.SamplePrediction], labels: tuple[str, ...]) -> np.ndarray:
    return np.array([[p.probabilities[name] for name in labels] for p in predictions])


def test_predictions_with_neighbours_are_the_network_mixed_with_their_vote(
    run_dir: Path, small_data: Path
) -> None:
    neighbours = pk.fit_neighbours(run_dir, small_data / "train.jsonl", small_data / "val.jsonl")
    assert len(neighbours.embeddings) == len(neighbours.codes) == 48 + 16  # training and validation texts
    assert (
        0.0 <= neighbours.mix.weight <= 1.0 and neighbours.mix.val_nll <= neighbours.mix.model_val_nll + 1e-9
    )
    trained = pk.load(run_dir)
    test = pk.read_jsonl(small_data / "test_ood.jsonl")
    alone = _probabilities(pk.predict(trained, test), neighbours.labels)
    mixed = pk.predict(trained, test, neighbours=neighbours)
    expected = neighbours.apply(alone, text_embeddings(trained, pk.TreeDataset(test)))
    assert _probabilities(mixed, neighbours.labels) == pytest.approx(expected, abs=1e-6)
    assert [p.label for p in mixed] == [neighbours.labels[k] for k in expected.argmax(axis=1)]


def test_with_the_network_weighed_zero_the_stored_labels_decide(run_dir: Path, small_data: Path) -> None:
    neighbours = pk.fit_neighbours(run_dir, small_data / "train.jsonl", small_data / "val.jsonl")
    test = pk.read_jsonl(small_data / "test_ood.jsonl")
    for code in (0, 1):  # a memory whose every text carries one label
        memory = dataclasses.replace(
            neighbours,
            mix=NeighbourMix(k=5, temperature=0.05, weight=0.0, val_nll=0.0, model_val_nll=0.0),
            codes=np.full(len(neighbours.codes), code),
        )
        predictions = pk.predict(run_dir, test, neighbours=memory)
        assert {p.label for p in predictions} == {neighbours.labels[code]}
        assert all(p.probabilities[neighbours.labels[code]] == pytest.approx(1.0) for p in predictions)


def test_fitting_on_an_empty_part_is_refused_naming_it(run_dir: Path, small_data: Path) -> None:
    with pytest.raises(ConfigError, match=r"^val: expected labelled samples \(got none\)"):
        pk.fit_neighbours(run_dir, small_data / "train.jsonl", [])


def test_fitting_on_a_validation_part_that_holds_training_samples_is_refused(
    run_dir: Path, small_data: Path
) -> None:
    train = small_data / "train.jsonl"
    with pytest.raises(
        ConfigError, match=rf"{train}: expected validation samples apart from the training ones"
    ):
        pk.fit_neighbours(run_dir, train, train)


def test_neighbours_save_load_and_predict_file(run_dir: Path, small_data: Path, tmp_path: Path) -> None:
    neighbours = pk.fit_neighbours(run_dir, small_data / "train.jsonl", small_data / "val.jsonl")
    loaded = pk.TextNeighbours.load(neighbours.save(tmp_path / "nb"))
    assert loaded.mix == neighbours.mix and loaded.labels == neighbours.labels
    assert np.array_equal(loaded.embeddings, neighbours.embeddings) and np.array_equal(
        loaded.codes, neighbours.codes
    )
    out = tmp_path / "preds.jsonl"
    pk.predict_file(run_dir, small_data / "test_id.jsonl", out, neighbours=loaded, progress=False)
    lines = [p.to_dict() for p in pk.predict(run_dir, small_data / "test_id.jsonl", neighbours=neighbours)]
    assert [json.loads(line) for line in out.read_text().splitlines()] == lines
    by_folder = pk.predict(run_dir, small_data / "test_id.jsonl", neighbours=tmp_path / "nb")  # as the CLI
    assert [p.to_dict() for p in by_folder] == lines
    network = [p.to_dict() for p in pk.predict(run_dir, small_data / "test_id.jsonl")]
    assert network != lines or neighbours.mix.weight == 1.0  # the file is not the network's alone


def test_wrong_inputs_are_refused_with_the_file_or_sample_named(
    run_dir: Path, small_data: Path, tmp_path: Path
) -> None:
    neighbours = pk.fit_neighbours(run_dir, small_data / "train.jsonl", small_data / "val.jsonl")
    other = dataclasses.replace(neighbours, labels=("a", "b"))
    with pytest.raises(ConfigError, match=r"fit them again with pk\.fit_neighbours"):
        pk.predict(run_dir, small_data / "test_id.jsonl", neighbours=other)
    with pytest.raises(ConfigError, match=r"neighbours\.json and neighbours\.npz"):
        pk.TextNeighbours.load(tmp_path / "missing")
    unlabelled = pk.read_jsonl(small_data / "val.jsonl")
    unlabelled[3].label = None
    with pytest.raises(Exception, match=f"sample {unlabelled[3].id}: label"):
        pk.fit_neighbours(run_dir, small_data / "train.jsonl", unlabelled)


def test_the_command_line_fits_neighbours_and_predicts_with_them(
    run_dir: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "nb"
    train, val = str(small_data / "train.jsonl"), str(small_data / "val.jsonl")
    assert main(["neighbours", str(run_dir), "--train", train, "--val", val, "--out", str(folder)]) == 0
    assert f"saved 64 labelled texts to {folder}" in capsys.readouterr().out
    out = tmp_path / "preds.jsonl"
    data = str(small_data / "test_id.jsonl")
    predict = ["predict", str(run_dir), "--data", data, "--out", str(out), "--quiet"]
    assert main([*predict, "--neighbours", str(folder)]) == 0
    expected = pk.predict(run_dir, data, neighbours=pk.fit_neighbours(run_dir, train, val))
    assert [json.loads(line) for line in out.read_text().splitlines()] == [p.to_dict() for p in expected]
    missing = [*predict, "--neighbours", str(tmp_path / "no")]
    assert main(missing) == 2
    assert "neighbours.json and neighbours.npz that TextNeighbours.save writes" in capsys.readouterr().err


def _saved(tmp_path: Path, **changes) -> Path:  # type: ignore[no-untyped-def]
    mix = NeighbourMix(k=2, temperature=0.1, weight=0.5, val_nll=0.0, model_val_nll=0.0)
    fields = {
        "mix": mix,
        "labels": ("a", "b"),
        "embeddings": np.ones((3, 4), np.float32),
        "codes": np.array([0, 1, 0]),
    }
    return pk.TextNeighbours(**{**fields, "encoder": "enc", **changes}).save(tmp_path / "nb")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"codes": np.array([0, 5, 0])}, r"expected label codes from 0 to 1 \(got int64 values\)"),
        ({"codes": np.array([0, -1, 0])}, r"expected label codes from 0 to 1 \(got int64 values\)"),
        ({"embeddings": np.full((3, 4), np.nan, np.float32)}, r"expected finite embeddings"),
        (
            {"mix": NeighbourMix(k=0, temperature=0.1, weight=0.5, val_nll=0.0, model_val_nll=0.0)},
            r"mix.k a whole number >= 1",
        ),
        (
            {"mix": NeighbourMix(k=1.5, temperature=0.1, weight=0.5, val_nll=0.0, model_val_nll=0.0)},  # type: ignore[arg-type]
            r"mix.k a whole number >= 1, .*\(got \[1.5,",
        ),
        (
            {"embeddings": np.ones((0, 4), np.float32), "codes": np.zeros(0, np.int64)},
            r"expected one label per text, at least one \(got 0 labels for 0 texts\)",
        ),
        (
            {"mix": NeighbourMix(k=2, temperature=0.0, weight=0.5, val_nll=0.0, model_val_nll=0.0)},
            r"temperature > 0",
        ),
        (
            {"mix": NeighbourMix(k=2, temperature=0.1, weight=2.0, val_nll=0.0, model_val_nll=0.0)},
            r"weight in 0..1",
        ),
    ],
)
def test_an_edited_neighbours_folder_is_refused_naming_the_problem(
    tmp_path: Path, changes: dict, problem: str
) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=rf"nb: .*{problem}.*fit the neighbours again"):
        pk.TextNeighbours.load(_saved(tmp_path, **changes))


def test_a_torn_neighbours_file_is_refused(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    assert pk.TextNeighbours.load(folder).labels == ("a", "b")
    arrays = folder / "neighbours.npz"
    arrays.write_bytes(arrays.read_bytes()[:40])
    with pytest.raises(
        ConfigError, match=r"expected the neighbours.json and neighbours.npz .*\(got BadZipFile"
    ):
        pk.TextNeighbours.load(folder)
