"""``priorkit predict`` on unlabelled JSONL (with --explain), in chunks; ``priorkit export``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import priorkit as pk
from priorkit.api import prediction as predict_module
from priorkit.cli import main
from priorkit.data.jsonl import write_jsonl
from priorkit.locks import output_lock as pk_output_lock


@pytest.fixture(scope="module")
def run_dir(decay_model: pk.TrainedModel) -> Path:
    return decay_model.source


@pytest.fixture
def unlabelled_file(small_data: Path, tmp_path: Path) -> Path:
    samples = list(pk.read_jsonl(small_data / "test_ood.jsonl"))
    for sample in samples:
        sample.label = None
    path = tmp_path / "new.jsonl"
    write_jsonl(samples, path)
    assert '"label"' not in path.read_text()
    return path


def test_predict_writes_one_line_per_sample_with_explanations(
    run_dir: Path, unlabelled_file: Path, tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(predict_module, "CHUNK", 5)  # 24 samples in 5 chunks: the streaming path
    out = tmp_path / "preds.jsonl"
    args = [
        "predict",
        str(run_dir),
        "--data",
        str(unlabelled_file),
        "--out",
        str(out),
        "--explain",
        "--top-k",
        "2",
    ]
    assert main(args) == 0
    assert f"wrote 24 predictions to {out}" in capsys.readouterr().out
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in lines] == [s.id for s in pk.read_jsonl(unlabelled_file)]
    first = lines[0]
    assert set(first) == {"id", "label", "probabilities", "explanation"}
    assert first["label"] in ("negative", "positive") and len(first["explanation"]["top_nodes"]) == 2
    assert "depth_decay/root_mass" in first["explanation"]["priors"]
    whole = pk.predict(run_dir, unlabelled_file, explain=True, top_k=2)  # one pass, no chunks
    assert [p.to_dict() for p in whole] == lines


def test_a_bad_line_is_reported_and_nothing_is_written(
    run_dir: Path, unlabelled_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    with unlabelled_file.open("a") as handle:
        handle.write('{"id": "x", "text": "t", "nodes": [{"id": "a", "parent": "b"}]}\n')
    out = tmp_path / "preds.jsonl"
    assert main(["predict", str(run_dir), "--data", str(unlabelled_file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{unlabelled_file}:25: sample x: nodes[0].parent: names no node of this sample" in err
    assert not out.exists() and list(tmp_path.glob("*.partial")) == []


def test_a_sample_that_overflows_the_network_is_named_with_its_line(
    run_dir: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    samples = list(pk.read_jsonl(small_data / "test_ood.jsonl"))
    features = np.full(samples[3].features.shape, 3e38, dtype=np.float32)  # valid, but overflows
    features[:, ::2] *= -1
    samples[3].features = features
    data = tmp_path / "huge.jsonl"
    write_jsonl(samples, data)
    out = tmp_path / "preds.jsonl"
    assert main(["predict", str(run_dir), "--data", str(data), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{data}:4: sample {samples[3].id}: logits: expected finite class scores" in err
    assert "Traceback" not in err and not out.exists()
    with pytest.raises(pk.PriorkitError, match=f"sample {samples[3].id}: logits: .*got \\[nan, nan\\]"):
        pk.evaluate(run_dir, data)


def test_export_writes_a_folder_that_predicts_as_the_run(
    run_dir: Path, unlabelled_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exported"
    assert main(["export", str(run_dir), str(folder)]) == 0
    assert f"saved model: {folder}" in capsys.readouterr().out
    weights = (folder / "model.safetensors").read_bytes()
    assert not weights.startswith(b"PK") and b"\x80\x04" not in weights[:16]  # not a zip of pickles
    assert (
        main(
            [
                "predict",
                str(folder),
                "--data",
                str(unlabelled_file),
                "--out",
                str(tmp_path / "a.jsonl"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "predict",
                str(run_dir),
                "--data",
                str(unlabelled_file),
                "--out",
                str(tmp_path / "b.jsonl"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()


def test_predictions_never_replace_their_input_and_a_second_writer_is_refused(
    run_dir: Path, unlabelled_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    before = unlabelled_file.read_bytes()
    args = ["predict", str(run_dir), "--data", str(unlabelled_file), "--quiet", "--out"]
    assert main([*args, str(unlabelled_file)]) == 2
    assert "expected an output other than the input data (got the same file)" in capsys.readouterr().err
    assert unlabelled_file.read_bytes() == before
    out = tmp_path / "preds.jsonl"
    with pk_output_lock(out):  # another writer holds it (a lock is per open file, so this stands in)
        assert main([*args, str(out)]) == 2
    assert "expected an output no other process writes" in capsys.readouterr().err and not out.exists()
    assert main([*args, str(out)]) == 0 and sorted(p.name for p in tmp_path.iterdir()) == [
        "new.jsonl",
        "preds.jsonl",
    ]


@pytest.mark.parametrize("size", [0, -1, 2.5, True])
def test_a_batch_size_that_is_not_a_positive_integer_is_refused(
    decay_model: pk.TrainedModel, small_data: Path, size: object
) -> None:
    with pytest.raises(pk.ConfigError, match=r"batch_size: expected an integer >= 1, or None"):
        pk.predict(decay_model, small_data / "test_id.jsonl", batch_size=size)  # type: ignore[arg-type]
    assert len(pk.predict(decay_model, small_data / "test_id.jsonl", batch_size=7)) == 24


@pytest.mark.parametrize("top_k", [0, -3, 2.5, True])
def test_a_top_k_that_is_not_a_positive_integer_is_refused_when_explaining(
    decay_model: pk.TrainedModel, small_data: Path, top_k: object
) -> None:
    with pytest.raises(pk.ConfigError, match=r"top_k: expected an integer >= 1, the nodes listed per sample"):
        pk.predict(decay_model, small_data / "test_id.jsonl", explain=True, top_k=top_k)  # type: ignore[arg-type]
    assert len(pk.predict(decay_model, small_data / "test_id.jsonl", top_k=0)) == 24  # not read unexplained


def test_numpy_integers_are_counts_like_python_ones(decay_model: pk.TrainedModel, small_data: Path) -> None:
    """A batch size or top_k computed with numpy (np.int64) is a count, as repeats and seeds are."""
    import numpy as np

    data = small_data / "test_id.jsonl"
    plain = pk.predict(decay_model, data, explain=True, top_k=2, batch_size=7)
    numbered = pk.predict(decay_model, data, explain=True, top_k=np.int64(2), batch_size=np.int32(7))
    assert [p.to_dict() for p in numbered] == [p.to_dict() for p in plain]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"data": "dataset"},
            r"data: expected a file path \(got TreeDataset\)\. Samples in memory: pk.predict",
        ),
        ({"out": None}, r"out: expected a file path \(got NoneType\)"),
        ({"explain": "no"}, r"explain: expected true or false \(got 'no'\)"),
        (
            {"neighbours": 3},
            r"neighbours: expected pk.TextNeighbours or the folder they were saved in \(got int\)",
        ),
        (
            {"adapt_window": 2.5},
            r"adapt_window: expected an integer >= 1, or None for the whole file \(got 2.5\)",
        ),
        (
            {"adapt_window": True},
            r"adapt_window: expected an integer >= 1, or None for the whole file \(got True\)",
        ),
    ],
)
def test_predict_file_names_arguments_of_the_wrong_kind(
    decay_model: pk.TrainedModel,
    small_data: Path,
    tmp_path: Path,
    arguments: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    data = small_data / "test_id.jsonl"
    given = {"data": data, "out": tmp_path / "p.jsonl", "progress": False, **arguments}
    if given["data"] == "dataset":
        given["data"] = pk.read_jsonl(data)
    with pytest.raises(pk.ConfigError, match=message):
        pk.predict_file(decay_model, **given)
    assert not (tmp_path / "p.jsonl").exists()
