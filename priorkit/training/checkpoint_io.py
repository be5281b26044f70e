"""``AtomicCheckpointIO``: checkpoints written beside their target and renamed into place, the
previous ``last.ckpt`` kept until the new one is complete; ``resume_point`` picks the newest
checkpoint that reads, setting torn ones aside."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from priorkit.atomic import atomic_path
from priorkit.errors import PriorkitError, first_line
from priorkit.runs.files import CHECKPOINTS, LAST, PREVIOUS
from priorkit.runs.trained import read_checkpoint

log = logging.getLogger("priorkit.training")


class AtomicCheckpointIO(TorchCheckpointIO):
    """A torn checkpoint (full disk, a killed process) never replaces a good one: the file is
    written in the checkpoint folder under a temporary name, fsynced, then renamed; before a
    new ``last.ckpt`` replaces the old one, the old one is kept as ``last.prev.ckpt``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        """Raises:
        CheckpointWriteError: the file could not be written (a full disk, a lost mount); the
            checkpoints written before are left as they were."""
        target = Path(path)
        try:
            with atomic_path(target) as partial:
                torch.save(checkpoint, partial)
                if target.name == LAST and target.is_file():
                    _keep(target, target.with_name(PREVIOUS))
        except (OSError, RuntimeError) as error:  # torch reports a failed write as RuntimeError
            raise CheckpointWriteError(target, error) from error

    def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The checkpoint at ``path``, its checkpoint callback's file paths moved to the folder it
        is read from: a run folder that was moved or copied resumes with its best checkpoint and
        score (Lightning would keep the old paths, and forget the best score)."""
        checkpoint = super().load_checkpoint(path, *args, **kwargs)
        relocate(checkpoint, Path(path).resolve().parent)
        return checkpoint


def relocate(checkpoint: dict[str, Any], folder: Path) -> None:
    """Point the paths a ``ModelCheckpoint``'s saved state holds (its ``dirpath``, best, last and
    top-k files) into ``folder``, where the checkpoints now are."""
    for key, state in checkpoint.get("callbacks", {}).items():
        if not (key.startswith("ModelCheckpoint") and isinstance(state, dict) and state.get("dirpath")):
            continue
        old = Path(state["dirpath"])
        if old == folder:
            continue
        state["dirpath"] = str(folder)
        for field in ("best_model_path", "kth_best_model_path", "last_model_path"):
            state[field] = _moved(state.get(field), old, folder)
        state["best_k_models"] = {
            _moved(k, old, folder): v for k, v in (state.get("best_k_models") or {}).items()
        }


def _moved(value: Any, old: Path, folder: Path) -> Any:
    """A file path of ``old`` as the same file's in ``folder``; anything else as it is."""
    if isinstance(value, str) and value and Path(value).parent == old:
        return str(folder / Path(value).name)
    return value


class CheckpointWriteError(PriorkitError):
    """A checkpoint could not be written; says which, why, and what was kept."""

    def __init__(self, target: Path, error: BaseException) -> None:
        kept = [p.name for p in (target.with_name(LAST), target.with_name(PREVIOUS)) if p.is_file()]
        cause = getattr(error, "strerror", None) or first_line(error)
        state = (
            f"the checkpoints written before are intact ({', '.join(kept)})"
            if kept
            else "no checkpoint was written before it"
        )
        super().__init__(
            f"{target}: could not write the checkpoint (got {cause}); {state}. Free disk space "
            "(or fix the folder), then run the same command again: training resumes from the last "
            "good checkpoint."
        )


def _keep(path: Path, copy: Path) -> None:
    """``copy`` becomes a copy of ``path`` (a hard link where the filesystem has them), atomically;
    ``path`` itself stays in place, so a checkpoint named ``last.ckpt`` exists at every moment."""
    staging = copy.with_name(f".{copy.name}.{os.getpid()}.partial")
    staging.unlink(missing_ok=True)
    try:
        os.link(path, staging)
    except OSError:
        shutil.copyfile(path, staging)
    os.replace(staging, copy)


def resume_point(run_dir: Path, module: torch.nn.Module | None = None) -> Path | None:
    """The newest readable of ``last.ckpt`` and ``last.prev.ckpt``; an unreadable one is renamed
    ``<name>.torn`` and named in the log. None when there is nothing to resume from.

    Raises:
        PriorkitError: a readable checkpoint of another model than ``module`` (another run's
            file copied in): resuming from it would fail inside Lightning, or train something else.
    """
    for name in (LAST, PREVIOUS):
        path = run_dir / CHECKPOINTS / name
        if not path.is_file():
            continue
        try:
            state = read_checkpoint(path)
        except PriorkitError as error:
            aside = path.with_name(path.name + ".torn")
            os.replace(path, aside)
            log.warning("%s; set aside as %s", error, aside.name)
            continue
        if module is not None:
            _check_model(path, state, module)
        return path
    return None


def _check_model(path: Path, state: Any, module: torch.nn.Module) -> None:
    """Refuse a checkpoint whose weights are not ``module``'s (names and shapes)."""
    saved = state.get("state_dict") if isinstance(state, dict) else None
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    problem = ""
    if not isinstance(saved, dict) or "pytorch-lightning_version" not in state:
        problem = "not a Lightning training checkpoint"
    else:
        got = {k: tuple(getattr(v, "shape", ())) for k, v in saved.items()}
        extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
        reshaped = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])
        named = [("unexpected", extra), ("missing", missing), ("other shapes of", reshaped)]
        problem = "; ".join(f"{kind} {', '.join(keys[:3])}" for kind, keys in named if keys)
    if problem:
        raise PriorkitError(
            f"{path}: expected a checkpoint of this run's model (got {problem}). It is another run's: "
            "remove it, or pass --restart (resume=False) to start over here."
        )
