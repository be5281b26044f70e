"""Classification metrics: accuracy, macro-F1 and per-class precision, recall, F1."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from priorkit.data.labels import LabelSpace


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: LabelSpace) -> dict[str, Any]:
    """``{accuracy, macro_f1, per_class: {label: {precision, recall, f1, support}}, n}``.

    Shapes:
        y_true, y_pred: (b,) class indices.
    """
    classes = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    per_class = {
        str(name): {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(labels.names)
    }
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        "per_class": per_class,
        "n": len(y_true),
    }
