"""Label-shift maths against known answers: Gaussian classes whose exact posteriors are known."""

from __future__ import annotations

import pytest
import torch

from priorkit.functional.label_shift import bbse_mix, em_mix, fit_calibration, offsets_for_mix

MEANS = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]])


def draw(mix: list[float], n: int, seed: int, spread: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    y = torch.multinomial(torch.tensor(mix), n, replacement=True, generator=generator)
    return spread * MEANS[y] + torch.randn(n, 3, generator=generator), y


def exact_logits(x: torch.Tensor, mix: list[float], spread: float = 1.0) -> torch.Tensor:
    """The Bayes posterior logits of unit-variance Gaussian classes (means ``spread`` x
    :data:`MEANS`) under the class mix ``mix``."""
    return -0.5 * ((x[:, None, :] - spread * MEANS[None]) ** 2).sum(-1) + torch.tensor(mix).log()


def test_calibration_undoes_a_known_temperature_and_bias() -> None:
    x, y = draw([1 / 3] * 3, 6000, seed=0)
    exact = exact_logits(x, [1 / 3] * 3)
    distorted = 4.0 * exact + torch.tensor([1.2, 0.0, -1.2])
    fitted = fit_calibration(distorted, y)
    assert fitted.temperature == pytest.approx(4.0, rel=0.1)
    assert fitted.bias == pytest.approx(torch.tensor([-0.3, 0.0, 0.3]), abs=0.1)
    assert float(fitted.bias.sum()) == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("target", [[0.7, 0.2, 0.1], [0.05, 0.15, 0.8], [1 / 3, 1 / 3, 1 / 3]])
def test_em_recovers_a_known_mix_from_calibrated_posteriors(target: list[float]) -> None:
    x, y = draw(target, 8000, seed=1)
    posteriors = torch.softmax(exact_logits(x, [1 / 3] * 3), -1)  # calibrated under the source mix
    true = torch.bincount(y, minlength=3).float() / len(y)
    assert em_mix(posteriors, torch.full((3,), 1 / 3)) == pytest.approx(true, abs=0.015)


def test_bbse_recovers_a_known_mix_from_the_source_confusion_matrix() -> None:
    xs, ys = draw([1 / 3] * 3, 8000, seed=2)
    predicted = exact_logits(xs, [1 / 3] * 3).argmax(-1)
    confusion = torch.zeros(3, 3).index_put((predicted, ys), torch.ones(len(ys)), accumulate=True) / len(ys)
    xt, yt = draw([0.6, 0.3, 0.1], 8000, seed=3)
    shares = torch.bincount(exact_logits(xt, [1 / 3] * 3).argmax(-1), minlength=3).float() / len(yt)
    true = torch.bincount(yt, minlength=3).float() / len(yt)
    assert bbse_mix(confusion, shares) == pytest.approx(true, abs=0.02)


def test_offsets_reach_the_target_mix_and_equal_saerens_reweighting() -> None:
    x, _ = draw([0.7, 0.2, 0.1], 4000, seed=4)
    logits = exact_logits(x, [1 / 3] * 3)
    source = torch.full((3,), 1 / 3)
    mix = em_mix(torch.softmax(logits, -1), source)
    delta = offsets_for_mix(logits, mix)
    assert torch.softmax(logits + delta, -1).mean(0) == pytest.approx(mix, abs=1e-4)
    ratio = (mix / source).log()
    assert delta == pytest.approx(ratio - ratio.mean(), abs=1e-3)  # the EM fixed point: Bayes' rule
    stated = torch.tensor([0.2, 0.2, 0.6])
    assert torch.softmax(logits + offsets_for_mix(logits, stated), -1).mean(0) == pytest.approx(
        stated, abs=1e-4
    )


def test_correcting_for_the_mix_raises_accuracy_under_shift() -> None:
    x, y = draw([0.8, 0.15, 0.05], 6000, seed=5, spread=0.5)  # classes that overlap: the mix matters
    logits = exact_logits(x, [1 / 3] * 3, spread=0.5)
    corrected = logits + offsets_for_mix(logits, em_mix(torch.softmax(logits, -1), torch.full((3,), 1 / 3)))
    before = float((logits.argmax(-1) == y).float().mean())
    after = float((corrected.argmax(-1) == y).float().mean())
    assert after > before + 0.1  # about 0.63 -> 0.83


def _rejections(mix: list[float], n: int, level: float, draws: int) -> float:
    """Share of ``draws`` samples of ``n`` drawn with ``mix`` in which the likelihood-ratio test
    of the EM mix rejects "the mix is the source's (even)" at ``level``."""
    from scipy.stats import chi2

    from priorkit.functional.label_shift import mix_log_likelihood_ratio

    source = torch.full((3,), 1 / 3)
    rejected = 0
    for seed in range(draws):
        x, _ = draw(mix, n, seed=100 + seed)
        posteriors = torch.softmax(exact_logits(x, [1 / 3] * 3), -1)
        ratio = mix_log_likelihood_ratio(posteriors, source, em_mix(posteriors, source))
        assert ratio >= -1e-6  # the EM mix is the likelihood's maximum: never below the source's
        rejected += ratio > chi2.ppf(1 - level, 2)
    return rejected / draws


def test_the_mix_test_rejects_at_its_level_when_nothing_moved_and_almost_always_when_it_did() -> None:
    assert 0.01 <= _rejections([1 / 3] * 3, 300, 0.05, 200) <= 0.10  # chi-squared, 2 degrees of freedom
    assert _rejections([0.6, 0.3, 0.1], 300, 0.01, 50) >= 0.95


def test_the_ratio_is_zero_at_the_source_mix() -> None:
    from priorkit.functional.label_shift import mix_log_likelihood_ratio

    x, _ = draw([0.6, 0.3, 0.1], 500, seed=3)
    posteriors = torch.softmax(exact_logits(x, [1 / 3] * 3), -1)
    assert mix_log_likelihood_ratio(
        posteriors, torch.full((3,), 1 / 3), torch.full((3,), 1 / 3)
    ) == pytest.approx(0.0, abs=1e-4)
