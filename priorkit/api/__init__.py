"""The user loop: ``fit``, ``evaluate``, ``predict`` (and ``predict_file``), ``export``; this layer
sits above both :mod:`priorkit.training` and :mod:`priorkit.analysis`."""

from typing import TYPE_CHECKING

from priorkit._lazy import lazy_exports

if TYPE_CHECKING:
    from priorkit.api.evaluate import evaluate, evaluate_run
    from priorkit.api.export import export
    from priorkit.api.fit import fit
    from priorkit.api.predict import PredictFileResult, SamplePrediction, predict, predict_file
    from priorkit.api.trial import TrialResult, run_trial

_EXPORTS = {
    "evaluate": "priorkit.api.evaluate",
    "evaluate_run": "priorkit.api.evaluate",
    "export": "priorkit.api.export",
    "fit": "priorkit.api.fit",
    "PredictFileResult": "priorkit.api.predict",
    "SamplePrediction": "priorkit.api.predict",
    "predict": "priorkit.api.predict",
    "predict_file": "priorkit.api.predict",
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
    "export",
    "fit",
    "predict",
    "predict_file",
    "run_trial",
]
