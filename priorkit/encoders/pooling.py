"""Pooling a text encoder's token states into one vector per text, and the pooling a model states.

A sentence-transformers model says how it pools: ``modules.json`` lists its modules, and its
``Pooling`` module's ``config.json`` sets one ``pooling_mode_*`` flag (all-MiniLM: mean; BGE and
GTE: the cls token; e5-mistral: the last token). ``pooling: auto`` reads that, so that a model is
pooled as it was trained to be; a model that states nothing is mean-pooled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from priorkit.errors import ConfigError

POOLINGS = ("mean", "cls", "max", "last")
_STATED = {  # sentence-transformers' pooling flags, and the pooling each means here
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_lasttoken": "last",
}
_FIX = f"Set model.text_encoder.pooling to one of {', '.join(POOLINGS)}."


def pool(hidden: Tensor, mask: Tensor, how: str) -> Tensor:
    """One vector per text from its token states; padding (``mask`` 0) is never read. Texts are
    padded on the right, so the first token is position 0 and the last is at ``length - 1``. A
    text of no tokens (an empty text, with a tokenizer that adds none) pools to zeros, or to
    the padding state with ``cls`` and ``last``.

    Shapes:
        hidden: (b, s, d); mask: (b, s) 0/1 -> (b, d).
    """
    if how == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if how == "mean":
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    if how == "max":
        top = hidden.masked_fill(weights == 0, float("-inf")).amax(1)
        return top.masked_fill(weights.sum(1) == 0, 0.0)
    if how == "last":
        last = (mask.sum(1) - 1).clamp(min=0).long()
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    raise ValueError(f"pool: expected one of {POOLINGS} (got {how!r})")


def _json(path: Path, name: str) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(
            f"{path}: expected the JSON that sentence-transformers writes for text encoder {name!r} "
            f"(got {type(error).__name__}: {error}). Restore the file, or: {_FIX}"
        ) from None


def stated_pooling(read: Callable[[str], Path | None], name: str) -> str:
    """The pooling that the model ``name`` states (``read(filename)``: the path of one of its
    files, or None where it has none), ``mean`` where it states none.

    Raises:
        ConfigError: a damaged file, or a pooling priorkit does not compute (several flags,
            square-root-length or weighted means).
    """
    listing = read("modules.json")
    if listing is None:
        return "mean"
    modules = _json(listing, name)
    if not isinstance(modules, list):
        raise ConfigError(f"{listing}: expected a list of modules (got {type(modules).__name__}). {_FIX}")
    pooling = [m for m in modules if isinstance(m, dict) and str(m.get("type", "")).endswith(".Pooling")]
    if not pooling:
        return "mean"
    folder = str(pooling[0].get("path") or "").strip("/")
    settings_file = read(f"{folder}/config.json" if folder else "config.json")
    if settings_file is None:
        raise ConfigError(
            f"{listing}: expected the pooling module's config.json in {folder or 'the model folder'!r} "
            f"of text encoder {name!r} (got none). {_FIX}"
        )
    settings = _json(settings_file, name)
    flags = settings if isinstance(settings, dict) else {}
    chosen = sorted(key for key, value in flags.items() if key.startswith("pooling_mode_") and value is True)
    if len(chosen) == 1 and chosen[0] in _STATED:
        return _STATED[chosen[0]]
    raise ConfigError(
        f"{settings_file}: expected one of the poolings {', '.join(sorted(_STATED))} for text encoder "
        f"{name!r} (got {chosen or 'none set'}), which priorkit does not compute. {_FIX}"
    )
