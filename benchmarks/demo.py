"""Wall time of ``priorkit demo`` from nothing: a fresh study folder and a fresh embedding
cache, the synthetic study of every prior strategy (6 arms x 3 seeds) and its report, with
the default two workers. Target: at most 10 minutes on a 2-core machine without a GPU.

    python benchmarks/demo.py [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the demo here instead of a temporary folder"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch) / "demo"
        env = {**os.environ, "PRIORKIT_CACHE": str(Path(scratch) / "cache")}  # nothing cached beforehand
        command = [
            sys.executable,
            "-m",
            "priorkit.cli",
            "demo",
            "--out",
            str(out),
            "--workers",
            str(args.workers),
        ]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
    print(f"cores: {os.cpu_count()}, workers: {args.workers}")
    print(
        f"priorkit demo, from an empty cache to the written report: {seconds:.0f} s ({seconds / 60:.1f} min)"
    )
    print(f"ratio to the 10-minute target: {seconds / TARGET_SECONDS:.2f} (target <= 1.00)")


if __name__ == "__main__":
    main()
