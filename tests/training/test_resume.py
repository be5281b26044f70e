"""A training run killed for real (SIGKILL) resumes from its last checkpoint with its history."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch

from priorkit.cli import main

EPOCHS = ["--set", "train.epochs=25", "--set", "train.patience=100"]


def history_rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open() as handle:
        return len(list(csv.DictReader(handle)))


ENFORCED = ["--set", "priors=[{name: depth_decay, min_root_mass: 0.9}]"]


@pytest.mark.parametrize("priors", [[], ENFORCED], ids=["no-prior", "enforced-prior"])
def test_killed_run_resumes_with_its_history(config_file: Path, tmp_path: Path, priors: list[str]) -> None:
    run = tmp_path / "run"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "priorkit.cli",
            "train",
            str(config_file),
            "--out",
            str(run),
            *EPOCHS,
            *priors,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 300
    while history_rows(run / "history.csv") < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    saved = torch.load(last, weights_only=True)
    before = next(v for k, v in saved["callbacks"].items() if "EpochHistory" in k)["rows"]
    assert 1 <= len(before) < 25
    if priors:  # the multipliers in the checkpoint are those its last history row logged
        multipliers = saved["state_dict"]["model.priors.priors.0.multipliers"]
        assert float(multipliers[0]) == pytest.approx(
            before[-1]["multiplier/depth_decay/root_mass"], rel=1e-5
        )
        assert float(multipliers[0]) > 1.0

    assert main(["train", str(config_file), "--out", str(run), *EPOCHS, *priors]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["history"]] == [float(e) for e in range(25)]
    assert metrics["history"][: len(before)] == before
    assert "resuming from" in (run / "train.log").read_text()


class Killed(Exception):
    """Stands for the process dying right after an epoch's checkpoint was written."""


class KillAfter(pl.Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            raise Killed


def comparable(history: list[dict[str, float]]) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if "seconds" not in k} for row in history]


@pytest.mark.parametrize(
    "priors",
    [[], [{"name": "counterfactual", "kind": "leaf_perturb"}, {"name": "depth_decay"}]],
    ids=["no-prior", "augmenting-and-enforced-priors"],
)
def test_a_run_killed_at_an_epoch_boundary_resumes_exactly(config_file: Path, tmp_path: Path, priors) -> None:  # type: ignore[no-untyped-def]
    from priorkit.runs.config import RunConfig
    from priorkit.training.run import train

    config = RunConfig.from_yaml(config_file, ["train.epochs=5", "train.patience=100", "model.dropout=0.3"])
    config = config.updated({"priors": priors})
    whole = train(config, tmp_path / "whole").metrics
    with pytest.raises(Killed):
        train(config, tmp_path / "resumed", callbacks=[KillAfter(1)])
    resumed = train(config, tmp_path / "resumed").metrics
    assert comparable(resumed["history"]) == comparable(whole["history"])
    assert resumed["test"] == whole["test"] and resumed["best_epoch"] == whole["best_epoch"]


def test_a_run_folder_moved_elsewhere_resumes_and_re_evaluates(config_file: Path, tmp_path: Path) -> None:
    import shutil

    from priorkit.runs.config import RunConfig
    from priorkit.training.run import train

    config = RunConfig.from_yaml(config_file, ["train.epochs=4", "train.patience=100", "model.dropout=0.3"])
    whole = train(config, tmp_path / "whole").metrics
    with pytest.raises(Killed):
        train(config, tmp_path / "killed", callbacks=[KillAfter(1)])
    moved = shutil.move(tmp_path / "killed", tmp_path / "elsewhere" / "run")  # copied to another machine
    resumed = train(config, moved).metrics
    for metrics in (resumed, train(config, shutil.move(moved, tmp_path / "finished")).metrics):
        assert comparable(metrics["history"]) == comparable(whole["history"])
        assert metrics["test"] == whole["test"]
        assert (metrics["best_epoch"], metrics["best_score"]) == (whole["best_epoch"], whole["best_score"])
        assert metrics["best_checkpoint"] == "checkpoints/best.ckpt"


def test_a_checkpoint_of_another_model_copied_into_a_run_is_refused_not_resumed(
    config_file: Path, tmp_path: Path
) -> None:
    from priorkit.errors import PriorkitError
    from priorkit.runs.config import RunConfig
    from priorkit.training.run import train

    config = RunConfig.from_yaml(config_file, ["train.epochs=2", "train.patience=100"])
    other = config.updated({"priors": [{"name": "label_shift"}]})  # another model: buffers of its prior
    with pytest.raises(Killed):
        train(config, tmp_path / "run", callbacks=[KillAfter(1)])
    with pytest.raises(Killed):
        train(other, tmp_path / "other", callbacks=[KillAfter(1)])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    last.write_bytes((tmp_path / "other" / "checkpoints" / "last.ckpt").read_bytes())
    with pytest.raises(
        PriorkitError, match=r"last.ckpt: expected a checkpoint of this run's model \(got unexpected "
    ):
        train(config, tmp_path / "run")
    torch.save({"state_dict": {}}, last)
    with pytest.raises(PriorkitError, match=r"\(got not a Lightning training checkpoint\)"):
        train(config, tmp_path / "run")
