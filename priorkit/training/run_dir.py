"""The files of a run directory, and loading a trained run back (``weights_only``: no pickle)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from priorkit.config import load_config
from priorkit.encoders.text import TextEncoder
from priorkit.errors import PriorkitError
from priorkit.model import PriorModel
from priorkit.priors.build import build_priors
from priorkit.training.config import RunConfig
from priorkit.training.data import DataSchema

CONFIG, SCHEMA, METRICS, HISTORY, LOG = (
    "config.yaml",
    "schema.json",
    "metrics.json",
    "history.csv",
    "train.log",
)
CHECKPOINTS, BEST, LAST = "checkpoints", "best.ckpt", "last.ckpt"


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


def write_config(run_dir: Path, config: RunConfig) -> None:
    text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    (run_dir / CONFIG).write_text(text, encoding="utf-8")


def build_model(config: RunConfig, schema: DataSchema, encoder: TextEncoder) -> PriorModel:
    node_text_dim = encoder.dim if schema.node_text and config.model.node_text else 0
    return PriorModel(
        config.model,
        schema.num_features,
        len(schema.labels),
        encoder.dim,
        node_text_dim,
        encoder,
        build_priors(config.priors),
        len(schema.users) if schema.users is not None else 0,
    )


@dataclass
class LoadedRun:
    """A trained run: its config, data schema, text encoder and model with the best weights."""

    run_dir: Path
    config: RunConfig
    schema: DataSchema
    encoder: TextEncoder
    model: PriorModel


def load_run(run_dir: str | os.PathLike[str]) -> LoadedRun:
    """Rebuild the model of a run and load its best checkpoint with ``torch.load(weights_only=True)``."""
    folder = Path(run_dir)
    checkpoint = folder / CHECKPOINTS / BEST
    for needed in (folder / CONFIG, folder / SCHEMA, checkpoint):
        if not needed.is_file():
            raise PriorkitError(
                f"{folder}: expected a finished training run with {needed.relative_to(folder)} "
                f"(got no such file). Train with `priorkit train CONFIG --out {folder}`."
            )
    config = load_config(RunConfig, folder / CONFIG)
    schema = DataSchema.from_dict(json.loads((folder / SCHEMA).read_text()))
    encoder = TextEncoder(config.model.text_config())
    model = build_model(config, schema, encoder)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    model.load_state_dict({k.removeprefix("model."): v for k, v in state.items()})
    model.eval()
    return LoadedRun(folder, config, schema, encoder, model)
