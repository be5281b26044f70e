"""Training: the Lightning module, its callbacks (spike guard, epoch history, random states),
atomic checkpoints and ``train`` (one config into one resumable run directory)."""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports

if TYPE_CHECKING:
    from priorkit.training.module import PriorModule
    from priorkit.training.run import TrainResult, train
    from priorkit.training.spike_guard import SpikeGuard, TrainingDivergedError

_EXPORTS = {
    "PriorModule": "priorkit.training.module",
    "TrainResult": "priorkit.training.run",
    "train": "priorkit.training.run",
    "SpikeGuard": "priorkit.training.spike_guard",
    "TrainingDivergedError": "priorkit.training.spike_guard",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ["PriorModule", "SpikeGuard", "TrainResult", "TrainingDivergedError", "train"]
