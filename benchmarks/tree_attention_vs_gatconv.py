"""Throughput of TreeAttentionConv against torch_geometric's GATConv on real Twitter15 batches.

Both layers get the same width, heads and directed edges (every tree edge in both
directions) and neither adds self loops (priorkit's tree encoder keeps each node's own state
with a residual around the layer). One pass = forward + backward over every batch of the dataset. Prints the
throughput ratio (target >= 1.0) and the cost of an active depth bias at the ``message``
site (target <= 1.10x). Best of ``--repeat`` passes, measured in one run.

    python benchmarks/tree_attention_vs_gatconv.py [--data ../shared/datasets/twitter15]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch_geometric.nn import GATConv

from priorkit.data.batch import make_loader
from priorkit.data.cache import load_cached
from priorkit.data.dataset import TreeDataset
from priorkit.data.labels import LabelSpace
from priorkit.encoders.tree_attention import MessageEdges, TreeAttentionConv

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "twitter15"


def batches(dataset: TreeDataset, batch_size: int) -> list[tuple[torch.Tensor, MessageEdges, torch.Tensor]]:
    loader = make_loader(dataset, LabelSpace.from_labels(dataset.labels), batch_size)
    out = []
    for batch in loader:
        graph = batch.graph
        edges = MessageEdges.from_tree_edges(graph.edge_index)
        out.append((graph.depth, edges, torch.randn(graph.num_nodes, 64)))
    return out


def one_pass(
    layer: TreeAttentionConv, data: list[tuple[torch.Tensor, MessageEdges, torch.Tensor]], bias: bool
) -> None:
    """Forward and backward of ``layer`` over every batch (with a depth bias at the message site)."""
    for depth, edges, x in data:
        b = -0.5 * depth[edges.index[0]].float() if bias else None
        layer(x, edges, b).x.sum().backward()


def timed(repeat: int, runs: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Best time of each run over ``repeat`` rounds; the runs alternate within a round so that
    a slow spell of the machine hits all of them alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = batches(load_cached("twitter", args.data), args.batch_size)
    nodes = sum(x.size(0) for _, _, x in data)
    ours = TreeAttentionConv(64, heads=4)
    peer = GATConv(64, 16, heads=4, concat=True, add_self_loops=False)

    def run_ours(bias: bool) -> None:
        one_pass(ours, data, bias)

    def run_peer() -> None:
        for _, edges, x in data:
            peer(x, edges.index).sum().backward()

    run_ours(False), run_peer()  # warm up
    times = timed(
        args.repeat, {"peer": run_peer, "ours": lambda: run_ours(False), "bias": lambda: run_ours(True)}
    )
    t_peer, t_ours, t_bias = times["peer"], times["ours"], times["bias"]
    edges = sum(e.index.size(1) for _, e, _ in data)
    print(
        f"Twitter15: {len(data)} batches of {args.batch_size} trees, {nodes} nodes, {edges} directed edges; "
        f"width 64, 4 heads; forward+backward, best of {args.repeat}"
    )
    print(f"peer GATConv (torch_geometric):        {nodes / t_peer:10.0f} nodes/s")
    print(f"TreeAttentionConv:                     {nodes / t_ours:10.0f} nodes/s")
    print(f"TreeAttentionConv + depth bias:        {nodes / t_bias:10.0f} nodes/s")
    print(f"throughput ratio ours / GATConv:       {t_peer / t_ours:.2f}  (target >= 1.0)")
    print(f"cost of the depth bias (biased/plain): {t_bias / t_ours:.2f}x (target <= 1.10)")


if __name__ == "__main__":
    main()
