"""Configs written by earlier priorkit versions, read in today's shape.

Format 1 (priorkit 0.1.0, before the typed configuration) kept the text encoder's settings flat
in ``model`` (``text_encoder: <id>``, ``pooling``, ``max_length``, ``trainable_layers``,
``text_learning_rate``); format 2 nests them in ``model.text_encoder`` (a
:class:`~priorkit.encoders.text.TextEncoderConfig`). Priors and fusions of format 1 (plain
mappings and names) are read as they are by the typed fields, except that a ``modality_gate``
without a ``mode`` had the ``soft`` mode then (``bound`` is today's default for a minimum).
Run folders' ``config.yaml`` carries no version, so the shape itself is read (format 1 wrote
the flat keys of every run); saved model folders carry ``format_version``. Format 2 writes
every setting of every prior, so a later change of a default does not change a saved run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from priorkit.registry import normalise_name

FORMAT_VERSION = 2
# format 1's flat key in `model` -> its key in `model.text_encoder`
FLAT_TEXT_KEYS = {
    "pooling": "pooling",
    "max_length": "max_length",
    "trainable_layers": "trainable_layers",
    "text_learning_rate": "learning_rate",
}


def upgrade(run: Any, as_written: bool = True) -> Any:
    """A run config mapping of format 1 in the shape of format 2 (anything else unchanged).

    Args:
        as_written: ``run`` is the mapping as it was written (before any override), so that flat
            keys mean format 1 and its priors get the defaults of their time; False for a
            mapping with overrides applied (a flat key then may be an override of format 1's
            spelling on a config of format 2, which says nothing of its priors).

    Raises:
        ValueError: a setting given both flat and nested.
    """
    if not isinstance(run, Mapping) or not isinstance(run.get("model"), Mapping):
        return run
    model = dict(run["model"])
    flat = {new: model.pop(old) for old, new in FLAT_TEXT_KEYS.items() if old in model}
    encoder = model.get("text_encoder", {})
    if isinstance(encoder, str):  # the short form, spelled out: overrides can then reach inside
        encoder = {"model": encoder}
    elif not isinstance(encoder, Mapping):
        if not flat:
            return run  # the field's own validation names it
        raise ValueError(
            f"model.text_encoder: expected a model id or a mapping (got {encoder!r}) beside the settings "
            f"{', '.join(sorted(flat))}. Give the model id"
        )
    encoder = dict(encoder)
    twice = sorted(key for key in flat if key in encoder)
    if twice:
        raise ValueError(
            f"model: expected each text encoder setting once (got {', '.join(twice)} both in `model` and "
            "in `model.text_encoder`). Keep the one in `model.text_encoder`"
        )
    if "text_encoder" in model or flat:
        model["text_encoder"] = {**encoder, **flat}
    upgraded = {**run, "model": model}
    if flat and as_written and isinstance(run.get("priors"), list):
        upgraded["priors"] = [_v1_prior(prior) for prior in run["priors"]]
    return upgraded


def _v1_prior(prior: Any) -> Any:
    """A prior of format 1 with the defaults of its time spelled out where they changed since."""
    if isinstance(prior, str):
        prior = {"name": prior}
    name = prior.get("name") if isinstance(prior, Mapping) else None
    if isinstance(name, str) and normalise_name(name) == "modality_gate" and "mode" not in prior:
        return {**prior, "mode": "soft"}
    return prior
