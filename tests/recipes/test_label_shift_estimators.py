"""recipes/label_shift_estimators.py on a finished tiny study: every variant is scored on every
fold, and the oracle's mix distance is the smallest (it is told the true mix)."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import yaml

import priorkit as pk
from tests.ablation.conftest import study_file  # noqa: F401  (fixture)
from tests.ablation.test_folds import study_with
from tests.training.conftest import config_file  # noqa: F401  (fixture)

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def test_every_variant_is_scored_on_every_fold(
    study_file: Path,  # noqa: F811
    small_data: Path,
    tmp_path: Path,
    monkeypatch,
    capsys,
) -> None:  # type: ignore[no-untyped-def]
    samples = [s for name in ("train", "val", "test_id") for s in pk.read_jsonl(small_data / f"{name}.jsonl")]
    for k, sample in enumerate(samples):
        sample.group = f"event{k % 3}"
    pk.write_jsonl(samples, tmp_path / "all.jsonl")
    study = study_with(
        study_file, {"folds": "groups", "seeds": [0], "datasets": {"ev": {"source": "all.jsonl"}}}
    )
    spec = yaml.safe_load(study.read_text())
    spec["arms"] = {"label_shift": {"priors": [{"name": "label_shift", "min_samples": 5}]}}
    spec["baseline"] = "label_shift"
    study.write_text(yaml.safe_dump(spec))
    pk.run_study(study, tmp_path / "study", progress=False)

    argv = [
        str(RECIPES / "label_shift_estimators.py"),
        "--study",
        str(study),
        "--out",
        str(tmp_path / "study"),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(argv[0], run_name="__main__")
    out = capsys.readouterr().out
    rows = re.findall(r"^\| (event\d) \| \d+ \| ([^|]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", out, re.M)
    assert len(rows) == 3 * 14  # 3 folds x (the network alone, 12 estimators, the oracle)
    distance = {}
    for fold, variant, *_, mix in rows:
        distance.setdefault(fold, {})[variant.strip()] = float(mix)
    for per_variant in distance.values():
        assert per_variant["true mix (oracle)"] == min(per_variant.values())
    assert "| network alone | " in out and "| bcts + em | " in out
