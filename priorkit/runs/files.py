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
MEMBER_PREFIX = "seed-"  # its members' run folders: seed-0, seed-1 ...

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
    "changes_from",
    "config_changes",
    "inside",
    "is_pretrained",
    "is_run",
    "member_folder",
    "stored_config",
    "unfinished_ensemble",
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


def member_folder(seed: int) -> str:
    """The run folder, inside a seed ensemble's folder, of its member trained with ``seed``."""
    return f"{MEMBER_PREFIX}{seed}"


def unfinished_ensemble(folder: Path) -> str | None:
    """What is wrong and what to do when ``folder`` holds the members of a seed ensemble whose
    training stopped before it wrote ``ensemble.json`` (a killed ``pk.fit_ensemble``); None
    when it does not."""
    if not folder.is_dir() or (folder / ENSEMBLE).is_file():
        return None
    members = sorted(p.name for p in folder.glob(f"{MEMBER_PREFIX}*") if is_run(p))
    if not members:
        return None
    shown = ", ".join(members[:4]) + (" ..." if len(members) > 4 else "")
    return (
        f"a seed ensemble whose training did not finish (member runs {shown}; no {ENSEMBLE}). Run "
        f"pk.fit_ensemble again with out={str(folder)!r} (or the command that trained it): it resumes "
        f"each member and writes {ENSEMBLE}; or pk.load one member's run folder"
    )


def is_pretrained(folder: Path) -> bool:
    """Whether ``folder`` looks like a folder written by ``save_pretrained``."""
    return (folder / PRETRAINED_CONFIG).is_file() and (folder / WEIGHTS).is_file()


def config_changes(run_dir: Path, config: RunConfig, ignore: frozenset[str] = frozenset()) -> list[str]:
    """``key: stored -> given`` for every key where ``config`` differs from the config the run
    in ``run_dir`` was trained with (none when the folder holds no run yet), the keys of
    :data:`HARMLESS` and ``ignore`` left out."""
    stored = stored_config(run_dir)
    return [] if stored is None else changes_from(stored, config, ignore)


def changes_from(stored: RunConfig, config: RunConfig, ignore: frozenset[str] = frozenset()) -> list[str]:
    """:func:`config_changes` against a stored config already read."""
    given = config.settled_by(stored)  # what it leaves open (the encoder's commit, pooling) is the run's
    return differences(stored.model_dump(mode="json"), given.model_dump(mode="json"), HARMLESS | ignore)


def stored_config(run_dir: Path) -> RunConfig | None:
    """The config the run in ``run_dir`` was trained with (None when it holds no run yet)."""
    stored_file = run_dir / CONFIG
    if not stored_file.is_file():
        return None
    return RunConfig.from_dict(read_yaml(stored_file), where=f"{stored_file}: ")  # an older format too


def listed_changes(changes: list[str], most: int) -> str:
    """The first ``most`` of :func:`config_changes`' lines joined for a message, `` ...`` after
    them when there are more."""
    return "; ".join(changes[:most]) + (" ..." if len(changes) > most else "")
