"""Reading checkpoints: only tensors and plain values; a torn file or one carrying code is named."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from priorkit.errors import PriorkitError
from priorkit.runs.trained import read_checkpoint


class Payload:
    """Stands for code smuggled into a checkpoint: unpickling it would construct any object."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("this ran",))


def test_a_checkpoint_of_tensors_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "ok.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "epoch": 3}, path)
    assert read_checkpoint(path)["epoch"] == 3


def test_a_pickle_payload_is_refused_by_name(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": {}, "payload": Payload()}, path)
    with pytest.raises(
        PriorkitError,
        match=r"best.ckpt: expected a priorkit checkpoint of tensors and plain values \(got UnpicklingError",
    ):
        read_checkpoint(path)
    assert "this ran" not in capsys.readouterr().out


def test_a_torn_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"w": torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(
        PriorkitError, match=r"last.ckpt: expected a priorkit checkpoint .* The file is torn or carries code"
    ):
        read_checkpoint(path)
