import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.priors import ModalityGateConfig, ModalityGatePrior, PriorStack, build_prior
from tests.priors.conftest import tiny_model


def test_hard_mode_fixes_the_fusion_weights(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.7}, mode="hard"))
    out = tiny_model(PriorStack([prior]))(batch)
    assert torch.allclose(out.modality_weights, torch.tensor([0.7, 0.3]).expand(batch.num_graphs, 2))
    assert "gate" not in {k.split("/")[1] for k in out.losses if k.startswith("modality_gate/")}


def test_soft_mode_pulls_the_gate_toward_the_target(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.9, "graph": 0.1}, reliance_weight=0.0))
    model = tiny_model(PriorStack([prior]))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    start = float(model(batch).modality_weights[:, 0].mean().detach())
    for _ in range(30):
        optimiser.zero_grad()
        model(batch).losses["modality_gate/gate"].backward()
        optimiser.step()
    end = float(model(batch).modality_weights[:, 0].mean().detach())
    assert abs(end - 0.9) < 0.05 < abs(start - 0.9)


def test_a_floor_only_pulls_shares_below_it(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.1}, floor=True, reliance_weight=0.0))
    out = tiny_model(PriorStack([prior]))(batch)
    assert float(out.losses["modality_gate/gate"]) == 0.0  # the gate starts near 0.5 > 0.1
    assert prior.checks()[0].rule == "at_least" and [c.metric for c in prior.checks()] == [
        "gate.text",
        "reliance.text",
    ]


def test_the_reliance_loss_sees_which_modality_decides(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.8}, reliance_temperature=1.0))
    model = tiny_model(PriorStack([prior]))
    out = model(batch)
    # a graph-only decision: swapping the graph moves the true-class probability, swapping the text does not
    out.remix = lambda modality, perm: out.logits[perm] if modality == "graph" else out.logits  # type: ignore[assignment]
    out.logits = torch.where(batch.y[:, None] == torch.arange(2), 30.0, -30.0)  # type: ignore[index]
    shares = prior.reliance_shares(out, batch)
    assert shares is not None and shares.tolist() == pytest.approx([0.0, 1.0])
    # one modality named is a minimum: only the text's shortfall counts
    assert float(prior.loss(out, batch)["reliance"]) == pytest.approx(0.8**2)
    exact = ModalityGatePrior(ModalityGateConfig(target={"text": 0.8}, floor=False, reliance_temperature=1.0))
    assert float(exact.loss(out, batch)["reliance"]) == pytest.approx(0.8**2 + 0.8**2)  # the split


def test_measures_the_gate_and_checks_gate_and_reliance(batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([build_prior({"name": "modality_gate", "mode": "hard"})])).eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    assert measured["modality_gate/gate.text"] == pytest.approx(0.8)
    assert [(c.metric, c.target, c.rule, c.tolerance) for c in model.priors.priors[0].checks()] == [
        ("gate.text", 0.8, "at_least", 0.1),  # the default: the text's share at least 0.8
        ("reliance.text", 0.8, "at_least", 0.1),
    ]


@pytest.mark.parametrize(
    ("arguments", "rules"),
    [
        ({}, [("gate.text", "at_least"), ("reliance.text", "at_least")]),
        ({"target": {"graph": 0.3}}, [("gate.graph", "at_least"), ("reliance.graph", "at_least")]),
        ({"target": {"text": 0.8, "graph": 0.2}}, [("gate.text", "near"), ("reliance.text", "near")]),
        ({"target": {"text": 0.8}, "floor": False}, [("gate.text", "near"), ("reliance.text", "near")]),
        (
            {"target": {"text": 0.6, "graph": 0.3}, "floor": True},
            [
                ("gate.text", "at_least"),
                ("gate.graph", "at_least"),
                ("reliance.text", "at_least"),
                ("reliance.graph", "at_least"),
            ],
        ),
    ],
)
def test_one_named_share_is_a_minimum_and_two_are_the_split(
    arguments: dict, rules: list[tuple[str, str]]
) -> None:
    prior = build_prior({"name": "modality_gate", **arguments})
    assert [(c.metric, c.rule) for c in prior.checks()] == rules
    free = [m for m in ("text", "graph") if m not in prior.config.target]
    assert prior.constrained.tolist() == [
        m not in free or not prior.config.is_floor() for m in ("text", "graph")
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"txt": 0.8}, "expected shares for text and/or graph"),
        ({"text": 0.8, "graph": 0.3}, "expected shares summing to at most 1"),
        ({"text": 0.6, "graph": 0.3}, "expected shares summing to 1 .*set floor: true"),
        ({"text": 1.5}, r"expected shares in \[0, 1\]"),
    ],
)
def test_bad_targets_are_refused(target: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_prior({"name": "modality_gate", "target": target})
