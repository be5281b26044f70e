import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.functional.distributions import segment_normalise
from priorkit.priors import PriorStack, SupervisedAttentionConfig, SupervisedAttentionPrior
from priorkit.priors.base import ModelDims
from tests.priors.conftest import tiny_model


def prior(**args) -> SupervisedAttentionPrior:  # type: ignore[no-untyped-def]
    return SupervisedAttentionPrior(SupervisedAttentionConfig(**args))


def depth_target(batch: PriorBatch, decay: float) -> torch.Tensor:
    """Mass exp(-decay * d) per depth level, shared by that level's nodes, normalised per tree."""
    g = batch.graph
    weights = torch.empty(g.num_nodes)
    for node in range(g.num_nodes):
        same_level = (g.batch == g.batch[node]) & (g.depth == g.depth[node])
        weights[node] = torch.exp(-decay * g.depth[node].float()) / same_level.sum()
    return segment_normalise(weights, g.batch, batch.num_graphs)


def test_attention_equal_to_the_target_costs_nothing(batch: PriorBatch) -> None:
    p = prior(target="depth", decay=1.5)
    out = tiny_model(PriorStack([p]))(batch)
    target = depth_target(batch, 1.5)
    out.readout_attention_heads = target[:, None].repeat(1, 2)
    assert float(p.loss(out, batch)["kl"]) == pytest.approx(0.0, abs=1e-6)
    out.readout_attention_heads = torch.rand(batch.graph.num_nodes, 2)
    out.readout_attention_heads = segment_normalise(
        out.readout_attention_heads, batch.graph.batch, batch.num_graphs
    )
    assert float(p.loss(out, batch)["kl"]) > 0.01


def test_the_loss_does_not_grow_with_the_number_of_heads(batch: PriorBatch) -> None:
    p = prior(target="depth")
    out = tiny_model(PriorStack([p]))(batch)
    attention = segment_normalise(torch.rand(batch.graph.num_nodes, 2), batch.graph.batch, batch.num_graphs)
    out.readout_attention_heads = attention
    two = float(p.loss(out, batch)["kl"])
    out.readout_attention_heads = torch.cat([attention, attention], dim=1)  # the heads doubled
    assert float(p.loss(out, batch)["kl"]) == pytest.approx(two, rel=1e-6)
    four_heads = tiny_model(PriorStack([prior(target="depth")]), heads=4)(batch)
    assert four_heads.readout_attention_heads.shape[1] == 4 and "supervised_attention/kl" in four_heads.losses


def test_training_on_the_loss_moves_attention_to_the_important_nodes(batch: PriorBatch) -> None:
    p = prior(target="importance", weight=1.0)
    model = tiny_model(PriorStack([p]))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    important = batch.graph.importance > 0
    before = float(model(batch).readout_attention[important].sum().detach())
    for _ in range(40):
        optimiser.zero_grad()
        model(batch).losses["supervised_attention/kl"].backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        out = model(batch)
        measured = model.priors.measure(out, batch)
    assert float(out.readout_attention[important].sum()) > before + 1.0
    assert (
        measured["supervised_attention/top_k_overlap"] == 1.0 and measured["supervised_attention/kl"] < 0.25
    )


def test_message_site_has_a_finite_loss_on_every_layer(batch: PriorBatch) -> None:
    out = tiny_model(PriorStack([prior(site="message", weight=1.0)]))(batch)
    loss = out.losses["supervised_attention/kl"]
    assert torch.isfinite(loss) and loss > 0
    loss.backward()


def test_a_user_function_gives_the_target(batch: PriorBatch) -> None:
    leaves_first = prior(weight=1.0)
    leaves_first.target_fn = lambda b: b.graph.depth.float()  # the reverse of the default
    scores = leaves_first.node_scores(batch)
    assert torch.equal(scores, batch.graph.depth.float())
    broken = SupervisedAttentionPrior(target_fn=lambda b: -torch.ones(3))
    with pytest.raises(ConfigError, match=r"target_fn: expected non-negative scores of shape"):
        broken.node_scores(batch)


def test_trees_without_importance_are_skipped(batch: PriorBatch) -> None:
    batch.graph.importance.zero_()
    out = tiny_model(PriorStack([prior(target="importance")]))(batch)
    assert float(out.losses["supervised_attention/kl"]) == 0.0


def test_the_roots_target_share_does_not_shrink_as_trees_widen() -> None:
    import numpy as np

    from priorkit.data.batch import collate
    from priorkit.data.sample import TreeSample
    from priorkit.data.tensors import sample_to_data

    def star(children: int):  # type: ignore[no-untyped-def]
        ids = [f"u{i}" for i in range(children + 1)]
        sample = TreeSample(f"s{children}", "t", "x", ids, np.zeros(children + 1, dtype=np.int64))
        return sample_to_data(sample)

    p = prior(target="depth", decay=1.0)
    batch = collate([star(5), star(50)])
    target = segment_normalise(p.node_scores(batch), batch.graph.batch, 2)
    root_share = target[batch.graph.root_index]
    expected = 1.0 / (1.0 + torch.exp(torch.tensor(-1.0)))
    assert torch.allclose(root_share, expected.expand(2))


def test_an_importance_target_on_data_that_mark_no_node_is_refused() -> None:
    prior = SupervisedAttentionPrior(SupervisedAttentionConfig(target="importance"))
    with pytest.raises(
        ConfigError, match=r"target importance: expected training samples that mark some node"
    ):
        prior.bind(ModelDims(text=4, graph=4, heads=2, classes=2, important=0))
    for known in (-1, 3):  # not known (a saved model), or some: bound
        prior.bind(ModelDims(text=4, graph=4, heads=2, classes=2, important=known))
    depth = SupervisedAttentionPrior(SupervisedAttentionConfig(target="depth"))
    depth.bind(ModelDims(text=4, graph=4, heads=2, classes=2, important=0))  # depth needs none
