"""Label shift: the class mix changes where a model is used, the class-conditional inputs do not.

A classifier's posteriors follow the class mix it was calibrated under (the source mix).
Where the mix differs (the target mix), Bayes' rule gives the target posteriors as the source
posteriors re-weighted by ``target / source`` (Saerens, Latinne and Decaestecker, 2002). The
functions here calibrate logits (bias-corrected temperature scaling, Alexandari et al., 2020),
estimate an unknown target mix from unlabelled data (EM, Saerens et al.; or black-box shift
estimation, Lipton et al., 2018) and find the logit offsets that give a stated mix.

Shapes: ``c`` classes, ``N`` samples; mixes are (c,) and sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

MIN_SHARE = 1e-6  # no class mix share is taken to be exactly 0 (its log would be -inf)


@dataclass(frozen=True)
class Calibration:
    """Bias-corrected temperature scaling: calibrated logits are ``logits / temperature + bias``.

    Shapes:
        bias: (c,).
    """

    temperature: float
    bias: Tensor

    def apply(self, logits: Tensor) -> Tensor:
        """Shapes: logits: (N, c) -> (N, c)."""
        return logits / self.temperature + self.bias.to(logits)


def fit_calibration(
    logits: Tensor, y: Tensor, biases: bool = True, penalty: float = 0.01, steps: int = 100
) -> Calibration:
    """The temperature (and, with ``biases``, class biases) that minimise the negative
    log-likelihood of ``y`` plus ``penalty`` times the mean squared bias (L-BFGS on
    log-temperature and biases; the biases sum to 0, as a common shift of all logits changes
    nothing). The penalty keeps the bias of a class the data lack finite: unpenalised it runs
    to minus infinity and the class can never be predicted again.

    Shapes:
        logits: (N, c); y: (N,) int64.
    """
    logits = logits.detach().double()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(logits.shape[1], dtype=torch.float64, requires_grad=biases)
    parameters = [log_t, bias] if biases else [log_t]
    optimizer = torch.optim.LBFGS(parameters, lr=0.5, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        centred = bias - bias.mean()
        loss = F.cross_entropy(logits / log_t.exp() + centred, y) + penalty * centred.pow(2).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    centred = (bias - bias.mean()).detach().float()
    return Calibration(float(log_t.detach().exp().clamp(0.05, 20.0)), centred)


def em_mix(probabilities: Tensor, source: Tensor, steps: int = 200, tol: float = 1e-7) -> Tensor:
    """The target class mix by expectation-maximisation (Saerens et al., 2002): re-weight each
    sample's posteriors by ``mix / source``, take their mean as the new mix, until it settles.

    Shapes:
        probabilities: (N, c) calibrated source posteriors; source: (c,) -> (c,).
    """
    probabilities = probabilities.double()
    source = source.double().clamp_min(MIN_SHARE)
    mix = source.clone()
    for _ in range(steps):
        weighted = probabilities * (mix / source)
        new = (weighted / weighted.sum(1, keepdim=True)).mean(0)
        done = bool((new - mix).abs().max() < tol)
        mix = new
        if done:
            break
    return (mix / mix.sum()).float()


def mix_log_likelihood_ratio(probabilities: Tensor, source: Tensor, mix: Tensor) -> float:
    """Twice the log-likelihood ratio of unlabelled samples under the class mix ``mix`` against
    the ``source`` mix their posteriors speak for (Saerens et al., 2002, section 3.3): large
    when the samples are better explained by another mix. Where only the mix moved and ``mix``
    is the maximum-likelihood estimate (EM), it follows a chi-squared law with ``c - 1``
    degrees of freedom when nothing moved.

    Shapes:
        probabilities: (N, c) calibrated source posteriors; source, mix: (c,).
    """
    ratio = mix.double().clamp_min(MIN_SHARE) / source.double().clamp_min(MIN_SHARE)
    likelihood = (probabilities.double() * ratio).sum(1).clamp_min(1e-300)
    return float(2.0 * likelihood.log().sum())


def bbse_mix(confusion: Tensor, predicted: Tensor) -> Tensor:
    """The target class mix by black-box shift estimation (Lipton et al., 2018): solve
    ``confusion @ w = predicted`` for the class weights ``w`` (clipped at 0), times the source
    mix.

    Shapes:
        confusion: (c, c) joint ``P_source(predicted = i, true = j)``; predicted: (c,) the share
        of each predicted class on the target data -> (c,).
    """
    confusion = confusion.double()
    weights = torch.linalg.lstsq(confusion, predicted.double()[:, None]).solution[:, 0].clamp_min(0)
    mix = weights * confusion.sum(0)
    if float(mix.sum()) <= 0:
        return confusion.sum(0).float()
    return (mix / mix.sum()).float()


def offsets_for_mix(logits: Tensor, target: Tensor, steps: int = 500, tol: float = 1e-6) -> Tensor:
    """Per-class logit offsets ``delta`` such that the mean of ``softmax(logits + delta)`` over
    the samples is ``target`` (the fixed point of ``delta += log(target / mean)``, which is
    Saerens' re-weighting when ``target`` is the EM mix).

    Shapes:
        logits: (N, c) calibrated; target: (c,) -> (c,).
    """
    logits = logits.double()
    log_target = target.double().clamp_min(MIN_SHARE).log()
    delta = torch.zeros(logits.shape[1], dtype=torch.float64, device=logits.device)
    for _ in range(steps):
        mean = torch.softmax(logits + delta, -1).mean(0).clamp_min(MIN_SHARE)
        step = log_target - mean.log()
        delta = delta + step
        if float(step.abs().max()) < tol:
            break
    return (delta - delta.mean()).float()
