"""Synthetic datasets of a study (``datasets: {name: {synth: {...}}}``), written into the study folder.

Each world is generated once into ``<out>/data/<name>/`` (``train``, ``val``, ``test_id``,
``test_ood`` and the ``synth.json`` that made them) and then used as fixed files: trained on
``train``/``val``, tested on ``test_id``, scored on ``test_ood``. A rerun whose world config is
unchanged reuses the files; a changed config rewrites them.
"""

from __future__ import annotations

from pathlib import Path

from priorkit.ablation.study import DatasetConfig, StudyConfig
from priorkit.config import differences
from priorkit.data.synth import SynthConfig, write_synthetic
from priorkit.errors import ConfigError
from priorkit.escaping import path_safe

DATA = "data"


def _written(folder: Path, config: SynthConfig) -> bool:
    """Whether the world is already in ``folder``; a world drawn there with another config is
    refused (the study's finished trials were trained on it)."""
    made = folder / "synth.json"
    if not made.is_file():
        return False
    drawn = SynthConfig.model_validate_json(made.read_text(encoding="utf-8"))
    if drawn != config:
        changed = differences(drawn.model_dump(mode="json"), config.model_dump(mode="json"))
        raise ConfigError(
            f"{made}: this study folder's world was drawn with another config ({'; '.join(changed)}), "
            "and its finished trials were trained on it. Run the changed study (or --redraw) into "
            "another --out."
        )
    return True


def _world(data: DatasetConfig, folder: Path, redraw: int) -> DatasetConfig:
    assert data.synth is not None
    synth = data.synth.model_copy(update={"seed": data.synth.seed + redraw})
    if not _written(folder, synth):
        write_synthetic(folder, synth)
    files = {split: str(folder / f"{split}.jsonl") for split in ("train", "val", "test_id", "test_ood")}
    return data.model_copy(  # now a files dataset: its config stays in ``synth.json`` beside them
        update={
            "synth": None,
            "train": files["train"],
            "val": files["val"],
            "test": files["test_id"],
            "evaluate": {"test_ood": files["test_ood"], **data.evaluate},
        }
    )


def write_worlds(study: StudyConfig, out: Path) -> StudyConfig:
    """``study`` with every ``synth`` dataset written under ``out/data/<name>`` (its seed plus
    ``study.redraw``) and replaced by a dataset of its files (other datasets unchanged), so the
    study stays a valid config."""
    if not study.datasets or all(d.synth is None for d in study.datasets.values()):
        return study
    datasets = {
        name: data if data.synth is None else _world(data, out / DATA / path_safe(name), study.redraw)
        for name, data in study.datasets.items()
    }
    return study.model_copy(update={"datasets": datasets})
