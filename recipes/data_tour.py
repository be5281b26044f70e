"""A tour of the data layer on the shipped synthetic data: load, inspect, split, batch.

python recipes/data_tour.py [--data datasets/synthetic] [--batch-size 32]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import priorkit as pk

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "synthetic")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    train = pk.read_jsonl(args.data / "train.jsonl")
    for line in pk.dataset_stats(train).lines():
        print(line)

    sample = train[0]
    print(f"\nfirst sample {sample.id!r}: {sample.text!r} -> {sample.label}")
    print(f"  {sample.num_nodes} nodes, depth per node {sample.depth.tolist()}")
    graph = pk.to_networkx(sample)
    print(f"  as networkx: {graph}")

    folds = pk.stratified_kfold(train.labels, k=5, val_fraction=0.1, seed=0)
    print(
        f"\n5 folds; fold 0 has {len(folds[0].train)} train / {len(folds[0].val)} val / "
        f"{len(folds[0].test)} test samples"
    )

    labels = pk.LabelSpace.from_labels(train.labels)
    batch = next(iter(pk.make_loader(train, labels, batch_size=args.batch_size)))
    print(
        f"\none batch: {batch.num_graphs} samples, {batch.graph.num_nodes} nodes, "
        f"x {tuple(batch.graph.x.shape)}, edge_index {tuple(batch.graph.edge_index.shape)}, "
        f"labels {batch.y.tolist()[:8]}..."
    )


if __name__ == "__main__":
    main()
