import torch
from torch_geometric.utils import scatter

from priorkit.encoders.readout import AttentionReadout, mean_over_heads

BATCH = torch.tensor([0, 0, 0, 1, 1])


def test_attention_sums_to_one_per_graph() -> None:
    torch.manual_seed(0)
    out = AttentionReadout(8, heads=2)(torch.randn(5, 8), BATCH, 2)
    assert out.graph.shape == (2, 8) and out.attention.shape == (5, 2)
    assert torch.allclose(scatter(out.attention, BATCH, dim=0, reduce="sum"), torch.ones(2, 2))
    assert torch.allclose(scatter(mean_over_heads(out.attention), BATCH, reduce="sum"), torch.ones(2))


def test_zero_bias_and_a_removed_node() -> None:
    torch.manual_seed(0)
    readout, x = AttentionReadout(8, heads=2), torch.randn(5, 8)
    plain = readout(x, BATCH, 2)
    assert torch.equal(readout(x, BATCH, 2, torch.zeros(5)).graph, plain.graph)
    bias = torch.tensor([0.0, -1e4, 0.0, 0.0, 0.0])
    biased = readout(x, BATCH, 2, bias)
    keep = torch.tensor([0, 2, 3, 4])
    without = readout(x[keep], BATCH[keep], 2)
    assert torch.allclose(biased.graph, without.graph, atol=1e-5)


def test_a_per_head_bias() -> None:
    torch.manual_seed(0)
    readout, x = AttentionReadout(8, heads=2), torch.randn(5, 8)
    bias = torch.zeros(5, 2)
    bias[0, 0] = 1e4  # head 0 of graph 0 looks only at node 0
    out = readout(x, BATCH, 2, bias)
    assert out.attention[0, 0] > 0.999 and out.attention[0, 1] < 0.999
