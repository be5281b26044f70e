"""How training grows with the data: synthetic trees at 1k, 10k and 100k training samples.

One synthetic training file of the largest size is generated once (the shipped generator's
defaults: 8-30 nodes a tree, 4 numeric features, a short text), and each size trains on its first
N lines, with the same 500 validation and 500 test samples, for ``--epochs`` epochs, in a
process of its own (its peak resident set size, VmHWM; Linux). Per size it prints the training
pass's time per epoch (median over epochs, validation excluded), samples and nodes per second,
the whole run's time and peak RSS; then the fitted growth exponent of the epoch time
(least squares on log time against log size, over all sizes and between the two largest) and
the ratio of the largest size's peak RSS to the one before it. The goals it names: exponent
<= 1.1, peak RSS at the largest size <= 1.5x the one before.

With ``data.stream`` (the default here; ``--no-stream`` holds the training data in memory) the
training file is read from disk every epoch (:mod:`priorkit.runs.streamed`).

    python benchmarks/scaling.py [--sizes 1000 10000 100000] [--epochs 2] [--encoder MODEL] [--no-stream]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np

from priorkit.data.synth import SynthConfig, write_synthetic

HELD_OUT = 500  # validation and test samples at every size

MEASURE = """
import json, sys
import priorkit as pk
config, train, val, test, out = json.loads(sys.argv[1]), *sys.argv[2:6]
result = pk.fit(config, data={"train": train, "val": val, "test": test}, out=out)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({
    "train_seconds": [row["train_seconds"] for row in result.metrics["history"]],
    "nodes": result.metrics["data"]["train"]["nodes"],
    "seconds": result.metrics["seconds"],
    "peak_mib": int(hwm.split()[1]) / 1024,
}))
"""


def first_lines(source: Path, target: Path, count: int) -> Path:
    """The first ``count`` lines of ``source`` written to ``target``."""
    with source.open() as lines, target.open("w") as out:
        out.writelines(islice(lines, count))
    return target


def measure(config: dict, files: dict[str, Path], out: Path, env: dict[str, str]) -> dict:
    """One training run in a fresh process; its timings and peak RSS."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            json.dumps(config),
            *(str(files[k]) for k in ("train", "val", "test")),
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run at {files['train']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size): 1 is linear growth."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--encoder", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stream the training file from disk (data.stream, the default) or hold it in memory",
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    if len(sizes) < 2:
        parser.error("--sizes: give at least two sizes to fit a growth exponent")
    config = {
        "model": {"text_encoder": args.encoder},
        "train": {"epochs": args.epochs, "progress_bar": False},
        "data": {"stream": args.stream},
    }
    print(f"training data: {'streamed from disk (data.stream)' if args.stream else 'held in memory'}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {**os.environ, "PRIORKIT_CACHE": str(root / "cache")}
        started = time.perf_counter()
        paths = write_synthetic(
            root / "data", SynthConfig(seed=0, n_train=sizes[-1], n_val=HELD_OUT, n_test=HELD_OUT)
        )
        print(f"generated {sizes[-1]} training samples in {time.perf_counter() - started:.0f} s", flush=True)
        rows = []
        for size in sizes:
            train = first_lines(paths["train"], root / f"train{size}.jsonl", size)
            files = {"train": train, "val": paths["val"], "test": paths["test_id"]}
            row = measure(config, files, root / f"run{size}", env)
            row["epoch"] = statistics.median(row["train_seconds"])
            rows.append((size, row))
            print(
                f"{size} samples: {row['epoch']:.1f} s an epoch, {size / row['epoch']:.0f} samples/s, "
                f"{row['nodes'] / row['epoch']:.0f} nodes/s; "
                f"run {row['seconds']:.0f} s, peak {row['peak_mib']:.0f} MiB",
                flush=True,
            )
    print("\n| training samples | nodes | s an epoch | samples/s | nodes/s | run s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for size, row in rows:
        print(
            f"| {size} | {row['nodes']} | {row['epoch']:.1f} | {size / row['epoch']:.0f} | "
            f"{row['nodes'] / row['epoch']:.0f} | {row['seconds']:.0f} | {row['peak_mib']:.0f} |"
        )
    epochs = [row["epoch"] for _, row in rows]
    (small, before), (large, last) = rows[-2], rows[-1]
    overall, top = exponent(sizes, epochs), exponent([small, large], [before["epoch"], last["epoch"]])
    ratio = last["peak_mib"] / before["peak_mib"]
    time_goal = "met" if max(overall, top) <= 1.1 else "NOT met"
    memory_goal = "met" if ratio <= 1.5 else "NOT met"
    growth = f"{overall:.2f} over all sizes, {top:.2f} from {small} to {large}"
    print(f"\ngrowth exponent of the epoch time: {growth} (goal <= 1.1: {time_goal})")
    print(f"peak RSS at {large} / at {small}: {ratio:.2f}  (goal <= 1.5: {memory_goal})")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmark wall time: {time.perf_counter() - started:.0f} s")
