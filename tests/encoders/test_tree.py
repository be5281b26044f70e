import numpy as np
import scipy.sparse as sp
import torch

from priorkit.data import LabelSpace, TreeDataset, make_loader
from priorkit.data.synth import SynthConfig, generate
from priorkit.encoders.node_input import NodeInputConfig
from priorkit.encoders.tree import TreeEncoder, TreeEncoderConfig


def batch(sparse: bool = False):  # type: ignore[no-untyped-def]
    samples = generate(SynthConfig(n_train=6, n_val=2, n_test=2, seed=3))["train"]
    for s in samples:
        s.user = [f"user{i % 3}" for i in range(s.num_nodes)]
        if sparse:
            s.features = sp.csr_matrix(s.features)
    dataset = TreeDataset(samples)
    return next(iter(make_loader(dataset, LabelSpace.from_labels(dataset.labels), 6)))


def test_shapes_and_sites() -> None:
    b = batch()
    calls = []

    def record(site, ctx):  # type: ignore[no-untyped-def]
        calls.append(
            (site, ctx.layer, ctx.num_heads, None if ctx.message_index is None else ctx.message_index.shape)
        )
        assert torch.equal(ctx.depth, b.graph.depth) and ctx.num_graphs == 6

    encoder = TreeEncoder(4, config=TreeEncoderConfig(hidden=16, layers=2, heads=2))
    out = encoder(b.graph, bias_fn=record)
    n, e = b.graph.num_nodes, b.graph.edge_index.size(1)
    assert out.nodes.shape == (n, 16) and out.graph.shape == (6, 16) and out.readout_attention.shape == (n, 2)
    assert [a.shape for a in out.message_attention] == [(2 * e, 2), (2 * e, 2)]
    layer = [(site, 2, (2, 2 * e)) for site in ("message", "message_scale", "nodes")]
    expected = [(site, k, *rest) for k in (0, 1) for site, *rest in layer]
    assert calls == [*expected, ("readout", None, 2, None)]


def test_sparse_features_give_the_dense_result() -> None:
    torch.manual_seed(0)
    encoder = TreeEncoder(4, config=TreeEncoderConfig(hidden=16, heads=2, dropout=0.0)).eval()
    dense, sparse = encoder(batch().graph), encoder(batch(sparse=True).graph)
    assert torch.allclose(dense.graph, sparse.graph, atol=1e-5)


def test_every_node_input_reaches_the_output() -> None:
    b = batch()
    config = TreeEncoderConfig(hidden=16, heads=2, node_input=NodeInputConfig(user_buckets=8))
    encoder = TreeEncoder(4, text_dim=5, config=config)
    node_text = torch.randn(b.graph.num_nodes, 5)
    encoder(b.graph, node_text).graph.sum().backward()
    for name in (
        "input.features.weight",
        "input.text.weight",
        "input.time.weight",
        "input.depth.weight",
        "input.user.0.weight",
    ):
        grad = dict(encoder.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_vocabulary_users_get_their_own_rows() -> None:
    b = batch()
    b.graph.user_code = b.graph.user_code.clamp(max=1) * torch.arange(b.graph.num_nodes) % 4
    config = TreeEncoderConfig(hidden=16, heads=2, node_input=NodeInputConfig(users="vocab"))
    encoder = TreeEncoder(4, config=config, num_users=3)
    assert encoder.input.user[0].num_embeddings == 4
    assert torch.equal(encoder.input.user_slot(b.graph.user_code), b.graph.user_code)
    encoder(b.graph).graph.sum().backward()
    grad = encoder.input.user[0].weight.grad
    assert grad[0].abs().sum() == 0 and grad[1:].abs().sum(-1).gt(0).all()  # row 0 (unknown) stays zero


def test_readout_bias_moves_attention_to_the_root() -> None:
    b = batch()
    encoder = TreeEncoder(4, config=TreeEncoderConfig(hidden=16, heads=2)).eval()
    plain = encoder(b.graph).readout_attention.mean(-1)[b.graph.root_index].mean()
    biased = encoder(
        b.graph, bias_fn=lambda site, ctx: -3.0 * ctx.depth.float() if site == "readout" else None
    )
    assert biased.readout_attention.mean(-1)[b.graph.root_index].mean() > plain
    assert np.isfinite(biased.graph.detach().numpy()).all()


def test_heads_that_do_not_divide_the_width_are_refused_where_the_config_is_read() -> None:
    import pytest

    from priorkit.errors import ConfigError
    from priorkit.runs.config import RunConfig

    with pytest.raises(ConfigError, match=r"`model.tree`: heads: expected a divisor of hidden, 16 \(got 3\)"):
        RunConfig.from_dict({"model": {"tree": {"hidden": 16, "heads": 3}}})
    assert TreeEncoderConfig(hidden=16, heads=4).heads == 4
