"""What a trained model relies on: metrics, permutation reliance, attention by depth."""

from priorkit.analysis.attention import DEPTH_BUCKETS, attention_by_depth, root_attention
from priorkit.analysis.metrics import classification_metrics
from priorkit.analysis.predict import Predictions, predict
from priorkit.analysis.reliance import Reliance, modality_reliance
from priorkit.analysis.report import EvaluationReport, evaluate_model

__all__ = [
    "DEPTH_BUCKETS",
    "EvaluationReport",
    "Predictions",
    "Reliance",
    "attention_by_depth",
    "classification_metrics",
    "evaluate_model",
    "modality_reliance",
    "predict",
    "root_attention",
]
