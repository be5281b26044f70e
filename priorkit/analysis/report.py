"""``EvaluationReport``: what ``priorkit evaluate`` prints and writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from torch_geometric.data import Data

from priorkit.analysis.attention import attention_by_depth, root_attention
from priorkit.analysis.compliance import ComplianceEntry, compliance
from priorkit.analysis.groups import group_report
from priorkit.analysis.metrics import classification_metrics
from priorkit.analysis.node_reliance import node_reliance
from priorkit.analysis.predict import Predictions, adapted, measured_only, predict
from priorkit.analysis.reliance import modality_reliance
from priorkit.data.labels import LabelSpace
from priorkit.model import PriorModel


@dataclass(frozen=True)
class EvaluationReport:
    """Args:
    accuracy, macro_f1, per_class, n: classification results.
    reliance: ``{"text": share, "graph": share}`` by permutation (sums to 1).
    reliance_drops: the raw accuracy drops and prediction-change rates behind the shares.
    reliance_nodes: node-group reliance (:class:`~priorkit.analysis.node_reliance.NodeReliance`
        as a dict): ``shares`` of ``root``, ``depth_1``, ``depth_2``, ``3+`` and the ``leaves``
        share against the root, with the ``accuracy_drop`` and ``prediction_change`` behind them.
    attention_by_depth: readout attention mass at depth 0, 1, 2, 3+ (mean over samples).
    root_attention: readout attention on the root (mean over samples).
    modality_weights: mean fusion weights ``{"text", "graph"}``, or None.
    priors: what each prior measured (``prior/metric``), averaged over samples.
    compliance: one entry per rule of each prior: ``prior``, ``metric``, ``target``, ``rule``,
        ``achieved``, ``pass``.
    groups: for data of two groups or more (the ``group`` field): the worst group's accuracy
        and a fresh probe's group accuracy on the fused vectors (:mod:`priorkit.analysis.groups`),
        else None.
    """

    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    n: int
    reliance: dict[str, float]
    reliance_drops: dict[str, dict[str, float]]
    reliance_nodes: dict[str, Any]
    attention_by_depth: dict[str, float]
    root_attention: float
    modality_weights: dict[str, float] | None
    priors: dict[str, float] = field(default_factory=dict)
    compliance: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"n: {self.n}",
            f"accuracy: {self.accuracy:.4f}",
            f"macro_f1: {self.macro_f1:.4f}",
            "reliance: " + ", ".join(f"{k} {v:.3f}" for k, v in self.reliance.items()),
            "reliance_nodes: " + ", ".join(f"{k} {v:.3f}" for k, v in self.reliance_nodes["shares"].items()),
            "attention_by_depth: " + ", ".join(f"{k}: {v:.3f}" for k, v in self.attention_by_depth.items()),
            f"root_attention: {self.root_attention:.3f}",
        ]
        if self.modality_weights is not None:
            out.append(
                "modality_weights: " + ", ".join(f"{k} {v:.3f}" for k, v in self.modality_weights.items())
            )
        if self.groups is not None:
            out.append("groups: " + ", ".join(f"{k} {v:.3f}" for k, v in self.groups.items()))
        if self.compliance:
            out.append("compliance:")
            out.extend(f"  {ComplianceEntry.from_dict(e).line()}" for e in self.compliance)
        return out


def evaluate_model(
    model: PriorModel,
    graphs: Sequence[Data],
    labels: LabelSpace,
    repeats: int = 5,
    seed: int = 0,
    batch_size: int = 64,
) -> EvaluationReport:
    """Every measurement of a model on labelled graphs (priors that adapt to the data they
    score, such as ``label_shift``, adapted to ``graphs`` first, without their labels)."""
    with adapted(model, graphs, batch_size):
        return _evaluate(model, graphs, labels, repeats, seed, batch_size)


def _groups(predictions: Predictions) -> dict[str, float] | None:
    if predictions.fused is None or predictions.y is None:
        return None
    right = (predictions.predicted == predictions.y).float().numpy()
    return group_report(predictions.fused.numpy(), predictions.group, right, predictions.y.numpy())


def _evaluate(
    model: PriorModel, graphs: Sequence[Data], labels: LabelSpace, repeats: int, seed: int, batch_size: int
) -> EvaluationReport:
    predictions = predict(model, graphs, batch_size, measure_priors=True)
    metrics = classification_metrics(predictions.y.numpy(), predictions.predicted.numpy(), labels)
    reliance = modality_reliance(model, graphs, repeats, seed, batch_size, base=predictions)
    nodes = node_reliance(model, graphs, repeats, seed, batch_size, base=predictions)
    weights = predictions.modality_weights
    report = EvaluationReport(
        accuracy=metrics["accuracy"],
        macro_f1=metrics["macro_f1"],
        per_class=metrics["per_class"],
        n=metrics["n"],
        reliance=reliance.shares,
        reliance_drops={
            "accuracy_drop": reliance.accuracy_drop,
            "prediction_change": reliance.prediction_change,
        },
        reliance_nodes=nodes.to_dict(),
        attention_by_depth=attention_by_depth(
            predictions.readout_attention, predictions.depth, predictions.batch
        ),
        root_attention=root_attention(predictions.readout_attention, predictions.root_index),
        modality_weights=None
        if weights is None
        else {"text": float(weights[:, 0].mean()), "graph": float(weights[:, 1].mean())},
        priors=measured_only(predictions.prior_measures),  # the NaN stay for compliance: n/a
        groups=_groups(predictions),
    )
    entries = compliance(model.priors, predictions.prior_measures, report.to_dict())
    return replace(report, compliance=[e.to_dict() for e in entries])
