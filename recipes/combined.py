"""Three priors at once on the shipped synthetic reviews: the text decides more than the graph
(modality gate), attention flows to the root (depth decay), and the leaves must not decide
(counterfactual leaf shuffling). Priors combine by listing them; each reports its own compliance.

    python recipes/combined.py [--out runs/combined] [--seed 0] [--set key=value ...]
"""

from __future__ import annotations

from pathlib import Path

from priorkit.api.trial import recipe_arguments, run_trial
from priorkit.config import load_config
from priorkit.priors import build_priors
from priorkit.runs.config import RunConfig

HERE = Path(__file__).resolve().parent
OOD = HERE.parent / "datasets" / "synthetic" / "test_ood.jsonl"


def main() -> None:
    args = recipe_arguments(__doc__, HERE.parent / "runs" / "combined")
    config = load_config(RunConfig, HERE / "combined.yaml", args.set).resolve_paths(HERE)
    stack = build_priors(config.priors)  # what the model will hold: one module per prior
    print("priors: " + ", ".join(stack.labels()))
    result = run_trial(config, args.out, evaluate={"test_ood": OOD})
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
