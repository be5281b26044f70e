"""Studies over synthetic worlds: the worlds written into the study folder, the family table."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from priorkit.ablation.family import compliant, family_table
from priorkit.ablation.study import StudyConfig, load_study
from priorkit.cli import main
from priorkit.data.synth import SynthConfig, write_synthetic
from priorkit.errors import ConfigError

WORLD = {"n_train": 40, "n_val": 12, "n_test": 16, "max_nodes": 10}


def family_study(study_file: Path) -> Path:
    study = yaml.safe_load(study_file.read_text())
    study.pop("evaluate")
    study["seeds"] = [0]
    study["datasets"] = {
        "stars": {
            "note": "star cascades",
            "synth": {**WORLD, "shape": "star", "shortcut": "all_leaves", "seed": 1},
        },
        "roots": {
            "synth": {**WORLD, "shortcut": "root", "signal": {"leaves": 1.0}, "seed": 2},
            "expect": {"decay": "wrong"},
        },
    }
    study_file.write_text(yaml.safe_dump(study))
    return study_file


def test_a_study_of_worlds_writes_them_once_and_prints_the_family_table(
    study_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    path, out = family_study(study_file), tmp_path / "out"
    assert main(["ablate", str(path), "--out", str(out)]) == 0
    for world in ("stars", "roots"):
        assert sorted(p.name for p in (out / "data" / world).iterdir()) == [
            "synth.json",
            "test_id.jsonl",
            "test_ood.jsonl",
            "train.jsonl",
            "val.jsonl",
        ]
    printed = capsys.readouterr().out
    assert "| stars: star cascades |" in printed and "(w)" in printed and "compliance pass rate" in printed
    table = pd.read_csv(out / "results.csv")
    assert set(table["dataset"]) == {"stars", "roots"} and "test_ood.accuracy" in table.columns
    assert "## Across datasets" in (out / "summary.md").read_text()
    assert main(["report", str(out)]) == 0  # the report rewrites summary.md with the family table
    assert "## Across datasets" in (out / "summary.md").read_text()
    stamp = (out / "data" / "stars" / "train.jsonl").stat().st_mtime_ns
    assert main(["ablate", str(path), "--out", str(out)]) == 0  # everything done: nothing rewritten
    assert (out / "data" / "stars" / "train.jsonl").stat().st_mtime_ns == stamp


def test_a_dataset_is_files_or_a_source_or_a_world(tmp_path: Path) -> None:
    base = {"data": {"train": "a", "val": "b", "test": "c"}}
    for data in ({"synth": {}, "train": "a"}, {}, {"synth": {"shape": "ring"}}):
        path = tmp_path / "study.yaml"
        path.write_text(yaml.safe_dump({"base": base, "arms": {"baseline": {}}, "datasets": {"w": data}}))
        with pytest.raises(ConfigError):
            load_study(path)


def rows(**columns) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame(columns)


def test_the_family_table_by_hand() -> None:
    study = StudyConfig.model_validate(
        {
            "base": {},
            "arms": {"baseline": {}, "prior": {}},
            "datasets": {"a": {"synth": {}}, "b": {"synth": {}, "expect": {"prior": "wrong"}}},
        }
    )
    table = rows(
        dataset=["a", "a", "a", "a", "b", "b"],
        arm=["baseline", "prior", "baseline", "prior", "baseline", "prior"],
        seed=[0, 0, 1, 1, 0, 0],
        status=["done"] * 6,
        **{
            "test_ood.accuracy": [0.5, 0.8, 0.6, 0.8, 0.9, 0.7],
            "test.compliance.prior.m.pass": [math.nan, True, math.nan, False, math.nan, True],
        },
    )
    lines = family_table(table, study)
    assert lines[2] == "| a | 0.550 | +0.250 (1/2) |"
    assert lines[3] == "| b | 0.900 | -0.200 (1/1) (w) |"
    totals = {line.split("|")[1].strip("* "): line.split("|")[3].strip() for line in lines[4:9]}
    assert totals == {
        "compliance pass rate": "67% of 3",
        "mean gain, away": "+0.250",
        "smallest gain, away": "+0.250",
        "mean gain, neutral": "n/a",
        "mean gain, wrong": "-0.200",
    }


def test_a_trial_is_compliant_when_every_rule_it_measured_passed() -> None:
    assert (
        compliant(pd.Series({"test.compliance.p.a.pass": True, "test.compliance.q.b.pass": math.nan})) is True
    )
    assert (
        compliant(pd.Series({"test.compliance.p.a.pass": True, "test.compliance.p.b.pass": False})) is False
    )
    assert compliant(pd.Series({"test.accuracy": 0.5})) is None


def test_redraw_draws_every_world_afresh_and_a_folder_drawn_otherwise_is_refused(
    study_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    path, out = family_study(study_file), tmp_path / "out"
    assert main(["ablate", str(path), "--out", str(out), "--redraw", "100"]) == 0
    seeds = {w: json.loads((out / "data" / w / "synth.json").read_text())["seed"] for w in ("stars", "roots")}
    assert seeds == {"stars": 101, "roots": 102}
    redrawn = (out / "data" / "stars" / "train.jsonl").read_text()
    first = SynthConfig.model_validate({**WORLD, "shape": "star", "shortcut": "all_leaves", "seed": 1})
    write_synthetic(tmp_path / "first", first)
    assert redrawn != (tmp_path / "first" / "train.jsonl").read_text()  # another draw of the same world
    capsys.readouterr()
    assert main(["ablate", str(path), "--out", str(out)]) != 0  # the first draw into the redrawn folder
    err = capsys.readouterr().err
    assert re.search(r"(stars|roots)/synth\.json: .*drawn with another config \(seed: 10[12] -> [12]\)", err)
    assert "another --out" in err
    assert (out / "data" / "stars" / "train.jsonl").read_text() == redrawn  # nothing rewritten
    assert main(["ablate", str(path), "--out", str(tmp_path / "negative"), "--redraw", "-1"]) == 2
    assert (
        f"{path}: `redraw`: input should be greater than or equal to 0 (got -1)." in capsys.readouterr().err
    )


def test_an_arm_not_marked_takes_the_mark_of_its_prior() -> None:
    study = StudyConfig.model_validate(
        {
            "base": {},
            "arms": {
                "baseline": {},
                "decay_strong": {"priors": [{"name": "depth_decay", "decay": 4.0}]},
                "decay_marked": {"priors": [{"name": "depth_decay"}]},
                "two": {"priors": ["depth_decay", "modality_gate"]},
            },
            "datasets": {
                "a": {"synth": {}},
                "b": {"synth": {}, "expect": {"depth_decay": "wrong", "decay_marked": "neutral"}},
            },
        }
    )
    table = rows(
        dataset=["a"] * 4 + ["b"] * 4,
        arm=["baseline", "decay_strong", "decay_marked", "two"] * 2,
        seed=[0] * 8,
        status=["done"] * 8,
        **{"test_ood.accuracy": [0.5, 0.6, 0.6, 0.6, 0.5, 0.6, 0.6, 0.6]},
    )
    b = family_table(table, study)[3]
    assert b == "| b | 0.500 | +0.100 (0/1) (w) | +0.100 (0/1) (n) | +0.100 (0/1) |"  # its own mark first
    with pytest.raises(ValueError, match=r"expect: nothing not among the arms .* or the priors"):
        StudyConfig.model_validate(
            {
                "base": {},
                "arms": {"baseline": {}},
                "datasets": {"a": {"synth": {}, "expect": {"nothing": "wrong"}}},
            }
        )


def test_a_study_may_run_the_datasets_of_another(study_file: Path, tmp_path: Path) -> None:
    family = family_study(study_file)
    other = tmp_path / "other"
    other.mkdir()
    sibling = {"base": "../base.yaml", "datasets_from": "../study.yaml", "arms": {"baseline": {}, "x": {}}}
    (other / "sibling.yaml").write_text(yaml.safe_dump(sibling))
    study, _ = load_study(other / "sibling.yaml")
    theirs = load_study(family)[0].datasets
    assert study.datasets is not None and theirs is not None and study.datasets_from is None
    assert {n: d.synth for n, d in study.datasets.items()} == {n: d.synth for n, d in theirs.items()}
    # the other study's mark of its arm "decay" is a mark of that arm's prior here
    assert study.datasets["roots"].expect == {"depth_decay": "wrong"}  # type: ignore[index]
    (other / "sibling.yaml").write_text(yaml.safe_dump({**sibling, "datasets_from": "../none.yaml"}))
    with pytest.raises(
        ConfigError, match=r"sibling.yaml: datasets_from: expected a study file \(got none at"
    ):
        load_study(other / "sibling.yaml")
    both = {**sibling, "datasets": {"w": {"synth": {}}}}
    (other / "sibling.yaml").write_text(yaml.safe_dump(both))
    with pytest.raises(ConfigError, match="expected either `datasets` or `datasets_from`"):
        load_study(other / "sibling.yaml")
