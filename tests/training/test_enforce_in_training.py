"""Enforced rules in real training runs: reached where the prior as stated misses them, logged
per epoch, saved in checkpoints."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch
import yaml

from priorkit.cli import main

ROOT_RULE = {"name": "depth_decay", "decay": 0.5, "min_root_mass": 0.6, "enforce_rate": 0.5}


def run_with(config_file: Path, out: Path, prior: dict) -> dict:  # type: ignore[type-arg]
    config = yaml.safe_load(config_file.read_text())
    config["priors"] = [prior]
    config["train"].update({"epochs": 6, "patience": 100})
    path = out.with_suffix(".yaml")
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path), "--out", str(out)]) == 0
    return json.loads((out / "metrics.json").read_text())


def root_rule(metrics: dict) -> dict:  # type: ignore[type-arg]
    return next(e for e in metrics["compliance"] if e["metric"] == "root_mass")


def test_an_enforced_rule_is_reached_where_the_stated_strength_misses_it(
    config_file: Path, tmp_path: Path
) -> None:
    loose = root_rule(run_with(config_file, tmp_path / "loose", {**ROOT_RULE, "enforce": False}))
    assert loose["pass"] is False and loose["multiplier"] is None
    metrics = run_with(config_file, tmp_path / "enforced", ROOT_RULE)
    enforced = root_rule(metrics)
    assert enforced["pass"] is True and enforced["achieved"] >= 0.6
    assert enforced["multiplier"] > 1.0  # the rule had to be pushed, not met by chance
    with (tmp_path / "enforced" / "history.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    column = "multiplier/depth_decay/root_mass"
    assert len(rows) == 6 and all(column in row for row in rows)
    assert float(rows[0][column]) > 1.0  # the rule was broken from the first epoch on, and pushed
    assert "val/violation" in rows[0] and "val/monitor" in rows[0]


def test_multipliers_travel_in_checkpoints(config_file: Path, tmp_path: Path) -> None:
    run_with(config_file, tmp_path / "run", ROOT_RULE)
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    saved = state["model.priors.priors.0.multipliers"]
    with (tmp_path / "run" / "history.csv").open() as handle:
        last = list(csv.DictReader(handle))[-1]
    logged = [
        float(last["multiplier/depth_decay/root_mass"]),
        float(last["multiplier/depth_decay/reliance_nodes.shares.leaves"]),
    ]
    assert torch.allclose(saved, torch.tensor(logged), rtol=1e-5)
    assert not torch.equal(saved, torch.ones(2))
