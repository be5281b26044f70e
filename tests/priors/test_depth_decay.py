import itertools

import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.priors import DepthDecayConfig, DepthDecayPrior, PriorStack, build_prior
from tests.priors.conftest import tiny_model


def root_mass(batch: PriorBatch, **args) -> float:  # type: ignore[no-untyped-def]
    model = tiny_model(PriorStack([DepthDecayPrior(DepthDecayConfig(**args))])).eval()
    with torch.no_grad():
        out = model(batch)
    return float(out.readout_attention[batch.graph.root_index].mean())


@pytest.mark.parametrize("sites", [["readout"], ["readout", "message"]])
def test_root_mass_rises_monotonically_with_lambda(batch: PriorBatch, sites: list[str]) -> None:
    masses = [root_mass(batch, decay=d, sites=sites) for d in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in itertools.pairwise(masses)), masses
    assert masses[-1] > 0.9


def test_forms_of_the_curve() -> None:
    linear = DepthDecayPrior(DepthDecayConfig(decay=0.5, max_depth=4)).curve()
    assert torch.allclose(linear, torch.tensor([0.0, -0.5, -1.0, -1.5, -2.0]))
    exponential = DepthDecayPrior(DepthDecayConfig(decay=0.5, form="exponential", max_depth=3)).curve()
    assert torch.allclose(exponential, torch.tensor([0.0, -0.5, -1.5, -3.5]))
    learned = DepthDecayPrior(DepthDecayConfig(decay=0.5, form="learned", max_depth=4))
    assert torch.allclose(learned.curve(), linear.detach(), atol=1e-5)  # starts as the linear form


def test_the_monotonic_learned_curve_never_rises_whatever_its_parameters() -> None:
    prior = DepthDecayPrior(DepthDecayConfig(form="learned", max_depth=6))
    with torch.no_grad():
        prior.steps.copy_(torch.randn(6) * 5)
    assert (prior.curve().diff() <= 0).all()
    free = DepthDecayPrior(DepthDecayConfig(form="learned", monotonic=False, max_depth=6))
    with torch.no_grad():
        free.steps.copy_(torch.tensor([-1.0, 2.0, -3.0, 4.0, -5.0, 6.0]))
    assert (free.curve().diff() > 0).any()


def test_depths_beyond_the_maximum_share_its_bias(batch: PriorBatch) -> None:
    prior = DepthDecayPrior(DepthDecayConfig(decay=1.0, max_depth=2, sites=["readout"]))
    model = tiny_model(PriorStack([prior]))
    ctx = model.tree.context(batch.graph, "readout")
    bias = prior.bias("readout", ctx)
    assert torch.equal(bias, -batch.graph.depth.clamp(max=2).float())  # type: ignore[arg-type]
    assert prior.bias("message", ctx) is None and prior.bias("fusion", ctx) is None


def test_message_bias_follows_the_sender_depth(batch: PriorBatch) -> None:
    prior = DepthDecayPrior(DepthDecayConfig(decay=1.0, sites=["message"]))
    model = tiny_model(PriorStack([prior]))
    seen = {}
    original = model.priors.bias

    def spy(site, ctx):  # type: ignore[no-untyped-def]
        value = original(site, ctx)
        if site == "message":
            seen["bias"], seen["sender"] = value, ctx.message_index[0]
        return value

    model.priors.bias = spy  # type: ignore[method-assign]
    model(batch)
    assert torch.equal(seen["bias"], -batch.graph.depth[seen["sender"]].float())


def test_learnable_lambda_is_trained_and_stays_non_negative(batch: PriorBatch) -> None:
    prior = DepthDecayPrior(DepthDecayConfig(decay=1.0, learnable=True))
    model = tiny_model(PriorStack([prior]))
    model(batch).losses["task"].backward()
    assert prior.raw_decay.grad is not None and prior.raw_decay.grad != 0
    with torch.no_grad():
        prior.raw_decay.fill_(-50.0)
    assert float(prior.decay.detach()) >= 0.0


def test_measures_root_mass_and_mass_per_depth(batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([build_prior({"name": "depth_decay", "decay": 3.0})])).eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    masses = [measured[f"depth_decay/mass_depth_{k}"] for k in ("0", "1", "2", "3+")]
    assert sum(masses) == pytest.approx(1.0, abs=1e-5)
    assert measured["depth_decay/root_mass"] == pytest.approx(masses[0])
    assert model.priors.priors[0].checks()[0].passes(measured["depth_decay/root_mass"])


def test_bad_values_are_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"`form`: input should be 'linear', 'exponential' or 'learned'"):
        build_prior({"name": "depth_decay", "form": "quadratic"})
    with pytest.raises(ConfigError, match=r"`sites.0`: input should be 'readout' or 'message'"):
        build_prior({"name": "depth_decay", "sites": ["fusion"]})
