"""Runs and saved models: the run config, the data schema, graph preparation, the files of a run
directory, and :class:`TrainedModel` (load a run or a saved folder; ``save_pretrained``).

This layer sits below both :mod:`priorkit.training` and :mod:`priorkit.analysis`.
"""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports

if TYPE_CHECKING:
    from priorkit.runs.config import DataConfig, RunConfig, TrainConfig
    from priorkit.runs.graphs import to_graphs
    from priorkit.runs.schema import DataSchema, IncompatibleDataError
    from priorkit.runs.trained import TrainedModel, load, load_run

_EXPORTS = {
    "DataConfig": "priorkit.runs.config",
    "RunConfig": "priorkit.runs.config",
    "TrainConfig": "priorkit.runs.config",
    "to_graphs": "priorkit.runs.graphs",
    "DataSchema": "priorkit.runs.schema",
    "IncompatibleDataError": "priorkit.runs.schema",
    "TrainedModel": "priorkit.runs.trained",
    "load": "priorkit.runs.trained",
    "load_run": "priorkit.runs.trained",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "DataConfig",
    "DataSchema",
    "IncompatibleDataError",
    "RunConfig",
    "TrainConfig",
    "TrainedModel",
    "load",
    "load_run",
    "to_graphs",
]
