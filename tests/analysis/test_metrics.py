import numpy as np
import pytest

from priorkit.analysis.metrics import classification_metrics
from priorkit.data.labels import LabelSpace


def test_metrics_against_hand_computed_numbers() -> None:
    labels = LabelSpace(("a", "b", "c"))
    true = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    out = classification_metrics(true, pred, labels)
    assert out["accuracy"] == pytest.approx(4 / 6) and out["n"] == 6
    # per class F1: a: p=1/2 r=1/2 -> 0.5 ; b: p=2/3 r=1 -> 0.8 ; c: p=1 r=1/2 -> 2/3
    assert out["per_class"]["b"]["f1"] == pytest.approx(0.8)
    assert out["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert out["per_class"]["c"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
