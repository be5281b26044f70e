"""Where one training epoch of the Twitter15 baseline spends its time (torch.profiler).

Trains fold0 of the raw-release recipe (``recipes/twitter15_raw.yaml``, ``--set`` changes it) for one
epoch, profiles that epoch's training pass from its first batch to its last, and prints the wall
time of the pass (slowed by the profiler itself), its share per phase of a batch (loading and
collating, forward with the loss and the priors' terms, backward, optimizer step) and the
operators with the most self CPU time.

    python benchmarks/twitter15_profile.py                                  # the recipe as it is
    python benchmarks/twitter15_profile.py --set data.max_nodes=null         # whole trees (before)
    python benchmarks/twitter15_profile.py --format twitter_rvnn --config recipes/twitter15_baseline.yaml
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import lightning.pytorch as pl
from torch.profiler import ProfilerActivity, profile

import priorkit as pk
from priorkit.runs.config import RunConfig
from priorkit.training.run import train

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "recipes"))
from twitter15_baseline import DEFAULT, folds  # noqa: E402  (the recipe's own folds)

PHASES = (
    "loading and collating batches",
    "forward (model, loss, prior terms)",
    "backward",
    "optimizer step and the rest",
)


class EpochProfiler(pl.Callback):
    """Profiles the first epoch's training pass, up to its last batch and without the validation
    pass that follows (CPU operators), and times each batch's phases by
    Lightning's hooks: from the end of one batch to the start of the next (the loader), the
    training step up to ``backward``, ``backward``, and the optimizer step with what follows."""

    def __init__(self) -> None:
        self.phases = dict.fromkeys(PHASES, 0.0)

    def _lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] += now - self.mark
        self.mark = now

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == 0:
            self.profiler = profile(activities=[ProfilerActivity.CPU])
            self.profiler.__enter__()
            self.start = self.mark = time.perf_counter()

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # type: ignore[no-untyped-def]
        self._lap(PHASES[0])

    def on_before_backward(self, trainer, pl_module, loss) -> None:  # type: ignore[no-untyped-def]
        self._lap(PHASES[1])

    def on_after_backward(self, trainer, pl_module) -> None:  # type: ignore[no-untyped-def]
        self._lap(PHASES[2])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # type: ignore[no-untyped-def]
        self._lap(PHASES[3])
        last = batch_idx == trainer.num_training_batches - 1
        if trainer.current_epoch == 0 and last:  # before the epoch's validation pass
            self.seconds = time.perf_counter() - self.start
            self.profiler.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--config", type=Path, default=ROOT / "recipes" / "twitter15_raw.yaml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--format",
        default="twitter",
        choices=["twitter", "twitter_rvnn"],
        help="twitter: the raw release alone (default); twitter_rvnn: with the replies' words "
        "(use with --config recipes/twitter15_baseline.yaml)",
    )
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    config = RunConfig.from_yaml(args.config, [*args.set, "train.epochs=1"])
    dataset, splits = folds(config, args.data, "stratified", None, args.format)
    split = splits[0]
    parts = {"train": dataset[split.train], "val": dataset[split.val], "test": dataset[split.test]}
    profiler = EpochProfiler()
    with tempfile.TemporaryDirectory() as run_dir:
        train(config, run_dir, splits=parts, callbacks=[profiler])
        model = pk.load(run_dir)
        start = time.perf_counter()
        report = pk.evaluate(model, parts["test"])  # what a run does on its test part
        evaluation = time.perf_counter() - start
    nodes = sum(s.num_nodes for s in parts["train"])
    print(f"Twitter15 fold0, {len(parts['train'])} training trees, {nodes} nodes, --set {args.set or '-'}")
    rate = nodes / profiler.seconds
    print(f"training pass of one epoch (profiled): {profiler.seconds:.2f} s ({rate:.0f} nodes/s)")
    for phase, seconds in profiler.phases.items():
        print(f"  {phase:38s} {seconds:6.2f} s  {seconds / profiler.seconds:6.1%}")
    shuffles = len(report.reliance) + len(report.reliance_nodes["accuracy_drop"])  # modalities, node groups
    passes = 1 + shuffles * int(report.reliance_nodes["repeats"])
    print(
        f"evaluation of the test part ({len(parts['test'])} trees, {passes} passes: predictions and "
        f"permutation reliance): {evaluation:.2f} s"
    )
    print(f"\noperators with the most self CPU time (top {args.top}):")
    print(profiler.profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top))


if __name__ == "__main__":
    main()
