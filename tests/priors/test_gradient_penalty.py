import pytest
import torch
import torch.nn.functional as F

from priorkit.data.batch import PriorBatch
from priorkit.priors import GradientPenaltyConfig, GradientPenaltyPrior, PriorStack
from tests.priors.conftest import tiny_model


@pytest.mark.parametrize("modality", ["graph", "text"])
def test_penalty_is_the_squared_input_gradient_per_sample(batch: PriorBatch, modality: str) -> None:
    prior = GradientPenaltyPrior(GradientPenaltyConfig(modality=modality))
    out = tiny_model(PriorStack([prior])).train()(batch)
    inputs = out.graph if modality == "graph" else out.text
    (grad,) = torch.autograd.grad(
        F.cross_entropy(out.logits, batch.y, reduction="sum"), inputs, retain_graph=True
    )
    assert float(out.losses["gradient_penalty/gradient"]) == pytest.approx(
        0.1 * float(grad.pow(2).sum(-1).mean())
    )


def test_deep_nodes_mode_penalises_only_nodes_below_the_depth(batch: PriorBatch) -> None:
    prior = GradientPenaltyPrior(GradientPenaltyConfig(modality="nodes", depth=1, weight=1.0))
    out = tiny_model(PriorStack([prior])).train()(batch)
    (grad,) = torch.autograd.grad(
        F.cross_entropy(out.logits, batch.y, reduction="sum"), out.node_inputs, retain_graph=True
    )
    deep = batch.graph.depth > 1
    assert float(out.losses["gradient_penalty/gradient"]) == pytest.approx(
        float(grad[deep].pow(2).sum(-1).mean())
    )


def test_training_with_the_penalty_makes_the_model_less_sensitive_to_the_graph(batch: PriorBatch) -> None:
    def sensitivity(weight: float) -> float:
        prior = GradientPenaltyPrior(GradientPenaltyConfig(modality="graph", weight=weight))
        model = tiny_model(PriorStack([prior])).train()
        optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
        for _ in range(30):
            optimiser.zero_grad()
            sum(model(batch).losses.values()).backward()  # type: ignore[union-attr]
            optimiser.step()
        model.eval()
        with torch.no_grad():
            out = model(batch)
            swapped = out.remix("graph", torch.roll(torch.arange(batch.num_graphs), 1))  # type: ignore[misc]
        return float((out.logits.softmax(-1) - swapped.softmax(-1)).abs().sum(-1).mean())

    # how much the prediction moves when each sample gets another sample's graph
    assert sensitivity(10.0) < 0.5 * sensitivity(0.0)
