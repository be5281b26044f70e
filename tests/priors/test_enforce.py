"""Enforcement: violations, the multiplier's dual step, and the stack's Lagrangian terms."""

from __future__ import annotations

import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.priors import PriorStack
from priorkit.priors.check import MARGIN, Check
from priorkit.priors.depth_decay import DepthDecayConfig, DepthDecayPrior
from priorkit.priors.enforce import MAX_MULTIPLIER, MIN_MULTIPLIER, step_multiplier
from priorkit.priors.supervised_attention import SupervisedAttentionConfig, SupervisedAttentionPrior
from tests.priors.conftest import tiny_model


@pytest.mark.parametrize(
    ("check", "value", "broken"),
    [
        (Check("m", 0.5, "at_least"), 0.4, True),
        (Check("m", 0.5, "at_least"), 0.5, True),  # on the boundary: inside the margin
        (Check("m", 0.5, "at_least"), 0.6, False),
        (Check("m", 0.25, "at_most"), 0.3, True),
        (Check("m", 0.25, "at_most"), 0.2, False),
        (Check("m", 0.8, "near", 0.1), 0.95, True),
        (Check("m", 0.8, "near", 0.1), 0.77, False),
        (Check("m", 0.8, "near", 0.1), 0.89, True),  # passes, but outside three quarters of the tolerance
    ],
)
def test_violation_is_positive_exactly_when_the_rule_is_broken_or_at_its_margin(
    check: Check, value: float, broken: bool
) -> None:
    assert (float(check.violation(torch.tensor(value))) > 0) is broken


def test_violation_aims_a_margin_inside_the_rule() -> None:
    check = Check("m", 0.5, "at_least")
    assert float(check.violation(torch.tensor(0.5 * (1 + MARGIN)))) == pytest.approx(0.0, abs=1e-7)


def test_a_multiplier_grows_while_broken_falls_while_kept_and_stays_in_bounds() -> None:
    one = torch.tensor(1.0)
    assert float(step_multiplier(one, torch.tensor(0.5), 0.1)) == pytest.approx(
        float(torch.exp(torch.tensor(0.05)))
    )
    assert float(step_multiplier(one, torch.tensor(-0.5), 0.1)) < 1.0
    assert float(step_multiplier(one, torch.tensor(50.0), 0.1)) == pytest.approx(
        float(torch.exp(torch.tensor(0.1)))
    )
    assert float(step_multiplier(torch.tensor(MAX_MULTIPLIER), torch.tensor(1.0), 1.0)) == MAX_MULTIPLIER
    assert float(step_multiplier(torch.tensor(MIN_MULTIPLIER), torch.tensor(-1.0), 1.0)) == pytest.approx(
        MIN_MULTIPLIER
    )


def supervised(**args) -> SupervisedAttentionPrior:  # type: ignore[no-untyped-def]
    return SupervisedAttentionPrior(SupervisedAttentionConfig(**args))


def test_training_adds_lagrangian_terms_and_moves_multipliers_evaluation_does_not(batch: PriorBatch) -> None:
    prior = supervised(target="depth", max_kl=0.0)  # a KL of 0 is never reached: always broken
    model = tiny_model(PriorStack([prior]))
    model.eval()
    out = model(batch)
    assert "supervised_attention/enforce.kl" in out.losses
    assert set(out.violations) == {
        "supervised_attention/kl",
        "supervised_attention/reliance_nodes.shares.leaves",
    }
    assert torch.equal(prior.multipliers, torch.ones(2))  # evaluation never moves them
    model.train()
    model(batch)
    assert float(prior.multiplier("kl")) > 1.0
    term = model(batch).losses["supervised_attention/enforce.kl"]
    term.backward()  # differentiable, and the multiplier's update after the term did not break autograd
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.tree.readout.parameters())


def test_a_rule_that_holds_loosens_its_multiplier_instead_of_firing(batch: PriorBatch) -> None:
    prior = supervised(target="depth", max_kl=100.0, max_leaf_share=1.0)  # both rules hold with room
    model = tiny_model(PriorStack([prior]))
    model.train()
    for _ in range(5):
        model(batch)
    assert bool((prior.multipliers < 1.0).all())
    assert float(prior.strength()) == 1.0  # the strength never falls below what the user stated


def test_enforce_false_is_the_prior_as_stated(batch: PriorBatch) -> None:
    loose = DepthDecayPrior(DepthDecayConfig(enforce=False, min_root_mass=1.0))
    model = tiny_model(PriorStack([loose]))
    model.train()
    out = model(batch)
    assert not out.violations and not any("enforce" in k for k in out.losses)
    assert torch.equal(loose.multipliers, torch.ones(2))
    ctx_scale = [loose.bias("message_scale", ctx) for ctx in _message_contexts(model, batch)]
    assert ctx_scale == [None, None]


def test_depth_decay_strength_scales_its_biases_and_cuts_messages_toward_the_root(batch: PriorBatch) -> None:
    prior = DepthDecayPrior(DepthDecayConfig(decay=1.0))
    model = tiny_model(PriorStack([prior]))
    ctx = _message_contexts(model, batch)[0]
    up = ctx.message_direction == 1
    scale = prior.bias("message_scale", ctx)
    assert torch.allclose(scale[up], torch.tensor(-1.0)) and bool((scale[~up] == 0).all())
    prior.multipliers = torch.tensor([50.0, 2.0])
    assert torch.allclose(prior.bias("message_scale", ctx)[up], torch.tensor(-50.0))
    readout = prior.bias("readout", ctx.at("readout"))
    assert torch.allclose(readout, -50.0 * batch.graph.depth.float())


def _message_contexts(model, batch):  # type: ignore[no-untyped-def]
    from priorkit.encoders.tree_attention import MessageEdges

    edges = MessageEdges.from_tree_edges(batch.graph.edge_index)
    encoder = model.tree
    return [
        encoder.context(
            batch.graph,
            "message_scale",
            message_index=edges.index,
            message_direction=edges.direction,
            layer=layer,
        )
        for layer in range(2)
    ]


def test_the_modality_gate_enforces_its_gate_and_only_checks_its_reliance(batch: PriorBatch) -> None:
    from priorkit.priors.modality_gate import ModalityGateConfig, ModalityGatePrior

    gate = ModalityGatePrior(ModalityGateConfig(mode="soft"))
    model = tiny_model(PriorStack([gate]))
    model.train()
    out = model(batch)
    assert set(out.violations) == {"modality_gate/gate.text"}
    assert set(model.priors.multipliers()) == {"modality_gate/gate.text"}
    # the default, a bound, holds its rule by construction: nothing to enforce
    bound = tiny_model(PriorStack([ModalityGatePrior(ModalityGateConfig())])).train()
    assert set(bound(batch).violations) == set() and set(bound.priors.multipliers()) == set()


def test_counterfactual_consistency_weighs_its_loss_only_while_the_rule_needs_it(batch: PriorBatch) -> None:
    from priorkit.priors.counterfactual import CounterfactualConfig, CounterfactualPrior

    prior = CounterfactualPrior(CounterfactualConfig(kind="leaf_perturb"))
    assert prior.consistency_weight() == 0.0  # multiplier 1: today's behaviour
    prior.multipliers = torch.tensor([3.0])
    assert prior.consistency_weight() == 2.0
    loose = CounterfactualPrior(
        CounterfactualConfig(kind="leaf_perturb", enforce=False, consistency_weight=0.5)
    )
    loose.multipliers = torch.tensor([3.0])
    assert loose.consistency_weight() == 0.5
