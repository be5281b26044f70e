"""One training epoch on all of Twitter15 (1490 trees, ~600k nodes) with a frozen text encoder.

Prints the epoch's wall time (training and validation passes over every tree, measured by
Lightning's own loop) and the process's peak resident memory.

    python benchmarks/twitter15_epoch.py [--data ../shared/datasets/twitter15]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import lightning.pytorch as pl

from priorkit.data.cache import load_cached
from priorkit.runs.config import RunConfig
from priorkit.training.run import train

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "twitter15"


class EpochTimer(pl.Callback):
    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.seconds = time.perf_counter() - self.start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    dataset = load_cached("twitter", args.data)
    config = RunConfig.model_validate(
        {
            "data": {"train": str(args.data), "val": str(args.data), "test": str(args.data)},
            "train": {"epochs": 1, "batch_size": args.batch_size, "progress_bar": False},
        }
    )
    timer = EpochTimer()
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        train(
            config,
            run_dir,
            splits={"train": dataset, "val": dataset, "test": dataset[:64]},
            callbacks=[timer],
        )
        total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nodes = sum(s.num_nodes for s in dataset)
    print(f"Twitter15: {len(dataset)} trees, {nodes} nodes, batch {args.batch_size}, frozen all-MiniLM-L6-v2")
    print(f"one epoch (train + validation over all trees): {timer.seconds:.1f} s")
    print(f"whole run (data, text embeddings, epoch, test): {total:.1f} s")
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
