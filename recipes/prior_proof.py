"""The proof that each prior works: the study of recipes/synthetic_study.yaml (the no-prior
baseline, priors 1-4 with their recipe defaults and their combination, 3 seeds each, on the
shipped synthetic data: shortcut in the leaves, signal in the text and the root), then the
README's table and the issue's three requirements, from the study's own statistics.

    python recipes/prior_proof.py [--out runs/prior-proof] [--workers 2]

The runs, ``results.csv`` and ``summary.md`` stay in ``--out``; rerunning reuses finished trials.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import priorkit as pk

HERE = Path(__file__).resolve().parent
STUDY = HERE / "synthetic_study.yaml"
PRIORS = ("modality_gate", "depth_decay", "supervised_attention", "counterfactual")
COLUMNS = {
    "test.accuracy": "test_id accuracy",
    "test_ood.accuracy": "test_ood accuracy",
    "test.reliance.text": "reliance text (test_id)",
    "test.root_attention": "root mass (test_id)",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=HERE.parent / "runs" / "prior-proof")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    run = pk.run_study(STUDY, args.out, workers=args.workers)
    table = pd.read_csv(run.out / "results.csv")
    summary = pk.summarise(table[table["status"] == "done"], "baseline").set_index(["arm", "metric"])

    print("\n| arm (mean +- std [95% CI] over seeds 0, 1, 2) | " + " | ".join(COLUMNS.values()) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for arm in dict.fromkeys(table["arm"]):
        print(f"| {arm} | " + " | ".join(pk.cell_text(summary.loc[(arm, c)]) for c in COLUMNS) + " |")

    def mean(arm: str, metric: str) -> float:
        return float(summary.loc[(arm, metric), "mean"])

    print("\nrequirements:")
    base = mean("baseline", "test_ood.accuracy")
    for arm in PRIORS:
        gain = mean(arm, "test_ood.accuracy") - base
        verdict = "PASS" if gain >= 0.10 else "FAIL"
        print(
            f"- {arm}: test_ood accuracy {100 * gain:+.1f} points over the baseline (need >= +10): {verdict}"
        )
    share = mean("modality_gate", "test.reliance.text")
    verdict = "PASS" if abs(share - 0.8) <= 0.1 else "FAIL"
    print(f"- modality_gate: reliance text share {share:.3f} (need 0.8 +- 0.1): {verdict}")
    mass = mean("depth_decay", "test.root_attention")
    print(f"- depth_decay: root attention mass {mass:.3f} (need >= 0.5): {'PASS' if mass >= 0.5 else 'FAIL'}")


if __name__ == "__main__":
    main()
