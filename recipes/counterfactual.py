"""Prior "the graph must not decide the label on its own" on the shipped synthetic reviews
(shortcut in the leaves, signal in the text and the root): every other text is also paired with
the tree of a sample of the other label, keeping the text's label.

Trains with recipes/counterfactual.yaml, then prints accuracy on test_id and test_ood, reliance, root
attention and the compliance report.

    python recipes/counterfactual.py [--out runs/counterfactual] [--seed 0] [--set key=value ...]
"""

from __future__ import annotations

from pathlib import Path

import torch

from priorkit.api.trial import recipe_arguments, run_trial
from priorkit.config import load_config
from priorkit.data import LabelSpace, collate, read_jsonl, sample_to_data
from priorkit.priors import build_prior
from priorkit.runs.config import RunConfig

HERE = Path(__file__).resolve().parent
OOD = HERE.parent / "datasets" / "synthetic" / "test_ood.jsonl"


def main() -> None:
    args = recipe_arguments(__doc__, HERE.parent / "runs" / "counterfactual")
    config = load_config(RunConfig, HERE / "counterfactual.yaml", args.set).resolve_paths(HERE)
    prior = build_prior(config.priors[0])
    samples = read_jsonl(config.data.train)
    batch = collate([sample_to_data(s, LabelSpace(("negative", "positive"))) for s in samples[:8]])
    made = prior.augment(batch, torch.Generator().manual_seed(0))  # training batches get these
    k = int((made.origin >= 0).nonzero()[0])
    print(
        f"{made.num_graphs - batch.num_graphs} counterfactuals for 8 samples; e.g. {made.sample_id[k]}: "
        f"text {made.text[k]!r} kept its label, its tree came from a sample of the other label"
    )
    result = run_trial(config, args.out, evaluate={"test_ood": OOD})
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
