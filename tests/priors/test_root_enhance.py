import torch

from priorkit.data.batch import PriorBatch
from priorkit.priors import PriorStack, RootEnhancePrior
from tests.priors.conftest import tiny_model


def test_starts_as_a_no_op(batch: PriorBatch) -> None:
    plain, enhanced = tiny_model().eval(), tiny_model(PriorStack([RootEnhancePrior()])).eval()
    enhanced.load_state_dict(plain.state_dict(), strict=False)
    with torch.no_grad():
        assert torch.allclose(plain(batch).logits, enhanced(batch).logits)


def test_adds_the_projected_root_state_to_every_node_of_its_tree(batch: PriorBatch) -> None:
    prior = RootEnhancePrior()
    model = tiny_model(PriorStack([prior]))
    with torch.no_grad():
        prior.projection.weight.copy_(torch.eye(16))
    ctx = model.tree.context(batch.graph, "nodes")
    states = torch.randn(batch.graph.num_nodes, 16)
    bias = prior.bias("nodes", ctx.at("nodes", states))
    assert torch.equal(bias, states[batch.graph.root_index][batch.graph.batch])  # type: ignore[index]
    assert prior.bias("readout", ctx) is None


def test_the_root_term_is_measured(batch: PriorBatch) -> None:
    prior = RootEnhancePrior()
    model = tiny_model(PriorStack([prior])).eval()
    with torch.no_grad():
        assert model.priors.measure(model(batch), batch) == {"root_enhance/root_term_ratio": 0.0}
        prior.projection.weight.copy_(torch.eye(16))
        assert model.priors.measure(model(batch), batch)["root_enhance/root_term_ratio"] > 0.5
