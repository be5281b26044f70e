"""Priors from a training config: trained, saved with the run, measured into the compliance report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from priorkit.api.trial import run_trial
from priorkit.cli import main
from priorkit.data.jsonl import read_jsonl, write_jsonl
from priorkit.runs.config import RunConfig

PRIORS = [
    {"name": "modality_gate", "target": {"text": 0.8}, "mode": "soft"},
    {"name": "depth_decay", "decay": 1.0},
    {"name": "supervised_attention", "target": "importance"},
    {"name": "counterfactual", "kind": "modality_swap", "rate": 0.5, "consistency_weight": 0.1},
]


def with_priors(config_file: Path, priors: list[dict[str, object]]) -> Path:
    config = yaml.safe_load(config_file.read_text())
    config["priors"] = priors
    config["train"]["epochs"] = 2
    config_file.write_text(yaml.safe_dump(config))
    return config_file


def test_compliance_is_written_by_training_and_printed_by_evaluate(
    config_file: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    assert main(["train", str(with_priors(config_file, PRIORS)), "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    entries = metrics["compliance"]
    assert [e["prior"] for e in entries] == [
        "modality_gate",
        "modality_gate",
        "depth_decay",
        "depth_decay",
        "supervised_attention",
        "counterfactual",
    ]
    for entry in entries:
        assert set(entry) == {"prior", "metric", "target", "rule", "achieved", "pass", "multiplier"}
        assert isinstance(entry["achieved"], float) and isinstance(entry["pass"], bool)
        # every prior enforces its rules by default, but for the modality gate's reliance (checked only)
        checked_only = entry["metric"] == "reliance.text"
        assert entry["multiplier"] is None if checked_only else isinstance(entry["multiplier"], float)
    assert metrics["test"]["priors"]["depth_decay/root_mass"] == pytest.approx(
        metrics["test"]["root_attention"]
    )
    capsys.readouterr()
    out = tmp_path / "eval.json"
    assert main(["evaluate", str(run), "--data", str(small_data / "test_ood.jsonl"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "compliance:" in printed and "depth_decay: root_mass" in printed and "(target >= 0.50)" in printed
    assert len(json.loads(out.read_text())["compliance"]) == 6


def test_unknown_prior_arguments_stop_training_before_it_starts(
    config_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    bad = with_priors(config_file, [{"name": "depth_decay", "lambda": 2}])
    assert main(["train", str(bad), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert (
        "`priors`: priors[0] (depth_decay): `lambda`: unknown key. Valid keys here: decay, enforce, enforce_rate, form"
        in err
    )


def test_a_user_vocabulary_is_saved_with_the_run_and_used_to_evaluate(
    config_file: Path, small_data: Path, tmp_path: Path
) -> None:
    for name in ("train", "val", "test_id"):
        samples = list(read_jsonl(small_data / f"{name}.jsonl"))
        for k, sample in enumerate(samples):
            sample.user = [f"user{(k + i) % 7}" for i in range(sample.num_nodes)]
        write_jsonl(samples, tmp_path / f"{name}.jsonl")
    config = yaml.safe_load(config_file.read_text())
    config["data"] = {
        k: str(tmp_path / f"{f}.jsonl") for k, f in (("train", "train"), ("val", "val"), ("test", "test_id"))
    }
    config["model"]["tree"]["node_input"] = {"users": "vocab", "user_min_count": 2}
    result = run_trial(
        RunConfig.from_dict(config), tmp_path / "run", evaluate={"again": tmp_path / "test_id.jsonl"}
    )
    schema = json.loads((tmp_path / "run" / "schema.json").read_text())
    assert schema["users"]["ids"] == [f"user{k}" for k in range(7)] and schema["users"]["min_count"] == 2
    assert result.reports["again"]["accuracy"] == pytest.approx(result.reports["test"]["accuracy"])
    assert (tmp_path / "run" / "eval_again.json").is_file()
    assert set(result.row()) >= {"test/accuracy", "again/accuracy", "again/reliance_text"}
