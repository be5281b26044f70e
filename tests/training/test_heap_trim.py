import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from priorkit import heap
from priorkit.cli import main
from priorkit.runs.config import TrainConfig
from priorkit.training.heap_trim import HeapTrim


def test_the_callback_trims_every_n_steps_and_after_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    trainer = SimpleNamespace(global_step=0)
    monkeypatch.setattr(heap, "trim", lambda: calls.append(trainer.global_step) or True)
    callback = HeapTrim(every=3)
    for _ in range(9):  # Lightning has counted the step when the batch's end hook runs
        trainer.global_step += 1
        callback.on_train_batch_end(trainer)  # type: ignore[arg-type]
    assert calls == [3, 6, 9] and callback.calls == 3
    callback.on_validation_end(trainer, None)  # type: ignore[arg-type]
    assert calls == [3, 6, 9, 9]
    with pytest.raises(ValueError, match="every must be >= 1"):
        HeapTrim(every=0)
    assert TrainConfig().heap_trim_steps == 4
    with pytest.raises(ValueError, match="heap_trim_steps"):
        TrainConfig(heap_trim_steps=-1)


def test_trimming_changes_nothing_a_run_computes(config_file: Path, tmp_path: Path) -> None:
    """A healthy run: the same losses and predictions with the trim at every step and without."""
    runs = {}
    for steps in (1, 0):
        out = tmp_path / f"trim{steps}"
        assert (
            main(["train", str(config_file), "--out", str(out), "--set", f"train.heap_trim_steps={steps}"])
            == 0
        )
        metrics = json.loads((out / "metrics.json").read_text())
        runs[steps] = ([row["val/loss"] for row in metrics["history"]], metrics["test"]["accuracy"])
    assert runs[1] == runs[0]
