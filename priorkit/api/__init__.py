"""The user loop: ``fit``, ``evaluate``, ``predict`` (and ``predict_file``), trials; this layer
sits above both :mod:`priorkit.training` and :mod:`priorkit.analysis`."""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports

if TYPE_CHECKING:
    from priorkit.api.evaluation import evaluate, evaluate_run
    from priorkit.api.fitting import fit
    from priorkit.api.prediction import PredictFileResult, SamplePrediction, predict, predict_file
    from priorkit.api.trial import TrialResult, run_trial

_EXPORTS = {
    "evaluate": "priorkit.api.evaluation",
    "evaluate_run": "priorkit.api.evaluation",
    "fit": "priorkit.api.fitting",
    "PredictFileResult": "priorkit.api.prediction",
    "SamplePrediction": "priorkit.api.prediction",
    "predict": "priorkit.api.prediction",
    "predict_file": "priorkit.api.prediction",
    "TrialResult": "priorkit.api.trial",
    "run_trial": "priorkit.api.trial",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "PredictFileResult",
    "SamplePrediction",
    "TrialResult",
    "evaluate",
    "evaluate_run",
    "fit",
    "predict",
    "predict_file",
    "run_trial",
]
