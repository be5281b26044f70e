"""Peak memory of ``priorkit predict`` on unlabelled files of growing size, streamed (the
command) against the same predictions made with every sample in memory (``pk.predict`` on the
whole file: the peer). Streaming should hold memory flat as the file grows; the peer grows
with it. Each measurement runs in its own process (its peak resident set size, VmHWM; Linux).

    python benchmarks/predict_memory.py [--sizes 2000 16000] [--encoder MODEL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import priorkit as pk
from priorkit.data.synth import SynthConfig, write_synthetic

MEASURE = """
import json, sys, time
import priorkit as pk
from priorkit.cli import main
run, data, out, mode = sys.argv[1:5]
started = time.perf_counter()
if mode == "stream":
    code = main(["predict", run, "--data", data, "--out", out, "--quiet"])
    assert code == 0
else:
    pk.predict(pk.load(run), pk.read_jsonl(data))
# VmHWM: the peak of this process's own memory (ru_maxrss would carry the parent's peak at fork)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mib": int(hwm.split()[1]) / 1024}))
"""


def unlabelled(folder: Path, size: int) -> Path:
    """``size`` synthetic samples (the shipped generator's defaults) without labels."""
    write_synthetic(folder, SynthConfig(seed=size, n_train=2, n_val=2, n_test=size))
    samples = list(pk.read_jsonl(folder / "test_id.jsonl"))
    for sample in samples:
        sample.label = None
    path = folder / "new.jsonl"
    pk.write_jsonl(samples, path)
    return path


def measure(run: Path, data: Path, out: Path, mode: str, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(run), str(data), str(out), mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 16000])
    parser.add_argument("--encoder", default="sentence-transformers/all-MiniLM-L6-v2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {**os.environ, "PRIORKIT_CACHE": str(root / "cache")}
        os.environ["PRIORKIT_CACHE"] = env["PRIORKIT_CACHE"]
        write_synthetic(root / "train", SynthConfig(n_train=300, n_val=100, n_test=100))
        data = {
            k: root / "train" / f"{f}.jsonl"
            for k, f in (("train", "train"), ("val", "val"), ("test", "test_id"))
        }
        config = {"model": {"text_encoder": args.encoder}, "train": {"epochs": 1, "progress_bar": False}}
        run = pk.fit(config, data=data, out=root / "run").source
        rows = []
        for size in args.sizes:
            file = unlabelled(root / f"n{size}", size)
            cold = measure(run, file, root / "warm.jsonl", "stream", env)  # fills the embedding cache
            print(
                f"{size} samples, first pass (texts encoded): {cold['seconds']:.1f} s, "
                f"{cold['peak_mib']:.0f} MiB"
            )
            stream = measure(run, file, root / f"preds{size}.jsonl", "stream", env)
            memory = measure(run, file, root / "unused.jsonl", "memory", env)
            rows.append((size, stream, memory))
        print(
            "samples | streamed: s, peak MiB | all in memory (peer): s, peak MiB | peak ratio streamed/peer"
        )
        for size, stream, memory in rows:
            print(
                f"{size} | {stream['seconds']:.1f}, {stream['peak_mib']:.0f} | {memory['seconds']:.1f}, "
                f"{memory['peak_mib']:.0f} | {stream['peak_mib'] / memory['peak_mib']:.2f}"
            )
        (small, s0, m0), (large, s1, m1) = rows[0], rows[-1]
        print(
            f"growth of the peak from {small} to {large} samples: "
            f"streamed {s1['peak_mib'] - s0['peak_mib']:+.0f} MiB, "
            f"peer {m1['peak_mib'] - m0['peak_mib']:+.0f} MiB"
        )


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmark wall time: {time.perf_counter() - started:.0f} s")
