"""Seed ensembles: trained, saved and read back; their probabilities are their members' mean in
every path that predicts (predict, predict_file, evaluate, neighbours, the CLI); refusals."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import priorkit as pk
from priorkit.cli import main
from priorkit.errors import ConfigError, PriorkitError


@pytest.fixture(scope="module")
def parts(small_data: Path) -> dict[str, Path]:
    return {
        n: small_data / f"{f}.jsonl" for n, f in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict:
    cache = tmp_path_factory.mktemp("cache")
    return {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [{"name": "depth_decay"}],
        "train": {"epochs": 1, "batch_size": 16, "cache_dir": str(cache), "progress_bar": False},
    }


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory: pytest.TempPathFactory, config: dict, parts: dict[str, Path]) -> pk.Ensemble:
    return pk.fit_ensemble(config, data=parts, out=tmp_path_factory.mktemp("ens") / "e", seeds=[3, 4])


def _probabilities(predictions: list[pk.SamplePrediction]) -> np.ndarray:
    return np.array([[p.probabilities[k] for k in sorted(p.probabilities)] for p in predictions])


def test_an_ensemble_predicts_its_members_mean(ensemble: pk.Ensemble, parts: dict[str, Path]) -> None:
    assert [m.config.train.seed for m in ensemble.members] == [3, 4]
    assert ensemble.members[0].metrics["test"] != ensemble.members[1].metrics["test"]  # other seeds
    together = pk.predict(ensemble, parts["test"])
    alone = [_probabilities(pk.predict(m, parts["test"])) for m in ensemble.members]
    assert np.allclose(_probabilities(together), np.mean(alone, axis=0), atol=1e-6)
    names = sorted(together[0].probabilities)
    assert [str(p.label) for p in together] == [names[i] for i in _probabilities(together).argmax(1)]

    truth = [str(s.label) for s in pk.read_jsonl(parts["test"])]
    accuracy = np.mean([str(p.label) == t for p, t in zip(together, truth, strict=True)])
    assert ensemble.metrics["test"]["accuracy"] == pytest.approx(accuracy)
    assert len(ensemble.metrics["members_test"]) == 2 and ensemble.metrics["seeds"] == [3, 4]


def test_the_folder_reads_back_and_resumes(
    ensemble: pk.Ensemble, config: dict, parts: dict[str, Path]
) -> None:
    folder = ensemble.source
    assert folder is not None
    saved = json.loads((folder / "ensemble.json").read_text())
    assert saved["members"] == ["seed-3", "seed-4"]
    loaded = pk.load_ensemble(folder)
    expected = _probabilities(pk.predict(ensemble, parts["test"]))
    assert np.allclose(_probabilities(pk.predict(loaded, parts["test"])), expected)
    assert np.allclose(_probabilities(pk.predict(str(folder), parts["test"])), expected)  # a path will do
    history = (folder / "seed-3" / "history.csv").read_text()
    again = pk.fit_ensemble(config, data=parts, out=folder, seeds=[3, 4])  # finished: re-evaluated only
    assert (folder / "seed-3" / "history.csv").read_text() == history
    assert again.metrics["test"] == ensemble.metrics["test"]


def test_predict_file_and_evaluate_take_an_ensemble(
    ensemble: pk.Ensemble, parts: dict[str, Path], tmp_path: Path
) -> None:
    out = pk.predict_file(ensemble, parts["test"], tmp_path / "p.jsonl", progress=False).out
    written = [json.loads(line) for line in out.read_text().splitlines()]
    expected = pk.predict(ensemble, parts["test"])
    names = sorted(written[0]["probabilities"])
    rows = np.array([[w["probabilities"][k] for k in names] for w in written])
    assert np.allclose(rows, _probabilities(expected), atol=1e-6)

    report = pk.evaluate(ensemble, parts["test"], repeats=1)
    assert isinstance(report, pk.EnsembleReport)
    assert report.accuracy == pytest.approx(ensemble.metrics["test"]["accuracy"])
    member = pk.evaluate(ensemble.members[1], parts["test"], repeats=1)
    assert report.members[1].to_dict() == member.to_dict()  # each member's own report, rules included
    assert {e["member"] for e in report.compliance} == {0, 1}
    assert report.lines()[1].startswith("ensemble of 2: accuracy")
    assert report.macro_f1 == pytest.approx(ensemble.metrics["test"]["macro_f1"])  # scored alike
    unmeasured = [{**report.members[0].compliance[0], "pass": None, "achieved": None}]
    one = replace(report, members=[replace(report.members[0], compliance=unmeasured)])
    assert one.lines()[2].endswith("(1 n/a)") and "rules kept" not in one.lines()[2]


def test_neighbours_mix_with_the_ensemble(ensemble: pk.Ensemble, parts: dict[str, Path]) -> None:
    neighbours = pk.fit_neighbours(ensemble, parts["train"], parts["val"])
    mixed = _probabilities(pk.predict(ensemble, parts["test"], neighbours=neighbours))
    alone = _probabilities(pk.predict(ensemble, parts["test"]))
    assert mixed.shape == alone.shape and np.allclose(mixed.sum(1), 1)
    if neighbours.mix.weight < 1:
        assert not np.allclose(mixed, alone)


def test_refusals(ensemble: pk.Ensemble, parts: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"explain: expected one network .*ensemble\.members"):
        pk.predict(ensemble, parts["test"], explain=True)
    pk.predict(ensemble.members[0], parts["test"], explain=True)  # a member explains
    for seeds in ([], [1, 1]):
        with pytest.raises(ConfigError, match="seeds: expected a list of distinct integers"):
            pk.fit_ensemble({}, out=tmp_path / "x", seeds=seeds)
    other = pk.fit(
        ensemble.config.updated({"model.tree.node_input.users": "vocab"}), data=parts, out=tmp_path / "other"
    )
    with pytest.raises(ConfigError, match=r"member 1 .* has another data schema"):
        pk.Ensemble((ensemble.members[0], other))
    with pytest.raises(ConfigError, match=r"member 1 .* has another node budget"):
        pk.Ensemble(
            (
                ensemble.members[0],
                pk.fit(ensemble.config.updated({"data.max_nodes": 3}), data=parts, out=tmp_path / "b"),
            )
        )
    with pytest.raises(PriorkitError, match=r"expected a folder for one run \(got a seed ensemble's folder"):
        pk.fit(ensemble.config, data=parts, out=ensemble.source)  # a run beside ensemble.json: never read
    with pytest.raises(
        PriorkitError, match=r"expected a folder for a seed ensemble \(got the folder of one run"
    ):
        pk.fit_ensemble(ensemble.config, data=parts, out=other.source, seeds=[0])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ensemble.json").write_text('{"runs": []}')
    with pytest.raises(
        ConfigError,
        match=re.escape(f"{broken / 'ensemble.json'}: expected the JSON object with a list of `members`"),
    ):
        pk.load_ensemble(broken)
    with pytest.raises(ConfigError, match="expected at least one trained member"):
        pk.Ensemble(())
    for k, member in enumerate(ensemble.members):  # every member's files are protected, not the last one's
        with pytest.raises(
            pk.PriorkitError, match=f"other than the input config.yaml of the model of member {k} "
        ):
            pk.predict_file(ensemble, parts["test"], member.source / "config.yaml", progress=False)
    for members, problem in [
        ("[]", r"`members` is not a non-empty list of folder names: \[\]"),
        ('"seed-0"', r"`members` is not a non-empty list of folder names: 'seed-0'"),
        (f'["../{ensemble.source.name}/seed-0"]', r"are not folders directly inside the ensemble's folder"),
        (f'["{ensemble.members[0].source}"]', r"are not folders directly inside the ensemble's folder"),
        ('["seed-0", "seed-0"]', r"members \['seed-0'\] are named more than once"),
    ]:
        (broken / "ensemble.json").write_text(f'{{"members": {members}}}')
        with pytest.raises(ConfigError, match=rf"ensemble\.json: expected the JSON object .*{problem}"):
            pk.load_ensemble(broken)


def test_the_command_line_trains_scores_and_predicts_an_ensemble(
    config_file: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ens"
    args = ["train", str(config_file), "--out", str(out), "--set", "train.epochs=1", "--seeds", "0", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "seed 1: test accuracy" in printed and "ensemble: test accuracy" in printed
    assert main(["evaluate", str(out), "--data", str(small_data / "test_ood.jsonl"), "--repeats", "1"]) == 0
    assert "ensemble of 2: accuracy" in capsys.readouterr().out
    predictions = tmp_path / "p.jsonl"
    assert (
        main(
            [
                "predict",
                str(out),
                "--data",
                str(small_data / "test_ood.jsonl"),
                "--out",
                str(predictions),
                "--quiet",
            ]
        )
        == 0
    )
    assert len(predictions.read_text().splitlines()) == 24
    html = [
        "predict",
        str(out),
        "--data",
        str(small_data / "test_ood.jsonl"),
        "--out",
        str(tmp_path / "q.jsonl"),
    ]
    assert main([*html, "--html", str(tmp_path / "html")]) == 2
    assert "--html: expected one network" in capsys.readouterr().err


def test_neighbours_fitted_for_an_ensemble_are_refused_for_a_member_and_the_reverse(
    ensemble: pk.Ensemble, parts: dict[str, Path], tmp_path: Path
) -> None:
    fitted = pk.fit_neighbours(ensemble, parts["train"], parts["val"])
    assert fitted.networks == 2
    with pytest.raises(ConfigError, match=r"fitted for an ensemble of 2 networks .*got one network"):
        pk.predict(ensemble.members[0], parts["test"], neighbours=fitted)
    own = pk.fit_neighbours(ensemble.members[1], parts["train"], parts["val"])
    with pytest.raises(ConfigError, match=r"fitted for one network .*got an ensemble of 2 networks"):
        pk.predict(ensemble, parts["test"], neighbours=own)
    with pytest.raises(ConfigError, match=r"fitted for one network with model fingerprint"):
        pk.predict(ensemble.members[0], parts["test"], neighbours=own)  # the other member
    # read back from disk (the ensemble and the neighbours), the pair is accepted
    again = pk.TextNeighbours.load(fitted.save(tmp_path / "n"))
    assert (again.model, again.networks) == (fitted.model, 2)
    assert len(pk.predict(pk.load_ensemble(ensemble.source), parts["test"], neighbours=again)) > 0


def test_neighbours_saved_without_a_fingerprint_are_still_read_and_used(
    ensemble: pk.Ensemble, parts: dict[str, Path], tmp_path: Path
) -> None:
    folder = pk.fit_neighbours(ensemble, parts["train"], parts["val"]).save(tmp_path / "old")
    settings = json.loads((folder / "neighbours.json").read_text())
    del settings["model"], settings["networks"]
    (folder / "neighbours.json").write_text(json.dumps(settings))
    old = pk.TextNeighbours.load(folder)
    assert (old.model, old.networks) == ("", 1)
    (folder / "neighbours.json").write_text(json.dumps({**settings, "model": None}))
    assert pk.TextNeighbours.load(folder).model == ""  # null: not recorded, not "None"
    assert len(pk.predict(ensemble.members[0], parts["test"], neighbours=old)) > 0  # nothing to check against


def test_loading_an_ensemble_folder_as_one_network_names_the_way_to_read_it(ensemble: pk.Ensemble) -> None:
    assert ensemble.source is not None
    with pytest.raises(PriorkitError, match=r"seed ensemble's folder.*pk\.load_ensemble\(folder\).*'seed-3'"):
        pk.load(ensemble.source)
    assert isinstance(pk.load(ensemble.source / "seed-3"), pk.TrainedModel)


def test_an_ensemble_whose_training_was_stopped_names_how_to_finish_it(
    ensemble: pk.Ensemble, config: dict, parts: dict[str, Path], tmp_path: Path
) -> None:
    assert ensemble.source is not None
    stopped = tmp_path / "stopped"
    shutil.copytree(ensemble.source, stopped)
    (stopped / "ensemble.json").unlink()  # killed after its members, before the file that joins them
    finish = (
        r"training did not finish \(member runs seed-3, seed-4; no ensemble\.json\).*pk\.fit_ensemble again"
    )
    with pytest.raises(ConfigError, match=f"expected a trained seed ensemble .*{finish}"):
        pk.load_ensemble(stopped)
    with pytest.raises(PriorkitError, match=f"expected one trained network .*{finish}"):
        pk.load(stopped)
    pk.fit_ensemble(config, data=parts, out=stopped, seeds=[3, 4])  # as the message says: it finishes
    assert len(pk.load_ensemble(stopped).members) == 2
