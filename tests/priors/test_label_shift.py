"""``label_shift``: calibration on validation data, the class mix of the scored data estimated or
stated, logits moved to reach it only once adapted, the rule checked, the state in checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import priorkit as pk
from priorkit.cli import main
from priorkit.errors import ConfigError
from priorkit.priors import LabelShiftPrior, PriorStack, build_prior
from priorkit.priors.base import ModelDims
from tests.priors.conftest import tiny_graphs, tiny_model, tiny_run, tiny_run_data

LABELS = ("negative", "positive")


def bound(**arguments) -> LabelShiftPrior:  # type: ignore[no-untyped-def]
    prior = build_prior({"name": "label_shift", **arguments})
    prior.bind(ModelDims(8, 16, 2, 2, LABELS))
    return prior  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"negative": 0.5, "positive": 0.6}, r"`target`: expected shares summing to 1 \(got 1\.1000\)"),
        ({"negative": -0.1, "positive": 1.1}, r"`target`: expected a share >= 0 for each label"),
    ],
)
def test_a_stated_mix_must_be_shares_summing_to_one(target: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        build_prior({"name": "label_shift", "target": target})


def test_a_stated_mix_must_name_every_label_of_the_model_and_no_other() -> None:
    with pytest.raises(
        ConfigError, match=r"expected a share for each label of the model, negative, positive "
    ):
        bound(target={"negative": 0.5, "neutral": 0.5})
    with pytest.raises(ConfigError, match=r"\(got unknown neutral; missing positive\)"):
        bound(target={"negative": 0.5, "neutral": 0.5})


def test_too_few_samples_to_estimate_a_mix_are_refused_by_count() -> None:
    prior = bound(min_samples=50)
    with pytest.raises(
        ConfigError, match=r"expected at least 50 samples to estimate their class mix \(got 10\)"
    ):
        prior.adapt(torch.randn(10, 2))
    bound(target={"negative": 0.9, "positive": 0.1}, min_samples=50).adapt(torch.randn(10, 2))  # stated: fine


def test_calibration_keeps_the_validation_mix_and_a_fitted_temperature() -> None:
    prior = bound()
    generator = torch.Generator().manual_seed(0)
    y = (torch.rand(400, generator=generator) < 0.25).long()
    flipped = torch.where(torch.rand(400, generator=generator) < 0.2, 1 - y, y)  # the network is wrong on 20%
    logits = 6.0 * torch.stack([1 - 2 * flipped.float(), 2 * flipped.float() - 1], 1)  # and sure of itself
    prior.calibrate(logits, y)
    assert float(prior.temperature) > 2.0  # overconfident logits are tempered
    # the source: the mean calibrated posterior, the validation labels' mix up to the bias penalty
    assert prior.source_mix == pytest.approx(torch.bincount(y, minlength=2).float() / 400, abs=0.01)
    assert float(prior.confusion.sum()) == pytest.approx(1.0)


def test_logits_move_only_once_adapted_and_reach_the_target_mix() -> None:
    stated = {"negative": 0.8, "positive": 0.2}
    model = tiny_model(PriorStack([build_prior({"name": "label_shift", "target": stated})])).eval()
    batch = pk.collate(tiny_graphs(n=16))
    raw = model(batch).logits.detach()
    model.priors.adapt(raw)
    adjusted = model(batch).logits.detach()
    assert torch.softmax(adjusted, -1).mean(0) == pytest.approx(torch.tensor([0.8, 0.2]), abs=1e-3)
    measured = model.priors.measure(model(batch), batch)
    summary = model.priors.summarise(measured)
    assert summary["label_shift/mix_gap"] < 1e-3 and "label_shift/mix_error" in summary
    model.train()  # training forwards never see the correction, adapted or not
    torch.manual_seed(1)
    adapted_in_training = model(batch).logits.detach()
    model.priors.adapt(None)
    torch.manual_seed(1)
    assert torch.equal(adapted_in_training, model(batch).logits.detach())
    model.eval()
    assert torch.allclose(model(batch).logits.detach(), raw)  # forgotten: the network's own logits


def shifted(small_data: Path, tmp_path: Path, negative_share: float) -> Path:
    """``test_ood`` resampled so that ``negative_share`` of it is negative (about 60 samples)."""
    samples = list(pk.read_jsonl(small_data / "test_ood.jsonl"))
    negative = [s for s in samples if s.label == "negative"]
    positive = [s for s in samples if s.label == "positive"]
    k = round(len(negative) / negative_share) - len(negative)
    picked = negative + positive[:k]
    path = tmp_path / "shifted.jsonl"
    pk.write_jsonl(picked, path)
    return path


def mean_negative(predictions: list[pk.SamplePrediction]) -> float:
    return sum(p.probabilities["negative"] for p in predictions) / len(predictions)


def test_a_run_with_label_shift_estimates_the_mix_it_scores_and_keeps_its_rule(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    config = tiny_run(str(tiny_model_dir), [{"name": "label_shift", "min_samples": 5}], 3, tmp_path / "cache")
    data = tiny_run_data(small_data)
    trained = pk.fit(config, data=data, out=tmp_path / "run")
    prior = trained.model.priors.priors[0]
    assert float(prior.temperature) != 1.0  # calibrated on the validation data, kept in the checkpoint
    test = shifted(small_data, tmp_path, negative_share=0.85)
    report = pk.evaluate(trained, test)
    (entry,) = report.compliance
    assert (entry["metric"], entry["pass"]) == ("mix_gap", True)
    assert report.priors["label_shift/true_mix.negative"] == pytest.approx(0.85, abs=0.02)
    assert report.priors["label_shift/mix_error"] == pytest.approx(
        abs(report.priors["label_shift/target_mix.negative"] - report.priors["label_shift/true_mix.negative"])
    )
    # predictions adapt to the samples they are given, through every entry point alike
    estimated = report.priors["label_shift/target_mix.negative"]
    assert mean_negative(pk.predict(trained, test)) == pytest.approx(estimated, abs=0.01)
    out = pk.predict_file(trained, test, tmp_path / "p.jsonl", progress=False).out
    written = [pk.SamplePrediction(**json.loads(line)) for line in out.read_text().splitlines()]
    assert mean_negative(written) == pytest.approx(estimated, abs=0.01)
    assert mean_negative(pk.predict(pk.load(tmp_path / "run"), test)) == pytest.approx(estimated, abs=0.01)
    # the network without the prior's correction: nothing adapted outside a scoring call
    assert prior.offsets is None
    # the command line, adapted to a window of the file: the first 10 samples set the mix for all
    first = list(pk.read_jsonl(test))[:10]
    windowed = tmp_path / "w.jsonl"
    assert (
        main(
            [
                "predict",
                str(tmp_path / "run"),
                "--data",
                str(test),
                "--out",
                str(windowed),
                "--adapt-window",
                "10",
                "--quiet",
            ]
        )
        == 0
    )
    head = [json.loads(line) for line in windowed.read_text().splitlines()[:10]]
    expected = [p.probabilities["negative"] for p in pk.predict(trained, first)]
    assert [p["probabilities"]["negative"] for p in head] == pytest.approx(expected, abs=1e-6)
    with pytest.raises(
        ConfigError, match=r"expected at least 5 samples to estimate their class mix \(got 3\)"
    ):
        pk.predict(trained, first[:3])


def test_calibrate_reads_its_first_yes_or_no_form() -> None:
    assert build_prior({"name": "label_shift", "calibrate": True}).config.calibrate == "bcts"
    assert build_prior({"name": "label_shift", "calibrate": False}).config.calibrate == "none"
    with pytest.raises(ConfigError, match=r"`calibrate`: input should be 'bcts', 'temperature' or 'none'"):
        build_prior({"name": "label_shift", "calibrate": "platt"})


def test_a_class_the_validation_data_lack_keeps_a_finite_bias() -> None:
    prior = bound(calibrate="bcts")
    y = torch.zeros(200, dtype=torch.long)  # only the first class in validation
    prior.calibrate(torch.randn(200, 2, generator=torch.Generator().manual_seed(0)), y)
    assert float(prior.class_bias.abs().max()) < 10.0  # penalised: the other class stays reachable
    temperature_only = bound(calibrate="temperature")
    temperature_only.train_mix.copy_(torch.tensor([0.3, 0.7]))
    temperature_only.calibrate(torch.randn(200, 2), y)
    assert torch.equal(temperature_only.class_bias, torch.zeros(2))
    assert temperature_only.source_mix == pytest.approx(torch.tensor([0.3, 0.7]))  # the training mix


def test_shrink_keeps_a_share_of_the_source_mix_in_the_estimate() -> None:
    logits = torch.tensor([[3.0, -3.0]] * 30)  # every sample looks negative
    estimates = {}
    for shrink in (0.0, 0.5, 1.0):
        prior = bound(shrink=shrink, calibrate="none")
        prior.source_mix.copy_(torch.tensor([0.4, 0.6]))
        prior.adapt(logits)
        estimates[shrink] = prior.target_mix
    assert float(estimates[0.0][0]) > 0.95
    assert estimates[1.0] == pytest.approx(torch.tensor([0.4, 0.6]))
    assert estimates[0.5] == pytest.approx((estimates[0.0] + estimates[1.0]) / 2, abs=1e-6)


def test_with_a_significance_an_unmoved_mix_leaves_the_calibrated_posteriors_as_they_are() -> None:
    generator = torch.Generator().manual_seed(0)
    signs = torch.where(torch.rand(400, generator=generator) < 0.5, 1.0, -1.0)
    even = torch.stack([signs, -signs], 1) + 0.3 * torch.randn(400, 2, generator=generator)
    lopsided = torch.cat([even[signs > 0], even[signs > 0][:40], even[signs < 0][:20]])  # ~80% negative
    for logits, moved in ((even, False), (lopsided, True)):
        prior = bound(calibrate="none", significance=0.01)
        prior.source_mix.copy_(torch.tensor([0.5, 0.5]))
        prior.adapt(logits)
        assert torch.equal(prior.offsets, torch.zeros(2)) is not moved  # type: ignore[arg-type]
        assert bool(prior.offsets.abs().max() > 0.1) is moved  # type: ignore[union-attr]
        predicted = torch.softmax(logits + prior.offsets, -1).mean(0)  # type: ignore[operator]
        assert predicted == pytest.approx(prior.target_mix, abs=1e-3)  # the rule holds either way
    shrunk = bound(calibrate="none", significance=0.01, shrink=1.0)  # the test is made at the EM mix
    shrunk.source_mix.copy_(torch.tensor([0.5, 0.5]))
    assert shrunk._moved(lopsided) and not shrunk._moved(even)
    always = bound(calibrate="none")  # no significance: the estimate is always used
    always.source_mix.copy_(torch.tensor([0.5, 0.5]))
    always.adapt(even)
    assert not torch.equal(always.offsets, torch.zeros(2))  # type: ignore[arg-type]
