"""``Ensemble``: networks of one config trained with different seeds that predict together,
their class probabilities averaged (a deep ensemble, Lakshminarayanan et al., 2017).

``pk.fit_ensemble`` trains one into a folder (a run directory per seed and ``ensemble.json``),
``pk.load_ensemble`` reads it back; ``pk.predict``, ``pk.predict_file``, ``pk.evaluate`` and
``pk.fit_neighbours`` take it wherever they take one trained model, as do ``priorkit predict``,
``evaluate`` and ``neighbours``. Explanations (attention, node reliance) are per network: ask a
member (``ensemble.members[0]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priorkit.atomic import write_json
from priorkit.errors import ConfigError
from priorkit.runs.config import RunConfig
from priorkit.runs.files import ENSEMBLE, unfinished_ensemble
from priorkit.runs.schema import DataSchema
from priorkit.runs.trained import TrainedModel, as_trained, load


@dataclass(frozen=True)
class Ensemble:
    """Trained networks that share their labels, text encoder, node budget and data schema
    (one config and its data, trained with other seeds).

    Args:
        members: the networks (at least one).
        source: the folder it was read from (None: built in memory).
        metrics: what ``ensemble.json`` records (seeds; the ensemble's and each member's test
            scores when :func:`~priorkit.api.fitting.fit_ensemble` had test data), else empty.

    Raises:
        ConfigError: no member, or members that differ in what they must share (named).
    """

    members: tuple[TrainedModel, ...]
    source: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.members:
            raise ConfigError("ensemble: expected at least one trained member (got none).")
        for k, member in enumerate(self.members[1:], start=1):
            differs = _difference(self.members[0], member)
            if differs:
                raise ConfigError(
                    f"ensemble: member {k} ({member.source or 'in memory'}) has another {differs} than "
                    f"member 0 ({self.members[0].source or 'in memory'}). Members must share it: train one "
                    "config on the same data with other seeds (pk.fit_ensemble)."
                )

    @property
    def first(self) -> TrainedModel:
        return self.members[0]

    @property
    def labels(self) -> tuple[Any, ...]:
        """The class names, in the order of the members' outputs."""
        return self.first.labels

    @property
    def schema(self) -> DataSchema:
        return self.first.schema

    @property
    def config(self) -> RunConfig:
        """The first member's config (the others differ in ``train.seed`` only)."""
        return self.first.config

    def files(self) -> dict[str, Path]:
        """Every member's files, and ``ensemble.json``: outputs must not replace them."""
        out = {
            f"{name} of member {k}": path
            for k, m in enumerate(self.members)
            for name, path in m.files().items()
        }
        if self.source is not None and (self.source / ENSEMBLE).is_file():
            out[f"{ENSEMBLE} of the ensemble"] = self.source / ENSEMBLE
        return out


def _difference(first: TrainedModel, other: TrainedModel) -> str | None:
    """What ``other`` does not share with ``first`` (None: nothing)."""
    if other.schema.to_dict() != first.schema.to_dict():
        return "data schema (labels, node features or user vocabulary)"
    if other.encoder.namespace != first.encoder.namespace:
        return f"text encoder ({other.encoder.namespace} against {first.encoder.namespace})"
    budget = ("max_nodes", "node_order")
    if any(getattr(other.config.data, k) != getattr(first.config.data, k) for k in budget):
        return "node budget (data.max_nodes, data.node_order)"
    return None


def write_ensemble(folder: Path, members: Sequence[str], metrics: dict[str, Any]) -> None:
    """Write ``folder/ensemble.json``: the members' run folders (relative) and ``metrics``."""
    write_json(folder / ENSEMBLE, {"members": list(members), **metrics})


def is_ensemble(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / ENSEMBLE).is_file()


def load_ensemble(folder: str | os.PathLike[str], trust_code: bool = False) -> Ensemble:
    """The ensemble of ``folder`` (its ``ensemble.json`` names the members' folders).

    Raises:
        ConfigError: a missing or malformed ``ensemble.json`` (named, with the fix).
    """
    source = Path(folder)
    file = source / ENSEMBLE
    unfinished = unfinished_ensemble(source)
    if unfinished:
        raise ConfigError(f"{source}: expected a trained seed ensemble (got {unfinished}).")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        members = _member_names(data["members"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"{file}: expected the JSON object with a list of `members` that pk.fit_ensemble writes "
            f"(got {type(error).__name__}: {error}). Train the ensemble again, or load one member's run."
        ) from None
    loaded = tuple(load(source / name, trust_code) for name in members)
    return Ensemble(loaded, source, {k: v for k, v in data.items() if k != "members"})


def _member_names(members: object) -> list[str]:
    """The members' folder names from ``ensemble.json``: a non-empty list of distinct names of
    folders directly inside the ensemble's folder (a saved folder never reads outside itself).

    Raises:
        ValueError: naming what is wrong.
    """
    if not isinstance(members, list) or not members:
        raise ValueError(f"`members` is not a non-empty list of folder names: {members!r}"[:200])
    names = [str(name) for name in members]
    outside = [name for name in names if Path(name).name != name or name in ("", ".", "..")]
    if outside:
        raise ValueError(f"members {outside[:3]} are not folders directly inside the ensemble's folder")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"members {repeated[:3]} are named more than once")
    return names


def as_model(
    model: TrainedModel | Ensemble | str | os.PathLike[str], trust_code: bool = False
) -> TrainedModel | Ensemble:
    """``model`` itself, or what is at that path: an ensemble folder or one trained model."""
    if isinstance(model, Ensemble):
        return model
    if isinstance(model, (str, os.PathLike)) and is_ensemble(model):
        return load_ensemble(model, trust_code)
    return as_trained(model, trust_code)


def members_of(model: TrainedModel | Ensemble) -> tuple[TrainedModel, ...]:
    """The networks that predict: an ensemble's members, or the one model."""
    return model.members if isinstance(model, Ensemble) else (model,)
