"""``RandomStates``: the random generators' states saved with every checkpoint and restored on
resume, so that a run killed at any epoch boundary and resumed draws the numbers the
uninterrupted run draws (exact resume)."""

from __future__ import annotations

import random
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader


def loader_generator(loader: DataLoader[Any]) -> torch.Generator | None:
    """The generator that orders a loader's batches (its own, or its batch sampler's)."""
    if loader.generator is not None:
        return loader.generator
    return getattr(loader.batch_sampler, "generator", None)


class RandomStates(pl.Callback):
    """Saves and restores torch's global generator (dropout), numpy's, Python's and the
    training loader's (data order). The augmentations' generator is the module's own
    (``PriorModule``); Lightning restores the optimiser, schedulers and callbacks.

    Args:
        loader: the training loader.
    """

    def __init__(self, loader: DataLoader[Any]) -> None:
        self.generator = loader_generator(loader)

    def state_dict(self) -> dict[str, Any]:
        kind, keys, position, has_gauss, gauss = np.random.get_state()
        version, python_state, python_gauss = random.getstate()
        return {
            "torch": torch.get_rng_state(),
            "loader": None if self.generator is None else self.generator.get_state(),
            "numpy": {
                "keys": torch.from_numpy(keys.astype(np.int64)),
                "position": int(position),
                "has_gauss": int(has_gauss),
                "gauss": float(gauss),
                "kind": str(kind),
            },
            "python": {"version": version, "state": list(python_state), "gauss": python_gauss},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
        if self.generator is not None and state_dict["loader"] is not None:
            self.generator.set_state(state_dict["loader"])
        n = state_dict["numpy"]
        keys = n["keys"].numpy().astype(np.uint32)
        np.random.set_state((n["kind"], keys, n["position"], n["has_gauss"], n["gauss"]))
        p = state_dict["python"]
        random.setstate((p["version"], tuple(p["state"]), p["gauss"]))
