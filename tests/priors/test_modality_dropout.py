import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.priors import ModalityDropoutConfig, ModalityDropoutPrior, PriorStack, build_prior
from tests.priors.conftest import tiny_model


def test_dropped_samples_see_the_learned_null_vector_in_training_only(batch: PriorBatch) -> None:
    prior = ModalityDropoutPrior(ModalityDropoutConfig(p={"text": 0.999}))
    model = tiny_model(PriorStack([prior]))
    with torch.no_grad():
        prior.null["text"].fill_(0.5)
    seen = {}
    original = model.fusion.forward

    def spy(text, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen["text"] = text
        return original(text, *args, **kwargs)

    model.fusion.forward = spy  # type: ignore[method-assign]
    torch.manual_seed(0)
    model.train()(batch)
    assert torch.allclose(seen["text"], torch.full_like(seen["text"], 0.5))
    model.eval()(batch)
    assert torch.equal(seen["text"], batch.text_embedding)


def test_the_null_vector_learns(batch: PriorBatch) -> None:
    prior = ModalityDropoutPrior(ModalityDropoutConfig(p={"graph": 0.9}))
    model = tiny_model(PriorStack([prior])).train()
    torch.manual_seed(1)
    model(batch).losses["task"].backward()
    assert prior.null["graph"].grad is not None and prior.null["graph"].grad.abs().sum() > 0
    assert "text" not in prior.null


def test_checks_and_measures(batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([build_prior({"name": "modality_dropout", "p": {"graph": 0.3}})])).eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    assert 0.0 <= measured["modality_dropout/accuracy_without.graph"] <= 1.0
    (check,) = model.priors.priors[0].checks()
    assert (check.metric, check.target, check.rule) == ("reliance.graph", pytest.approx(0.7), "at_most")


def test_rates_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"expected rates in \[0, 0.999\]"):
        build_prior({"name": "modality_dropout", "p": {"graph": 1.0}})
    with pytest.raises(ConfigError, match="expected rates for text and/or graph"):
        build_prior({"name": "modality_dropout", "p": {"image": 0.5}})
