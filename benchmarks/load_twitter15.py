"""Load all of Twitter15 from the raw release into batched-ready PyG graphs, then again from the cache.

Targets (issue 2): raw files -> graphs in at most 5 s; from the processed cache in at most 1 s.
The peer is the bare parse of the raw edge lines (one regex pass over every tree file), the
floor that any loader of this format pays. Times are wall-clock on this machine, best of
``--repeat`` runs, after imports.

    python benchmarks/load_twitter15.py [--data ../shared/datasets/twitter15] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from priorkit.data.cache import load_cached
from priorkit.data.labels import LabelSpace
from priorkit.data.loaders.twitter import load_twitter
from priorkit.data.memory import paused_gc
from priorkit.data.tensors import sample_to_data

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "twitter15"
EDGE = re.compile(r"\['([^']*)', '([^']*)', '([^']*)'\]->\['([^']*)', '([^']*)', '([^']*)'\]")


def parse_only(folder: Path) -> int:
    return sum(len(EDGE.findall(path.read_text())) for path in (folder / "tree").iterdir())


def to_graphs(dataset) -> list:  # type: ignore[no-untyped-def]
    labels = LabelSpace.from_labels(dataset.labels)
    with paused_gc():
        return [sample_to_data(sample, labels) for sample in dataset]


def best(repeat: int, run) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t_parse, edges = best(args.repeat, lambda: parse_only(args.data))
    t_raw, graphs = best(args.repeat, lambda: to_graphs(load_twitter(args.data)))
    with tempfile.TemporaryDirectory() as cache:
        load_cached("twitter", args.data, cache_dir=cache)  # fill the cache
        t_cached, cached = best(
            args.repeat, lambda: to_graphs(load_cached("twitter", args.data, cache_dir=cache))
        )
    nodes = sum(g.num_nodes for g in graphs)  # type: ignore[union-attr]
    assert len(cached) == len(graphs)  # type: ignore[arg-type]
    print(f"Twitter15: {len(graphs)} trees, {nodes} nodes, {edges} raw edge lines")  # type: ignore[arg-type]
    print(f"peer  raw edge-line parse (regex over every tree file): {t_parse:6.2f} s")
    print(
        f"raw files -> graphs (priorkit.load_twitter + sample_to_data): {t_raw:5.2f} s  "
        f"({t_raw / t_parse:.1f}x the bare parse; target <= 5 s: {verdict(t_raw <= 5)})"
    )
    print(
        f"cache     -> graphs (priorkit.load_cached + sample_to_data): {t_cached:6.2f} s  "
        f"({t_cached / t_parse:.1f}x the bare parse; target <= 1 s: {verdict(t_cached <= 1)})"
    )


if __name__ == "__main__":
    main()
