"""Prior "these nodes are the important ones" on the shipped synthetic reviews (shortcut in the
leaves, signal in the text and the root): a KL loss pulling the readout attention toward the
data's per-node importance.

Trains with recipes/supervised_attention.yaml, then prints accuracy on test_id and test_ood, reliance, root
attention and the compliance report.

    python recipes/supervised_attention.py [--out runs/supervised-attention] [--seed 0] [--set key=value ...]
"""

from __future__ import annotations

from pathlib import Path

from priorkit.api.trial import recipe_arguments, run_trial
from priorkit.config import load_config
from priorkit.data import collate, read_jsonl, sample_to_data
from priorkit.priors import build_prior
from priorkit.runs.config import RunConfig

HERE = Path(__file__).resolve().parent
OOD = HERE.parent / "datasets" / "synthetic" / "test_ood.jsonl"


def main() -> None:
    args = recipe_arguments(__doc__, HERE.parent / "runs" / "supervised-attention")
    config = load_config(RunConfig, HERE / "supervised_attention.yaml", args.set).resolve_paths(HERE)
    prior = build_prior(config.priors[0])
    sample = read_jsonl(config.data.train)[0]
    batch = collate([sample_to_data(sample)])
    scores = prior.node_scores(batch)
    target = scores / scores.sum()  # what the attention is pulled to
    print(
        f"target attention of {sample.id} by depth: "
        + ", ".join(
            f"{d}: {float(target[batch.graph.depth == d].sum()):.2f}"
            for d in range(int(batch.graph.depth.max()) + 1)
        )
    )
    result = run_trial(config, args.out, evaluate={"test_ood": OOD})
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
