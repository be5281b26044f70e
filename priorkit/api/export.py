"""``export``: a run directory as a saved model folder (``priorkit export RUN FOLDER``)."""

from __future__ import annotations

import os
from pathlib import Path

from priorkit.runs.trained import TrainedModel


def export(run_dir: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path:
    """Write the best checkpoint of ``run_dir`` as ``config.json`` + ``model.safetensors`` (+
    ``users.json``) into ``folder``; ``pk.load(folder)`` predicts exactly as the run does."""
    return TrainedModel.from_run(run_dir).save_pretrained(folder)
