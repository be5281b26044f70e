"""pk.fit -> pk.evaluate -> pk.predict on unlabelled samples -> save_pretrained -> pk.load -> the
same predictions, from files and from memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import priorkit as pk
from priorkit.data.records import sample_to_record
from priorkit.errors import PriorkitError

PRIORS = [{"name": "modality_gate", "target": {"text": 0.8, "graph": 0.2}}, {"name": "depth_decay"}]


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, small_data: Path, tiny_model_dir: Path
) -> pk.TrainedModel:
    out = tmp_path_factory.mktemp("fit")
    config = {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": PRIORS,
        "train": {"epochs": 2, "batch_size": 16, "cache_dir": str(out / "cache"), "progress_bar": False},
    }
    train = pk.read_jsonl(small_data / "train.jsonl")
    records = [sample_to_record(s) for s in pk.read_jsonl(small_data / "test_id.jsonl")]
    return pk.fit(
        config,
        # three kinds of data source: a dataset, a path, and plain records
        data={"train": train, "val": small_data / "val.jsonl", "test": records},
        out=out / "run",
    )


def unlabelled(small_data: Path) -> list[pk.TreeSample]:
    samples = list(pk.read_jsonl(small_data / "test_ood.jsonl"))
    for sample in samples:
        sample.label = None
    return samples


def test_fit_returns_the_trained_model_with_its_test_report(trained: pk.TrainedModel) -> None:
    assert trained.labels == ("negative", "positive")
    assert trained.metrics["test"]["n"] == 24 and 0.0 <= trained.metrics["test"]["accuracy"] <= 1.0
    assert [e["prior"] for e in trained.metrics["compliance"]][:1] == ["modality_gate"]
    assert (trained.source / "checkpoints" / "best.ckpt").is_file()


def test_evaluate_a_model_on_samples_in_memory(trained: pk.TrainedModel, small_data: Path) -> None:
    samples = list(pk.read_jsonl(small_data / "test_id.jsonl"))
    report = pk.evaluate(trained, samples, repeats=1)
    assert report.n == 24 and report.accuracy == trained.metrics["test"]["accuracy"]
    with pytest.raises(pk.DataValidationError, match="label: missing"):
        pk.evaluate(trained, unlabelled(small_data)[:3], repeats=1)


def test_predict_unlabelled_samples_with_ids_labels_and_probabilities(
    trained: pk.TrainedModel, small_data: Path
) -> None:
    samples = unlabelled(small_data)
    predictions = pk.predict(trained, samples)
    assert [p.id for p in predictions] == [s.id for s in samples]
    for p in predictions:
        assert set(p.probabilities) == {"negative", "positive"}
        assert abs(sum(p.probabilities.values()) - 1.0) < 1e-5
        assert p.label == max(p.probabilities, key=p.probabilities.get) and p.explanation is None


def test_explanations_name_nodes_of_the_sample_and_measure_each_prior(
    trained: pk.TrainedModel, small_data: Path
) -> None:
    samples = unlabelled(small_data)[:4]
    for sample, p in zip(samples, pk.predict(trained, samples, explain=True, top_k=3), strict=True):
        e = p.explanation
        assert set(e["modality_weights"]) == {"text", "graph"}
        assert len(e["top_nodes"]) == min(3, sample.num_nodes)
        attention = [n["attention"] for n in e["top_nodes"]]
        assert attention == sorted(attention, reverse=True) and 0 < sum(attention) <= 1.0 + 1e-5
        for node in e["top_nodes"]:
            assert node["depth"] == int(sample.depth[sample.node_ids.index(node["id"])])
        assert 0.0 <= e["priors"]["depth_decay/root_mass"] <= 1.0
        assert e["priors"]["modality_gate/gate.text"] == pytest.approx(
            e["modality_weights"]["text"], abs=1e-5
        )


def test_save_and_load_give_identical_predictions(
    trained: pk.TrainedModel, small_data: Path, tmp_path: Path
) -> None:
    samples = unlabelled(small_data)
    before = pk.predict(trained, samples, explain=True)
    folder = trained.save_pretrained(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    saved = json.loads((folder / "config.json").read_text())
    assert saved["labels"] == ["negative", "positive"] and saved["text_encoder"]["pooling"] == "mean"
    assert saved["run"]["data"]["train"] is None and saved["format_version"] == 2
    assert (
        saved["run"]["priors"] == pk.RunConfig.from_dict({"priors": PRIORS}).model_dump(mode="json")["priors"]
    )
    assert saved["run"]["priors"][0]["target"] == {"text": 0.8, "graph": 0.2}  # every argument, resolved
    loaded = pk.load(folder)
    assert [p.to_dict() for p in pk.predict(loaded, samples, explain=True)] == [p.to_dict() for p in before]
    assert pk.load(trained.source).labels == trained.labels  # a run directory loads too


def test_a_weights_file_of_another_model_is_refused(trained: pk.TrainedModel, tmp_path: Path) -> None:
    folder = trained.save_pretrained(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    config["run"]["model"]["hidden"] = 8
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(PriorkitError, match=r"model.safetensors: expected the weights of this model"):
        pk.load(folder)
    (folder / "model.safetensors").write_bytes(b"\x80\x04not safetensors")
    with pytest.raises(PriorkitError, match=r"model.safetensors: expected the weights of this model"):
        pk.load(folder)


def test_load_names_what_a_folder_lacks(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(PriorkitError, match=r"expected a run directory .* \(got notes.txt\)"):
        pk.load(tmp_path)
    (tmp_path / "config.json").mkdir()  # the expected names, but not files: said so
    (tmp_path / "model.safetensors").symlink_to(tmp_path / "gone")
    with pytest.raises(
        PriorkitError,
        match=r"\(got config.json/ \(a folder\), model.safetensors \(a broken link\), notes.txt\)",
    ):
        pk.load(tmp_path)


def test_data_of_another_width_is_refused_naming_the_sample(
    trained: pk.TrainedModel, small_data: Path
) -> None:
    sample = unlabelled(small_data)[0]
    sample.features = sample.features[:, :2]
    with pytest.raises(
        pk.IncompatibleDataError, match=rf"sample {sample.id} .*expected 4 node features \(got 2\)"
    ):
        pk.predict(trained, [sample])


def test_fit_names_missing_data(small_data: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    config = {"model": {"text_encoder": str(tiny_model_dir)}}
    with pytest.raises(PriorkitError, match=r"data.train: expected a JSONL path \(got none\)"):
        pk.fit(config, out=tmp_path / "a")
    with pytest.raises(
        PriorkitError, match=r"expected a mapping with exactly the keys train, val, test \(got \['train'\]\)"
    ):
        pk.fit(config, data={"train": small_data / "train.jsonl"}, out=tmp_path / "b")


def test_fit_with_pairs_names_a_counterfactual_whose_original_is_not_in_the_training_data(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    samples = list(pk.read_jsonl(small_data / "train.jsonl"))
    samples[1].counterfactual_of = samples[0].id  # a pair
    samples[2].counterfactual_of = "not-a-sample"  # its original is nowhere in the training data
    config = {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [{"name": "counterfactual", "kind": "pairs"}],
        "train": {"epochs": 1, "cache_dir": str(tmp_path / "cache"), "progress_bar": False},
    }
    data = {"train": samples, "val": small_data / "val.jsonl", "test": small_data / "test_id.jsonl"}
    with pytest.raises(
        PriorkitError, match=rf"1 training sample\(s\) .* \(first: sample '{samples[2].id}'\)"
    ):
        pk.fit(config, data=data, out=tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_fit_reads_a_yaml_config_with_overrides(config_file: Path, tmp_path: Path) -> None:
    model = pk.fit(config_file, out=tmp_path / "run", overrides=["train.epochs=1"])
    assert model.metrics["epochs_run"] == 1
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["train"]["epochs"] == 1


def test_a_label_written_another_way_than_in_training_is_named(
    trained: pk.TrainedModel, small_data: Path
) -> None:
    samples = list(pk.read_jsonl(small_data / "test_id.jsonl"))[:3]
    trained_labels = pk.LabelSpace(("1", "2"))
    schema = trained.schema.__class__(trained_labels, trained.schema.num_features, False, False)
    for sample in samples:
        sample.label = 1
    with pytest.raises(
        pk.IncompatibleDataError, match=r"expected the label '1' as training wrote it \(got 1\)"
    ):
        schema.check(samples, "data")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: pk.load(None),
            r"path: expected the path of a run directory or saved model folder \(got None\)",
        ),
        (lambda: pk.read_jsonl(None), r"path: expected the path of a JSONL file \(got None\)"),
        (
            lambda: pk.from_records(None),
            r"records: expected a list \(or any iterable\) of mappings.*\(got NoneType\)",
        ),
        (lambda: pk.from_records("abc"), r"records: expected a list .*\(got str\)"),
        (lambda: pk.fit({}, out=None), r"out: expected the path of a run folder \(got None\)"),
        (
            lambda: pk.fit({}, overrides="train.epochs=1"),
            r"overrides: expected a list of key=value strings \(got str",
        ),
        (
            lambda: pk.fit_ensemble({}, seeds=3),
            r"seeds: expected a list of distinct integers, at least one \(got 3\)",
        ),
        (
            lambda: pk.fit_ensemble({}, seeds=[0, 0]),
            r"seeds: expected a list of distinct integers.*\(got \[0, 0\]\)",
        ),
        (
            lambda: pk.fit_ensemble({}, seeds=[True]),
            r"seeds: expected a list of distinct integers.*\(got \[True\]\)",
        ),
        (
            lambda: pk.fit_ensemble({}, seeds=iter([])),
            r"seeds: expected a list of distinct integers.*\(got \[\]\)",
        ),
        (lambda: pk.validate_jsonl(None), r"path: expected the path of a JSONL file \(got None\)"),
        (lambda: list(pk.iter_jsonl(3)), r"path: expected the path of a JSONL file \(got 3\)"),
        (
            lambda: pk.write_jsonl("out.jsonl", []),
            r"samples: expected the samples to write \(got the path 'out.jsonl'\); the path comes second",
        ),
        (lambda: pk.write_jsonl([], None), r"path: expected the path of a JSONL file to write \(got None\)"),
        (lambda: pk.write_synthetic(None), r"out_dir: expected the path of a folder to write the synthetic"),
        (lambda: pk.load_study(""), r"path: expected the path of a study YAML file \(got ''\)"),
        (lambda: pk.load_cached("nope", "x"), r"format: expected one of csv, jsonl, pheme"),
        (lambda: pk.load_cached("twitter", None), r"source: expected the path of a twitter dataset file"),
        (
            lambda: pk.load_cached("twitter", "no/such/folder"),
            r"no/such/folder: expected a twitter dataset file or folder \(got nothing at that path\)",
        ),
        (
            lambda: pk.load_format("pheme", "no-such.json"),
            r"no-such.json: expected a pheme dataset file or folder \(got nothing at that path\)",
        ),
    ],
)
def test_arguments_of_the_wrong_kind_are_named_in_one_line(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PriorkitError, match=message):
        call()


def test_seeds_may_be_any_iterable_of_integers_numpy_ones_too() -> None:
    import numpy as np

    from priorkit.api.fitting import _seeds

    assert _seeds(np.arange(3)) == [0, 1, 2] and _seeds(s for s in (4, 2)) == [4, 2]
