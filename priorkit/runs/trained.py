"""``TrainedModel``: a trained model with everything it needs to score new data, loaded from a
run directory or from a saved model folder, and saved as one (safetensors; no pickle)."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_model

from priorkit.atomic import atomic_path, write_json
from priorkit.config import path_of, read_yaml
from priorkit.encoders.text import ModelNotFoundError, TextEncoder
from priorkit.errors import ConfigError, PriorkitError, first_line
from priorkit.locks import folder_lock
from priorkit.model import PriorModel
from priorkit.paths import resolved
from priorkit.runs.config import RunConfig, code_trust
from priorkit.runs.files import (
    BEST,
    CHECKPOINTS,
    CONFIG,
    ENSEMBLE,
    LAST,
    MEMBER_PREFIX,
    METRICS,
    PRETRAINED_CONFIG,
    PREVIOUS,
    SCHEMA,
    USERS,
    WEIGHTS,
    inside,
    is_pretrained,
    is_run,
    unfinished_ensemble,
)
from priorkit.runs.migrate import FORMAT_VERSION
from priorkit.runs.schema import DataSchema
from priorkit.version import __version__

READABLE_FORMATS = (1, FORMAT_VERSION)  # format 1 is upgraded on reading (priorkit.runs.migrate)


@dataclass
class TrainedModel:
    """A trained model ready to score or predict.

    Args:
        config: the run config it was trained with (data paths dropped once saved).
        schema: its label space, feature width, node texts and user vocabulary.
        encoder: its text encoder; model: the network with the trained weights (eval mode).
        source: the run directory or saved folder it came from (None: built in memory).
        metrics: the run's ``metrics.json`` when loaded from a run directory, else empty.
    """

    config: RunConfig
    schema: DataSchema
    encoder: TextEncoder
    model: PriorModel
    source: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def files(self) -> dict[str, Path]:
        """The files of its folder that it was loaded from (its config, weights, checkpoints),
        each named for an error: outputs must not replace them."""
        if self.source is None:
            return {}
        names = (PRETRAINED_CONFIG, WEIGHTS, USERS, CONFIG, SCHEMA, METRICS)
        names += tuple(f"{CHECKPOINTS}/{n}" for n in (BEST, LAST, PREVIOUS))
        return {f"{n} of the model": self.source / n for n in names if (self.source / n).is_file()}

    @property
    def labels(self) -> tuple[Any, ...]:
        """The class names, in the order of the model's outputs."""
        return self.schema.labels.names

    def save_pretrained(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``config.json``, ``model.safetensors`` and (with a user vocabulary) ``users.json``
        into ``folder``; :meth:`from_pretrained` reads them back with identical predictions."""
        if not str(folder).strip():
            raise PriorkitError("folder: expected a folder to save the model into (got an empty path).")
        out = Path(folder)
        with folder_lock(out, "a folder no other process saves a model into", "Save into another folder."):
            _refuse_foreign(out)
            with atomic_path(out / WEIGHTS) as partial:
                save_model(self.model, str(partial), metadata={"format": "pt", "priorkit": __version__})
            if self.schema.users is not None:
                write_json(out / USERS, self.schema.users.to_dict())
            else:
                (out / USERS).unlink(missing_ok=True)  # an earlier model's vocabulary is not this one's
            write_json(out / PRETRAINED_CONFIG, _pretrained_config(self.config, self.schema, self.encoder))
        return out

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str], trust_code: bool = False) -> TrainedModel:
        """Load a folder written by :meth:`save_pretrained` (or ``priorkit export``).

        Args:
            trust_code: import the modules its config's ``imports:`` names (code from the
                folder's author); off by default: a module not yet imported is refused by name.
        """
        path = Path(folder)
        if not is_pretrained(path):
            raise PriorkitError(
                f"{path}: expected a saved model folder with {PRETRAINED_CONFIG} and {WEIGHTS} (got "
                f"{_listing(path)}). Write one with model.save_pretrained(folder) or "
                "`priorkit export RUN FOLDER`."
            )
        saved = _read_json(inside(path, PRETRAINED_CONFIG))
        if not isinstance(saved, dict) or not isinstance(saved.get("run"), dict):
            raise PriorkitError(
                f"{path / PRETRAINED_CONFIG}: expected the mapping save_pretrained writes, with `run` "
                f"and `schema` (got {type(saved).__name__} without them). Export the model again."
            )
        if saved.get("format_version") not in READABLE_FORMATS:
            raise PriorkitError(
                f"{path / PRETRAINED_CONFIG}: expected format_version "
                f"{' or '.join(map(str, READABLE_FORMATS))} (got {saved.get('format_version')!r}). A newer "
                "format needs a newer priorkit (pip install -U priorkit); otherwise export the model again."
            )
        with code_trust(trust_code):
            config = RunConfig.from_dict(saved["run"], where=f"{path / PRETRAINED_CONFIG}: run.")
        schema_dict = saved.get("schema")  # a damaged one (not a mapping) is named by _schema
        if isinstance(schema_dict, dict) and (path / USERS).is_file():
            schema_dict = {**schema_dict, "users": _read_json(inside(path, USERS))}
        trained = cls.assemble(config, _schema(schema_dict, path / PRETRAINED_CONFIG), path)
        try:
            load_model(trained.model, str(inside(path, WEIGHTS)), strict=True)
        except (SafetensorError, RuntimeError, OSError) as error:
            raise PriorkitError(
                f"{path / WEIGHTS}: expected the weights of this model (got {first_line(error)}). "
                "The file is damaged or belongs to another config; export the model again."
            ) from None
        _check_finite(trained.model, path / WEIGHTS)
        trained.model.eval()
        return trained

    @classmethod
    def assemble(cls, config: RunConfig, schema: DataSchema, source: Path | None = None) -> TrainedModel:
        """The untrained model of ``config`` for data of ``schema``, with its text encoder (the
        one place a run's encoder and network are built)."""
        try:
            encoder = TextEncoder(config.model.text_encoder)
        except ModelNotFoundError as error:
            if source is None or not error.why:
                raise
            raise _encoder_elsewhere(error, source) from None
        model = PriorModel.from_config(config.model, config.priors, schema, encoder)
        return cls(config, schema, encoder, model, source)

    @classmethod
    def from_run(cls, run_dir: str | os.PathLike[str], trust_code: bool = False) -> TrainedModel:
        """Rebuild the model of a run directory with its best checkpoint's weights
        (``trust_code``: as in :meth:`from_pretrained`)."""
        folder = Path(run_dir)
        checkpoint = inside(folder, f"{CHECKPOINTS}/{BEST}")
        for needed in (folder / CONFIG, folder / SCHEMA, checkpoint):
            if not needed.is_file():
                raise PriorkitError(
                    f"{folder}: expected a finished training run with {needed.relative_to(folder)} "
                    f"(got no such file). Train with `priorkit train CONFIG --out {folder}`."
                )
        with code_trust(trust_code):
            config = RunConfig.from_dict(read_yaml(inside(folder, CONFIG)), where=f"{folder / CONFIG}: ")
        schema = _schema(_read_json(inside(folder, SCHEMA)), folder / SCHEMA)
        trained = cls.assemble(config, schema, folder)
        try:
            state = read_checkpoint(checkpoint)["state_dict"]
            trained.model.load_state_dict({k.removeprefix("model."): v for k, v in state.items()})
        except (KeyError, AttributeError, RuntimeError) as error:
            raise PriorkitError(
                f"{checkpoint}: expected the weights of this run's model (got {type(error).__name__}: "
                f"{first_line(error)}). Damaged or from another run: retrain with --restart."
            ) from None
        _check_finite(trained.model, checkpoint)
        trained.model.eval()
        metrics_file = folder / METRICS
        trained.metrics = _read_json(inside(folder, METRICS)) if metrics_file.is_file() else {}
        return trained


def _encoder_elsewhere(error: ModelNotFoundError, source: Path) -> ModelNotFoundError:
    """The text encoder that a loaded model's config names cannot be found: the fix is where
    that config says so (a model trained on a local folder that has moved since)."""
    file, key = (
        (source / PRETRAINED_CONFIG, "run.model.text_encoder.model")
        if is_pretrained(source)
        else (source / CONFIG, "model.text_encoder.model")
    )
    return ModelNotFoundError(
        f"{file}: text encoder {error.name!r}: expected the model this one was trained with at the place "
        f"its config names (got {error.why}). Fix: put that model back there, or write where it is now "
        f"as `{key}` in {file.name} (it must be the same model); a Hub id needs the "
        "network or the model in the local Hugging Face cache.",
        error.name,
        error.why,
    )


def load_run(run_dir: str | os.PathLike[str], trust_code: bool = False) -> TrainedModel:
    """The trained model of a run directory (see :meth:`TrainedModel.from_run`)."""
    return TrainedModel.from_run(run_dir, trust_code)


def load(path: str | os.PathLike[str], trust_code: bool = False) -> TrainedModel:
    """A trained model from a run directory (``priorkit train --out``) or a saved model folder
    (``save_pretrained``, ``priorkit export``).

    Args:
        trust_code: import the modules the model's config names under ``imports:`` (its
            author's code, e.g. a prior plugin). Off by default: loading runs no code, and a
            config naming a module not yet imported is refused with this fix.
    """
    folder = path_of(path, "path", "a run directory or saved model folder")
    if is_pretrained(folder):
        return TrainedModel.from_pretrained(folder, trust_code)
    if is_run(folder):
        return TrainedModel.from_run(folder, trust_code)
    if (folder / ENSEMBLE).is_file():
        raise PriorkitError(
            f"{folder}: expected one trained network (got a seed ensemble's folder, with {ENSEMBLE} and a "
            "run folder per seed). Read it with pk.load_ensemble(folder), or give the folder to "
            "pk.predict, pk.evaluate or pk.fit_neighbours, which take ensembles; one member: "
            f"pk.load(folder / {_first_member(folder)!r})."
        )
    unfinished = unfinished_ensemble(folder)
    if unfinished:
        raise PriorkitError(f"{folder}: expected one trained network (got {unfinished}).")
    raise PriorkitError(
        f"{folder}: expected a run directory ({CONFIG}, {SCHEMA}, {CHECKPOINTS}/{BEST}) or a saved model "
        f"folder ({PRETRAINED_CONFIG}, {WEIGHTS}) (got {_listing(folder)}). Give the --out folder of "
        "`priorkit train` or a folder written by save_pretrained / `priorkit export`."
    )


def _first_member(folder: Path) -> str:
    """The first member's folder that ``ensemble.json`` names (``seed-<s>`` when it cannot be read)."""
    try:
        members = json.loads((folder / ENSEMBLE).read_text(encoding="utf-8")).get("members")
        return str(members[0])
    except (OSError, ValueError, AttributeError, TypeError, IndexError):
        return f"{MEMBER_PREFIX}<s>"


def as_trained(model: TrainedModel | str | os.PathLike[str], trust_code: bool = False) -> TrainedModel:
    """``model`` itself, or the trained model :func:`load` finds at that path."""
    if isinstance(model, TrainedModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        return load(model, trust_code)
    raise ConfigError(
        f"model: expected a TrainedModel or the path of a run or saved model (got {type(model).__name__})."
    )


def export(run_dir: str | os.PathLike[str], folder: str | os.PathLike[str], trust_code: bool = False) -> Path:
    """Write the best checkpoint of ``run_dir`` as ``config.json`` + ``model.safetensors`` (+
    ``users.json``) into ``folder`` (``priorkit export``); ``load(folder)`` predicts exactly as
    the run does (``trust_code``: as in :func:`load`).

    Raises:
        PriorkitError: ``folder`` is the run directory or inside it (the two layouts would mix).
    """
    if resolved(folder).is_relative_to(resolved(run_dir)):
        raise PriorkitError(
            f"{folder}: expected a folder outside the run {run_dir} (got the run or a folder in it, "
            "where a saved model and the run's files would mix). Export to another folder."
        )
    return TrainedModel.from_run(run_dir, trust_code).save_pretrained(folder)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """A Lightning checkpoint read with ``torch.load(weights_only=True)``: tensors and plain
    values only, so a file carrying code (a pickle payload) is refused, as is a torn one."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as error:
        raise PriorkitError(
            f"{path}: expected a priorkit checkpoint of tensors and plain values (got "
            f"{type(error).__name__}: {first_line(error)}). The file is torn or carries code; "
            "retrain with --restart, or restore the file."
        ) from None


def _pretrained_config(config: RunConfig, schema: DataSchema, encoder: TextEncoder) -> dict[str, Any]:
    """The saved model's ``config.json``: the run's config without its data paths, its text
    encoder pinned to what it was trained with (a Hub id's commit, the pooling ``auto`` chose),
    so that loading it later, offline or after the Hub repository changed, reads the same."""
    data = config.data.model_copy(update={"train": None, "val": None, "test": None})
    train = config.train.model_copy(update={"cache_dir": None})
    run = config.with_text_encoder(encoder.pinned).model_copy(update={"data": data, "train": train})
    text = run.model.text_encoder
    described = schema.to_dict()
    described.pop("users")
    return {
        "format_version": FORMAT_VERSION,
        "priorkit_version": __version__,
        "text_encoder": {"model": text.model, "revision": text.revision, "pooling": text.pooling},
        "labels": list(schema.labels.names),
        "schema": described,
        "run": run.model_dump(mode="json"),
    }


def _refuse_foreign(out: Path) -> None:
    """Refuse to save a model over files of the same names that are not a priorkit saved model's
    (a Hugging Face model folder, the run's own text encoder, a project's ``config.json``): they
    would be replaced. An earlier saved model is replaced; other files are left alone."""
    ours = [name for name in (PRETRAINED_CONFIG, WEIGHTS, USERS) if (out / name).exists()]
    if not ours:
        return
    try:
        saved = json.loads((out / PRETRAINED_CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        saved = None
    if isinstance(saved, dict) and "format_version" in saved and isinstance(saved.get("run"), dict):
        return
    if ours == [WEIGHTS] and _priorkit_weights(out / WEIGHTS):  # an export stopped before its config
        return
    raise PriorkitError(
        f"{out}: expected a new folder, or one holding a priorkit saved model (got {', '.join(ours)} of "
        "something else, e.g. a Hugging Face model, that saving would replace). Save into another folder."
    )


def _priorkit_weights(path: Path) -> bool:
    """Whether ``path`` is a safetensors file that priorkit wrote (its metadata names priorkit)."""
    try:
        with safe_open(str(path), "pt") as handle:
            return "priorkit" in (handle.metadata() or {})
    except (OSError, SafetensorError, ValueError):
        return False


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise PriorkitError(
            f"{path}: expected a readable JSON file (got {first_line(error) or type(error).__name__}). "
            "Restore or rewrite it."
        ) from None


def _check_finite(model: torch.nn.Module, source: Path) -> None:
    """Refuse weights holding NaN or infinity (they would predict NaN for every sample)."""
    tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise PriorkitError(
            f"{source}: expected finite weights (got NaN or infinity in {len(bad)} tensor(s), first "
            f"{bad[0]}). The file is damaged, or training diverged; retrain or restore it."
        )


def _schema(data: Any, source: Path) -> DataSchema:
    """The data schema a model was trained on, from its saved mapping (a damaged one named)."""
    try:
        return DataSchema.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PriorkitError(
            f"{source}: expected the data schema the model was trained on (got {type(error).__name__}: "
            f"{first_line(error)}). The file is damaged; restore it or export the model again."
        ) from None


def _listing(folder: Path) -> str:
    """What the folder holds, each entry that is not a file marked (a folder, a broken link):
    a listing of the very names expected must say why they do not count."""
    if not folder.is_dir():
        return "no such folder"
    names = [_marked(p) for p in sorted(folder.iterdir())[:8]]
    return ", ".join(names) if names else "an empty folder"


def _marked(entry: Path) -> str:
    if entry.is_file():
        return entry.name
    if entry.is_dir():
        return f"{entry.name}/ (a folder)"
    return f"{entry.name} ({'a broken link' if entry.is_symlink() else 'not a regular file'})"
