"""Studies that split one source into folds: k-fold on a real dataset, leave one group out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from priorkit.ablation import load_study, run_study
from priorkit.ablation.folds import pool
from priorkit.ablation.grid import expand
from priorkit.ablation.report import write_report
from priorkit.data.jsonl import read_jsonl, write_jsonl
from priorkit.errors import ConfigError
from tests.conftest import real_data


def study_with(study_file: Path, changes: dict) -> Path:  # type: ignore[type-arg]
    spec = yaml.safe_load(study_file.read_text())
    spec.update(changes)
    spec["arms"] = {"baseline": {"priors": []}}
    spec.pop("evaluate", None)
    study_file.write_text(yaml.safe_dump(spec))
    return study_file


def test_leave_one_group_out_tests_each_group_once(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    samples = [s for name in ("train", "val", "test_id") for s in read_jsonl(small_data / f"{name}.jsonl")]
    for k, sample in enumerate(samples):
        sample.group = f"event{k % 3}"
    write_jsonl(samples, tmp_path / "all.jsonl")
    study = study_with(
        study_file, {"folds": "groups", "seeds": [0], "datasets": {"events": {"source": "all.jsonl"}}}
    )
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 3 and run.failed == 0
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert sorted(table["fold"]) == [0, 1, 2]
    assert table["test.n"].sum() == len(samples)  # every sample is tested exactly once


def retold(small_data: Path, tmp_path: Path) -> Path:
    """The small data with every text told twice (two trees per story), each sample timed."""
    samples = [s for name in ("train", "val", "test_id") for s in read_jsonl(small_data / f"{name}.jsonl")]
    for k, sample in enumerate(samples):
        sample.text = samples[k - k % 2].text + (" URL" if k % 2 else "")
        sample.created_at = 1.4e9 + 60.0 * k
    write_jsonl(samples, tmp_path / "all.jsonl")
    return tmp_path / "all.jsonl"


def test_story_folds_are_saved_with_their_leakage_and_kept(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    source = retold(small_data, tmp_path)
    folds = {"kind": "story", "k": 2}
    study = study_with(
        study_file, {"folds": folds, "seeds": [0], "datasets": {"told": {"source": str(source)}}}
    )
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 2 and run.failed == 0
    saved = json.loads((tmp_path / "study" / "splits" / "told.json").read_text())
    assert saved["config"]["kind"] == "story" and saved["config"]["k"] == 2
    for fold in saved["folds"]:
        train = {saved["groups"][i] for i in fold["train"] + fold["val"]}
        assert not train & {saved["groups"][i] for i in fold["test"]}  # no story on both sides
    summary = (tmp_path / "study" / "summary.md").read_text()
    assert "Leakage of the story split (near-duplicate: TF-IDF cosine >= 0.5" in summary
    assert "| mean +- std | | 0.000 +- 0.000 |" in summary  # no test text is retold in training
    assert '<p class="leakage">Leakage of the story split' in write_report(tmp_path / "study").read_text()
    # a lost leakage report is made again from the saved folds, which stay as they were
    splits = tmp_path / "study" / "splits"
    before = (splits / "told.json").read_text()
    (splits / "told.leakage.json").unlink()
    assert run_study(study, tmp_path / "study", progress=False).ran == 0
    assert (splits / "told.leakage.json").is_file() and (splits / "told.json").read_text() == before
    # asking the same folder for other folds is refused, naming the file and the way out
    study_with(study, {"folds": {"kind": "temporal"}})
    with pytest.raises(ConfigError, match=r"told.json: this study folder was split with .* Use a new --out"):
        run_study(study, tmp_path / "study", progress=False)


def test_periods_group_the_samples_of_every_trial_by_time(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    source = retold(small_data, tmp_path)
    data = {"timed": {"source": str(source), "periods": 3}}
    folds = {"kind": "temporal", "test_fraction": 0.25, "per_class": True}
    study = study_with(study_file, {"folds": folds, "seeds": [0], "datasets": data})
    spec = yaml.safe_load(study.read_text())
    spec["arms"] = {"baseline": {"priors": []}, "invariant": {"priors": [{"name": "group_invariance"}]}}
    study.write_text(yaml.safe_dump(spec))
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 2 and run.failed == 0  # group_invariance found the periods as groups
    folds = {"timed": (1, str(tmp_path / "study" / "splits" / "timed.json"))}
    trial = next(t for t in expand(*load_study(study), folds) if t.arm == "invariant")
    assert trial.periods == 3
    grouped = pool(str(source), "jsonl", {}, trial.config, trial.periods)
    assert sorted({s.group for s in grouped}) == ["period0", "period1", "period2"]
    assert "within each class" in (tmp_path / "study" / "summary.md").read_text()
    spec["datasets"]["timed"] = {"train": "a.jsonl", "val": "b.jsonl", "test": "c.jsonl", "periods": 3}
    study.write_text(yaml.safe_dump(spec))
    with pytest.raises(ConfigError, match="periods: grouping by period needs a `source` dataset"):
        run_study(study, tmp_path / "other", progress=False)


def test_random_folds_of_retold_texts_report_their_leak(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    source = retold(small_data, tmp_path)
    told = {"source": str(source), "labels": {"positive": "good"}}
    study = study_with(study_file, {"folds": 2, "seeds": [0], "datasets": {"told": told}})
    run_study(study, tmp_path / "study", progress=False)
    leakage = json.loads((tmp_path / "study" / "splits" / "told.leakage.json").read_text())
    assert leakage["kind"] == "stratified" and leakage["mean"]["near_duplicates"]["mean"] > 0.4
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert "test.per_class.good.f1" in table.columns and "test.per_class.positive.f1" not in table.columns


@pytest.mark.real_data
def test_k_fold_on_raw_twitter15(study_file: Path, tmp_path: Path) -> None:
    source = real_data("twitter15")
    study = study_with(
        study_file,
        {"folds": 2, "seeds": [0], "datasets": {"t15": {"source": str(source), "format": "twitter"}}},
    )
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 2 and run.failed == 0
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert table["test.n"].sum() == 1490


def test_another_collection_is_scored_whole_by_every_trial(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    source = retold(small_data, tmp_path)
    other = read_jsonl(small_data / "test_ood.jsonl")
    for sample in other:  # another collection: its own label names, nodes with other features
        sample.label = {"positive": "good", "negative": "bad"}[str(sample.label)]
        sample.features = sample.features[:, :2]
    write_jsonl(other, tmp_path / "other.jsonl")
    collection = {"source": "other.jsonl", "labels": {"good": "positive", "bad": "negative"}}
    data = {"told": {"source": str(source), "node_features": False, "evaluate": {"other": collection}}}
    study = study_with(study_file, {"folds": 2, "seeds": [0], "datasets": data})
    failed = run_study(study, tmp_path / "kept", progress=False)
    assert failed.failed == 2  # its features kept, the collection cannot be scored by the model
    error = json.loads(next((tmp_path / "kept").glob("trials/**/error.json")).read_text())["error"]
    assert "expected 0 node features (got 2)" in error
    spec = yaml.safe_load(study.read_text())
    spec["datasets"]["told"]["evaluate"]["other"]["node_features"] = False
    study.write_text(yaml.safe_dump(spec))
    run = run_study(study, tmp_path / "study", progress=False)
    assert run.done == 2 and run.failed == 0
    table = pd.read_csv(tmp_path / "study" / "results.csv")
    assert (table["other.n"] == len(other)).all()  # read whole by each fold's model
    assert table["other.accuracy"].notna().all()
    trial = expand(*load_study(study), {"told": (2, str(tmp_path / "study" / "splits" / "told.json"))})[0]
    assert trial.evaluate["other"].source == str(tmp_path / "other.jsonl")  # type: ignore[union-attr]
    assert all(s.features is None for s in pool(str(source), "jsonl", {}, trial.config, None, False))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"source": "nowhere"},
            r"expected files and collections that exist \(got none at datasets.told.evaluate.x.source ",
        ),
        ({"source": "all.jsonl", "format": "excel"}, "format"),
        ({"source": "all.jsonl", "node_feature": False}, "node_feature"),
    ],
)
def test_a_bad_collection_is_refused_with_its_key(
    study_file: Path,
    small_data: Path,
    tmp_path: Path,
    entry: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    source = retold(small_data, tmp_path)
    data = {"told": {"source": str(source), "evaluate": {"x": entry}}}
    study = study_with(study_file, {"folds": 2, "seeds": [0], "datasets": data})
    with pytest.raises(ConfigError, match=message):
        load_study(study)


def test_node_features_are_dropped_only_from_a_source_dataset(study_file: Path, tmp_path: Path) -> None:
    files = {"train": "a.jsonl", "val": "b.jsonl", "test": "c.jsonl", "node_features": False}
    study = study_with(study_file, {"datasets": {"fixed": files}})
    with pytest.raises(ConfigError, match="node_features: dropping node features needs a `source` dataset"):
        load_study(study)
