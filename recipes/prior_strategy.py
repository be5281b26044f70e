"""One prior strategy on the shipped synthetic reviews (shortcut in the leaves, signal in the text
and the root): trains with ``recipes/<strategy>.yaml``, shows what the prior will do, then prints
accuracy on test_id and test_ood, reliance, root attention and the compliance report.

Strategies:
  modality_gate         "the text matters more than the graph": a soft gate loss toward text 0.8 /
                        graph 0.2, plus a loss on the reliance shares
  depth_decay           "the root matters more than the leaves": attention logits biased by
                        -2 x depth at the readout and in message passing
  supervised_attention  "these nodes are the important ones": a KL loss pulling the readout
                        attention toward the data's per-node importance
  counterfactual        "the graph must not decide the label on its own": training batches gain
                        copies whose tree comes from a sample of another label, the label kept
  combined              gate + depth decay + leaf shuffling

    python recipes/prior_strategy.py STRATEGY [--out runs/STRATEGY] [--seed 0] [--set key=value ...]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import torch

import priorkit as pk

HERE = Path(__file__).resolve().parent
OOD = HERE.parent / "datasets" / "synthetic" / "test_ood.jsonl"


def show_gate(config: pk.RunConfig) -> None:
    gate = config.priors[0]
    print(f"target shares {gate.shares()}, mode {gate.mode}; compliance rules:")
    for check in gate.build().checks():
        print(f"  {check.metric} {check.describe()}")


def show_decay(config: pk.RunConfig) -> None:
    curve = config.priors[0].build().curve().detach()  # the additive attention logit at depth 0, 1, ...
    print("bias by depth: " + ", ".join(f"{d}: {b:+.1f}" for d, b in enumerate(curve.tolist()[:5])))


def show_supervision(config: pk.RunConfig) -> None:
    sample = pk.read_jsonl(config.data.path("train"))[0]
    batch = pk.collate([pk.sample_to_data(sample)])
    scores = config.priors[0].build().node_scores(batch)
    target = scores / scores.sum()  # what the attention is pulled to
    depth = batch.graph.depth
    shares = ", ".join(f"{d}: {float(target[depth == d].sum()):.2f}" for d in range(int(depth.max()) + 1))
    print(f"target attention of {sample.id} by depth: {shares}")


def show_counterfactuals(config: pk.RunConfig) -> None:
    samples = pk.read_jsonl(config.data.path("train"))
    labels = pk.LabelSpace(("negative", "positive"))
    batch = pk.collate([pk.sample_to_data(s, labels) for s in samples[:8]])
    made = config.priors[0].build().augment(batch, torch.Generator().manual_seed(0))  # as training does
    k = int((made.origin >= 0).nonzero()[0])
    print(
        f"{made.num_graphs - batch.num_graphs} counterfactuals for 8 samples; e.g. {made.sample_id[k]}: "
        f"text {made.text[k]!r} kept its label, its tree came from a sample of the other label"
    )


def show_stack(config: pk.RunConfig) -> None:
    print("priors: " + ", ".join(pk.build_priors(config.priors).labels()))  # one module per prior


SHOW: dict[str, Callable[[pk.RunConfig], None]] = {
    "modality_gate": show_gate,
    "depth_decay": show_decay,
    "supervised_attention": show_supervision,
    "counterfactual": show_counterfactuals,
    "combined": show_stack,
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "strategy", choices=sorted(SHOW), help="the prior strategy (its config: recipes/<strategy>.yaml)"
    )
    parser.add_argument("--out", type=Path, default=None, help="run directory (default: runs/<strategy>)")
    parser.add_argument("--seed", type=int, default=None, help="overrides train.seed")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    args = parser.parse_args()
    if args.seed is not None:
        args.set.append(f"train.seed={args.seed}")
    args.out = args.out or HERE.parent / "runs" / args.strategy.replace("_", "-")
    return args


def main() -> None:
    args = arguments()
    config = pk.RunConfig.from_yaml(HERE / f"{args.strategy}.yaml", args.set)
    SHOW[args.strategy](config)
    result = pk.run_trial(config, args.out, evaluate={"test_ood": OOD})
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
