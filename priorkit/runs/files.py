"""The files of a run directory and of a saved (``save_pretrained``) model folder."""

from __future__ import annotations

from pathlib import Path

import yaml

from priorkit.atomic import atomic_write, write_json
from priorkit.config import differences, read_yaml
from priorkit.errors import PriorkitError
from priorkit.runs.config import RunConfig

CONFIG, SCHEMA, METRICS, HISTORY, LOG = (
    "config.yaml",
    "schema.json",
    "metrics.json",
    "history.csv",
    "train.log",
)
CHECKPOINTS, BEST, LAST, PREVIOUS = "checkpoints", "best.ckpt", "last.ckpt", "last.prev.ckpt"
# keys a resumed run may change: they change nothing the run computes
HARMLESS = frozenset({"train.progress_bar", "train.cache_dir", "train.verbose"})
# a saved model folder (Hugging Face style)
PRETRAINED_CONFIG, WEIGHTS, USERS = "config.json", "model.safetensors", "users.json"
# a seed ensemble's folder (priorkit.api.ensemble): its members' run folders, named in this file
ENSEMBLE = "ensemble.json"

__all__ = [
    "BEST",
    "CHECKPOINTS",
    "CONFIG",
    "ENSEMBLE",
    "HISTORY",
    "LAST",
    "LOG",
    "METRICS",
    "PRETRAINED_CONFIG",
    "PREVIOUS",
    "SCHEMA",
    "USERS",
    "WEIGHTS",
    "config_changes",
    "inside",
    "is_pretrained",
    "is_run",
    "write_config",
    "write_json",
]


def write_config(run_dir: Path, config: RunConfig) -> None:
    """The run's resolved config as ``config.yaml``."""
    with atomic_write(run_dir / CONFIG) as handle:
        handle.write(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused when it is a link that leads out of ``folder`` (a model or run
    folder from elsewhere must not make priorkit read, or overwrite, a file outside it).

    Raises:
        PriorkitError: naming the file and where it leads.
    """
    path = folder / name
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        raise PriorkitError(
            f"{path}: expected a file inside {folder} (got a link to {target}). Copy the file "
            "into the folder instead of linking it."
        )
    return path


def is_run(folder: Path) -> bool:
    """Whether ``folder`` looks like a run directory of ``priorkit train``."""
    return (folder / CONFIG).is_file() and (folder / SCHEMA).is_file()


def is_pretrained(folder: Path) -> bool:
    """Whether ``folder`` looks like a folder written by ``save_pretrained``."""
    return (folder / PRETRAINED_CONFIG).is_file() and (folder / WEIGHTS).is_file()


def config_changes(run_dir: Path, config: RunConfig) -> list[str]:
    """``key: stored -> given`` for every key where ``config`` differs from the config the run
    in ``run_dir`` was trained with (none when the folder holds no run yet)."""
    stored_file = run_dir / CONFIG
    if not stored_file.is_file():
        return []
    stored = RunConfig.from_dict(read_yaml(stored_file), where=f"{stored_file}: ")  # an older format too
    return differences(stored.model_dump(mode="json"), config.model_dump(mode="json"), HARMLESS)
