"""Node-group reliance on literal trees whose label sits in known nodes."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.utils import scatter

from priorkit.analysis.node_reliance import group_mask, node_reliance
from priorkit.outputs import PriorModelOutput
from priorkit.priors import PriorStack

# root 0 -> 1 -> 3 (leaf, depth 2); root 0 -> 2 (leaf, depth 1)
PARENT = torch.tensor([0, 0, 0, 1])
DEPTH = torch.tensor([0, 1, 1, 2])


def tree(label: int, where: str) -> Data:
    """A tree whose label is written (as +-1 in feature 0) at the root or at the leaves only;
    every other node carries noise."""
    sign = 1.0 if label else -1.0
    x = torch.randn(4, 1)
    x[torch.tensor([0]) if where == "root" else torch.tensor([2, 3])] = sign
    return Data(
        x=x,
        edge_index=torch.tensor([[0, 0, 1], [1, 2, 3]]),
        depth=DEPTH,
        parent_index=PARENT,
        root_index=torch.tensor([0]),
        time=torch.zeros(4),
        time_mask=torch.zeros(4, dtype=torch.bool),
        importance=torch.zeros(4),
        user_code=torch.zeros(4, dtype=torch.long),
        text="t",
        node_text=[None] * 4,
        sample_id=f"s{label}",
        num_nodes=4,
        y=torch.tensor([label]),
        text_embedding=torch.zeros(1, 2),
    )


class ReadsNodes(nn.Module):
    """Predicts from the sign of feature 0 summed over the root, or over the leaves."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where, self.priors = where, PriorStack()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, batch):  # type: ignore[no-untyped-def]
        g = batch.graph
        position = torch.arange(g.num_nodes) % 4  # every literal tree has 4 nodes; 2 and 3 are its leaves
        node = position == 0 if self.where == "root" else position >= 2
        score = scatter(g.x[:, 0] * node, g.batch, reduce="sum")
        n = g.num_nodes
        return PriorModelOutput(
            logits=torch.stack([-score, score], -1),
            readout_attention=torch.ones(n),
            readout_attention_heads=torch.ones(n, 1),
            modality_weights=None,
            text=batch.text_embedding,
            graph=score[:, None],
            nodes=g.x,
            message_attention=[],
        )


def data(where: str, n: int = 60) -> list[Data]:
    torch.manual_seed(0)
    return [tree(i % 2, where) for i in range(n)]


def test_groups_are_the_nodes_they_name() -> None:
    g = tree(1, "root")
    assert group_mask(g, "root").tolist() == [True, False, False, False]
    assert group_mask(g, "leaves").tolist() == [False, False, True, True]
    assert group_mask(g, "depth_1").tolist() == [False, True, True, False]
    assert group_mask(g, "depth_2").tolist() == [False, False, False, True]
    assert not group_mask(g, "3+").any()


@pytest.mark.parametrize("where", ["root", "leaves"])
def test_reliance_finds_the_nodes_that_carry_the_label(where: str) -> None:
    reliance = node_reliance(ReadsNodes(where), data(where), repeats=3)  # type: ignore[arg-type]
    leaf_share = reliance.shares["leaves"]
    if where == "leaves":
        assert leaf_share > 0.9 and reliance.accuracy_drop["leaves"] > 0.3
        assert reliance.accuracy_drop["root"] == 0.0 and reliance.prediction_change["root"] == 0.0
    else:
        assert leaf_share < 0.05 and reliance.shares["root"] > 0.9
        assert reliance.accuracy_drop["leaves"] == 0.0 and reliance.accuracy_drop["root"] > 0.3
    assert abs(sum(reliance.shares[k] for k in ("root", "depth_1", "depth_2", "3+")) - 1.0) < 1e-9


def test_the_shuffle_spans_the_whole_set_whatever_the_batch_size() -> None:
    # the evaluation set is collated once into batches; a node takes content from any sample
    # of the set, as if the set were one batch, so the batch size cannot change the measure
    graphs = data("leaves", 30)
    results = [
        node_reliance(ReadsNodes("leaves"), graphs, repeats=2, batch_size=size).to_dict()  # type: ignore[arg-type]
        for size in (1, 7, 64)
    ]
    assert results[0]["accuracy_drop"]["leaves"] > 0.3
    assert results[0] == results[1] == results[2]


def test_a_shuffle_moves_content_between_samples_and_keeps_the_tree() -> None:
    from priorkit.analysis.node_reliance import _shuffle
    from priorkit.data.batch import graph_loader

    graphs = data("leaves", 10)
    batches = list(graph_loader(graphs, batch_size=4))  # shuffled across batches, not within one
    shuffled = [
        g
        for batch in _shuffle("leaves", batches)(torch.Generator().manual_seed(1))
        for g in batch.graph.to_data_list()
    ]
    before = torch.cat([g.x[group_mask(g, "leaves")] for g in graphs]).sort(0).values
    after = torch.cat([g.x[group_mask(g, "leaves")] for g in shuffled]).sort(0).values
    assert torch.equal(before, after)  # a permutation: nothing made up, nothing lost
    assert any(not torch.equal(a.x, b.x) for a, b in zip(graphs, shuffled, strict=True))
    for a, b in zip(graphs, shuffled, strict=True):
        assert torch.equal(a.x[~group_mask(a, "leaves")], b.x[~group_mask(b, "leaves")])
        assert torch.equal(a.depth, b.depth) and torch.equal(a.parent_index, b.parent_index)
