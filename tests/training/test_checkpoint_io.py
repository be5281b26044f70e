"""Checkpoints are written atomically; a torn last.ckpt is set aside and the run resumes from the
previous one; a full disk leaves the last good checkpoint in place; a changed config is refused."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import torch
import yaml

from priorkit.cli import main
from priorkit.training import checkpoint_io
from priorkit.training.checkpoint_io import AtomicCheckpointIO, CheckpointWriteError, resume_point

EPOCHS = ["--set", "train.epochs=3", "--set", "train.patience=100"]


def test_saving_keeps_the_previous_last_and_leaves_no_partial(tmp_path: Path) -> None:
    io = AtomicCheckpointIO()
    last = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"epoch": 0}, last)
    io.save_checkpoint({"epoch": 1}, last)
    assert torch.load(last, weights_only=True)["epoch"] == 1
    assert torch.load(last.with_name("last.prev.ckpt"), weights_only=True)["epoch"] == 0
    assert sorted(p.name for p in last.parent.iterdir()) == ["last.ckpt", "last.prev.ckpt"]


def test_a_full_disk_leaves_the_last_good_checkpoint(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    io = AtomicCheckpointIO()
    last = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"epoch": 0}, last)

    def full_disk(obj, path):  # type: ignore[no-untyped-def]
        Path(path).write_bytes(b"PK\x03\x04 half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_io.torch, "save", full_disk)
    with pytest.raises(
        CheckpointWriteError,
        match=r"could not write the checkpoint \(got No space left on device\); the checkpoints written before are intact \(last.ckpt\)",
    ):
        io.save_checkpoint({"epoch": 1}, last)
    assert sorted(p.name for p in last.parent.iterdir()) == ["last.ckpt"]
    monkeypatch.undo()
    assert torch.load(last, weights_only=True)["epoch"] == 0


def test_a_disk_that_fills_during_training_ends_in_one_line_and_the_run_resumes(
    config_file: Path, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    real_save, calls = torch.save, []

    def fills_on_the_third(obj, path):  # type: ignore[no-untyped-def]
        if "checkpoints" in Path(path).parts:
            calls.append(path)
        if (
            len(calls) == 3 and calls[-1] == path
        ):  # torch reports a failed write as a RuntimeError, half a file written
            Path(path).write_bytes(b"PK\x03\x04 half")
            raise RuntimeError(
                "[enforce fail at inline_container.cc:626] . PytorchStreamWriter failed writing file data/0: file write failed"
            )
        real_save(obj, path)

    monkeypatch.setattr(checkpoint_io.torch, "save", fills_on_the_third)
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "could not write the checkpoint (got [enforce fail" in err
    assert "run the same command again: training resumes from the last good checkpoint" in err
    assert not list(run.rglob("*.partial"))
    monkeypatch.undo()
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS]) == 0
    assert "resuming from" in (run / "train.log").read_text()
    metrics = json.loads((run / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["history"]] == [0.0, 1.0, 2.0]


def test_a_torn_last_checkpoint_is_set_aside_and_the_run_resumes_from_the_previous(
    config_file: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS]) == 0
    folder = run / "checkpoints"
    assert (folder / "last.prev.ckpt").is_file()
    (folder / "last.ckpt").write_bytes((folder / "last.ckpt").read_bytes()[:500])  # torn
    assert resume_point(run) == folder / "last.prev.ckpt"
    assert (folder / "last.ckpt.torn").is_file()
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS]) == 0
    log = (run / "train.log").read_text()
    assert "resuming from" in log and "last.prev.ckpt" in log
    metrics = json.loads((run / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["history"]] == [0.0, 1.0, 2.0]


def test_a_changed_config_is_refused_naming_the_keys_and_nothing_is_overwritten(
    config_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS]) == 0
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.suffix != ".log"}
    changed = [*EPOCHS, "--set", "model.fusion=concat", "--set", "train.progress_bar=true"]
    assert main(["train", str(config_file), "--out", str(run), *changed]) == 2
    err = capsys.readouterr().err
    assert (
        "expected the config this run was trained with (got changes: model.fusion.name: 'gated' -> 'concat')"
        in err
    )
    assert "--restart" in err
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.suffix != ".log"} == before
    test_file = yaml.safe_load((run / "config.yaml").read_text())["data"]["test"]
    assert main(["evaluate", str(run), "--data", test_file, "--repeats", "1"]) == 0  # the run is intact
    assert main(["train", str(config_file), "--out", str(run), *changed, "--restart"]) == 0
    # without its config.yaml the checkpoints cannot be checked: refused too, not resumed blindly
    (run / "config.yaml").unlink()
    kept = {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.suffix != ".log"}
    assert main(["train", str(config_file), "--out", str(run), *EPOCHS, "--set", "model.hidden=8"]) == 2
    err = capsys.readouterr().err
    assert "expected the config.yaml of the run its checkpoints come from" in err and "--restart" in err
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file() and p.suffix != ".log"} == kept
