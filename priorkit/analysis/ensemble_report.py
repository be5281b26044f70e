"""``EnsembleReport``: what ``priorkit evaluate`` prints and writes for an ensemble."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from priorkit.analysis.report import EvaluationReport


@dataclass(frozen=True)
class EnsembleReport:
    """Args:
    accuracy, macro_f1, per_class, n: the classification results of the members' averaged class
        probabilities.
    members: each member's own :class:`EvaluationReport` (its accuracy, reliance, attention and
        the compliance of its priors: rules are kept, or not, by each network).
    """

    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    n: int
    members: list[EvaluationReport]

    @property
    def compliance(self) -> list[dict[str, Any]]:
        """Every member's compliance entries, each with its ``member`` index."""
        return [{"member": k, **entry} for k, m in enumerate(self.members) for entry in m.compliance]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"n: {self.n}",
            f"ensemble of {len(self.members)}: accuracy {self.accuracy:.4f}, macro_f1 {self.macro_f1:.4f}",
        ]
        for k, member in enumerate(self.members):
            kept = sum(e["pass"] is True for e in member.compliance)
            measured = sum(e["pass"] is not None for e in member.compliance)
            unmeasured = len(member.compliance) - measured
            rules = f", rules kept {kept}/{measured}" if measured else ""
            rules += f" ({unmeasured} n/a)" if unmeasured else ""
            out.append(f"member {k}: accuracy {member.accuracy:.4f}, macro_f1 {member.macro_f1:.4f}{rules}")
        return out
