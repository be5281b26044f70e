import torch
from torch_geometric.utils import scatter

from priorkit.encoders.tree_attention import MessageEdges, TreeAttentionConv

# one tree: 0 -> 1, 0 -> 2, 1 -> 3; one more: 4 -> 5
EDGES = torch.tensor([[0, 0, 1, 4], [1, 2, 3, 5]])


def layer() -> TreeAttentionConv:
    torch.manual_seed(0)
    return TreeAttentionConv(8, heads=2).eval()


def test_message_edges_are_down_then_up() -> None:
    edges = MessageEdges.from_tree_edges(EDGES)
    assert edges.index.tolist() == [[0, 0, 1, 4, 1, 2, 3, 5], [1, 2, 3, 5, 0, 0, 1, 4]]
    assert edges.direction.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_attention_sums_to_one_per_receiving_node_and_head() -> None:
    edges = MessageEdges.from_tree_edges(EDGES)
    out = layer()(torch.randn(6, 8), edges)
    sums = scatter(out.attention, edges.index[1], dim=0, dim_size=6, reduce="sum")
    assert out.x.shape == (6, 8) and out.attention.shape == (8, 2)
    assert torch.allclose(sums, torch.ones(6, 2))


def test_against_a_slow_reference() -> None:
    conv, x = layer(), torch.randn(6, 8)
    edges = MessageEdges.from_tree_edges(EDGES)
    out = conv(x, edges)
    h = conv.lin(x).reshape(6, 2, 4)
    expected = conv.bias.reshape(2, 4).repeat(6, 1, 1)
    for node in range(6):
        incoming = [k for k in range(8) if edges.index[1, k] == node]
        for head in range(2):
            logits = []
            for k in incoming:
                src, d = int(edges.index[0, k]), int(edges.direction[k])
                raw = h[src, head] @ conv.att_src[d, head] + h[node, head] @ conv.att_dst[d, head]
                logits.append(torch.nn.functional.leaky_relu(raw, 0.2))
            weights = torch.softmax(torch.stack(logits), 0)
            for w, k in zip(weights, incoming, strict=True):
                expected[node, head] += w * h[int(edges.index[0, k]), head]
    assert torch.allclose(out.x, expected.view(6, 8), atol=1e-5)


def test_zero_bias_changes_nothing_and_a_large_negative_bias_removes_a_message() -> None:
    conv, x = layer(), torch.randn(6, 8)
    edges = MessageEdges.from_tree_edges(EDGES)
    plain = conv(x, edges)
    assert torch.equal(conv(x, edges, torch.zeros(8)).x, plain.x)
    # node 0 receives up-messages from 1 (edge 4) and 2 (edge 5); silence the one from 2
    bias = torch.zeros(8)
    bias[5] = -1e4
    biased = conv(x, edges, bias)
    keep = torch.tensor([0, 1, 2, 3, 4, 6, 7])
    without = conv(x, MessageEdges(edges.index[:, keep], edges.direction[keep]))
    assert torch.allclose(biased.x, without.x, atol=1e-5)
    assert biased.attention[5].max() < 1e-6


def test_gradients_reach_every_parameter() -> None:
    conv = TreeAttentionConv(8, heads=2)
    (conv(torch.randn(6, 8), MessageEdges.from_tree_edges(EDGES)).x ** 2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in conv.parameters())
