"""The compliance report: did the model follow each of its priors?"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from priorkit.priors.stack import PriorStack


@dataclass(frozen=True)
class ComplianceEntry:
    """One rule of one prior, checked.

    Args:
        prior: the prior's namespace (its name; numbered when a name repeats).
        metric: what was measured (the prior's own metric, or a report path like ``reliance.text``).
        target: the stated value; rule: how it is compared (``0.80 +- 0.10``, ``>= 0.50``).
        achieved: the measured value (None when it could not be measured on this data).
        passed: whether the rule holds (None when nothing was measured).
        multiplier: the rule's enforcement multiplier at the end of training (None when the
            rule is not enforced).
    """

    prior: str
    metric: str
    target: float
    rule: str
    achieved: float | None
    passed: bool | None
    multiplier: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pass"] = out.pop("passed")
        return out

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> ComplianceEntry:
        """The inverse of :meth:`to_dict` (reports keep their entries as dicts)."""
        args = dict(entry)
        args["passed"] = args.pop("pass")
        return cls(**args)

    def line(self) -> str:
        achieved = "not measured" if self.achieved is None else f"{self.achieved:.3f}"
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]
        enforced = "" if self.multiplier is None else f" (enforced, multiplier {self.multiplier:.3g})"
        return f"{self.prior}: {self.metric} {achieved} (target {self.rule}) {verdict}{enforced}"


def _lookup(report: dict[str, Any], path: str) -> float | None:
    node: Any = report
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def compliance(
    stack: PriorStack, measured: dict[str, float], report: dict[str, Any]
) -> list[ComplianceEntry]:
    """Check every rule of every prior against its own measurements (``label/metric`` in
    ``measured``) or, failing that, against the evaluation ``report`` (a dotted path)."""
    entries = []
    for label, prior in stack.named():
        for check in prior.checks():
            achieved = measured.get(f"{label}/{check.metric}")
            if achieved is None:
                achieved = _lookup(report, check.metric)
            if achieved is not None and math.isnan(achieved):
                achieved = None
            passed = None if achieved is None else check.passes(achieved)
            enforced = prior.enforcing and check.enforceable
            multiplier = float(prior.multiplier(check.metric)) if enforced else None
            entries.append(
                ComplianceEntry(
                    label, check.metric, check.target, check.describe(), achieved, passed, multiplier
                )
            )
    return entries
