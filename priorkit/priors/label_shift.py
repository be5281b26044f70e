"""``LabelShiftPrior``: "the class mix where the model is used is not the training mix".

The knowledge is the class mix of the data the model will score: stated (``target: {false:
0.3, true: 0.3, ...}``) or, by default, estimated from those unlabelled samples themselves.
Training is unchanged. At the end of every validation pass the prior calibrates the network's
logits on the validation data (bias-corrected temperature scaling) and keeps the validation
class mix and confusion matrix (the source); the checkpoint carries them. Before a set of
samples is scored (``pk.evaluate``, ``pk.predict``, ``priorkit predict``), the prior is adapted
to it: the target mix is estimated from the calibrated posteriors of the whole set (EM, or
black-box shift estimation), and the logits of every sample get the per-class offsets that make
the mean posterior equal that mix (:mod:`priorkit.functional.label_shift`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import torch
from pydantic import Field, field_validator
from scipy.stats import chi2
from torch import Tensor

from priorkit.errors import ConfigError
from priorkit.functional.label_shift import (
    Calibration,
    bbse_mix,
    em_mix,
    fit_calibration,
    mix_log_likelihood_ratio,
    offsets_for_mix,
)
from priorkit.priors.base import PRIORS, ModelDims, Prior, PriorConfig
from priorkit.priors.check import Check
from priorkit.sites import SiteContext

if TYPE_CHECKING:
    from priorkit.data.batch import PriorBatch
    from priorkit.outputs import PriorModelOutput

MIX_GAP, MIX_ERROR = "mix_gap", "mix_error"


class LabelShiftConfig(PriorConfig):
    """Args:
    target: ``estimate`` (the mix is estimated from the samples being scored) or the mix itself,
        a share per label (every label of the model, summing to 1).
    method: how the mix is estimated: ``em`` (Saerens et al., 2002, on calibrated posteriors)
        or ``bbse`` (black-box shift estimation on the validation confusion matrix, Lipton et
        al., 2018).
    calibrate: what is fitted on the validation data: ``bcts`` (a temperature and class biases,
        Alexandari et al., 2020: the calibrated posteriors then speak for the validation mix, the
        source of the re-weighting), ``temperature`` (a temperature alone: they still speak for
        the training mix, the source) or ``none`` (the network's posteriors as they are, the
        training mix the source).
    shrink: how much of the source mix is kept in an estimated mix, from 0 (the estimate alone)
        to 1 (no shift): estimates made where the classes' inputs change too (new events, not
        only a new mix) can be far off, and a share of the source mix bounds the damage.
    significance: an estimated mix is used only when a likelihood-ratio test (Saerens et al.,
        2002) rejects "the mix did not move" at this level; otherwise the calibrated posteriors
        are left as they are. None: always used.
    min_samples: fewer samples than this to score: the mix is not estimated (an error names it).
        ``priorkit predict --adapt-window N`` estimates it on the first N samples of a file.
    tolerance: compliance: the mean predicted posterior of every class within this of its
        target share (``mix_gap``).
    """

    name: Literal["label_shift"] = "label_shift"
    target: Literal["estimate"] | dict[str, float] = "estimate"
    method: Literal["em", "bbse"] = "em"
    calibrate: Literal["bcts", "temperature", "none"] = "bcts"
    shrink: float = Field(0.0, ge=0.0, le=1.0)
    significance: float | None = Field(None, ge=0.0, le=1.0)
    min_samples: int = Field(20, ge=1, le=2**31 - 1)
    tolerance: float = Field(0.02, gt=0.0, le=1.0)

    @field_validator("calibrate", mode="before")
    @classmethod
    def _yes_or_no(cls, value: object) -> object:
        """``true`` / ``false`` (the first form of this option) mean ``bcts`` / ``none``."""
        return {True: "bcts", False: "none"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("target")
    @classmethod
    def _a_mix(cls, value: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(value, str):
            return value
        if not value or any(not math.isfinite(v) or v < 0 for v in value.values()):
            raise ValueError(f"expected a share >= 0 for each label (got {value})")
        if abs(sum(value.values()) - 1.0) > 1e-3:
            total = sum(value.values())
            raise ValueError(f"expected shares summing to 1 (got {total:.4f}). Scale them to sum to 1")
        return {str(k): float(v) for k, v in value.items()}


@PRIORS.register("label_shift")
class LabelShiftPrior(Prior):
    """Calibrated, mix-corrected logits on the data the model scores.

    Shapes:
        bias("logits") -> (b, c) once adapted (:meth:`adapt`), else None; buffers: temperature
        (), class_bias (c,), train_mix (c,), source_mix (c,), confusion (c, c).
    """

    name = "label_shift"
    Config = LabelShiftConfig
    config: LabelShiftConfig
    adapts = True

    def bind(self, dims: ModelDims) -> None:
        c = dims.classes
        self.labels = tuple(str(name) for name in dims.labels) or tuple(str(k) for k in range(c))
        if isinstance(self.config.target, dict):
            unknown = sorted(set(self.config.target) - set(self.labels))
            missing = sorted(set(self.labels) - set(self.config.target))
            if unknown or missing:
                named = (("unknown", unknown), ("missing", missing))
                problems = [f"{kind} {', '.join(labels)}" for kind, labels in named if labels]
                raise ConfigError(
                    f"label_shift: target: expected a share for each label of the model, "
                    f"{', '.join(self.labels)} (got {'; '.join(problems)}). Name every label once."
                )
        self.register_buffer("temperature", torch.ones(()))
        self.register_buffer("class_bias", torch.zeros(c))
        train = torch.tensor(dims.class_mix) if len(dims.class_mix) == c else torch.full((c,), 1.0 / c)
        self.register_buffer("train_mix", train.float(), persistent=False)  # the run's schema has it
        self.register_buffer("source_mix", train.float().clone())
        self.register_buffer("confusion", torch.eye(c) / c)
        self.offsets: Tensor | None = None  # set by adapt(), for one scored set
        self.target_mix: Tensor | None = None

    def calibration(self) -> Calibration:
        return Calibration(float(self.temperature), self.class_bias)

    def calibrate(self, logits: Tensor, y: Tensor) -> None:
        """Fit the calibration on validation logits and labels; keep their class mix and the
        calibrated confusion matrix as the source."""
        c = self.class_bias.numel()
        if self.config.calibrate != "none":
            fitted = fit_calibration(logits, y, biases=self.config.calibrate == "bcts")
            self.temperature.fill_(fitted.temperature)
            self.class_bias.copy_(fitted.bias)
        calibrated = self.calibration().apply(logits.float())
        if self.config.calibrate == "bcts":
            # the mix the calibrated posteriors speak for: their mean on the validation data (the
            # validation labels' mix where the biases fit it; above it for a class the data lack,
            # whose penalised bias keeps it reachable)
            self.source_mix.copy_(torch.softmax(calibrated, -1).mean(0))
        else:
            self.source_mix.copy_(self.train_mix)
        predicted = calibrated.argmax(-1)
        joint = torch.zeros(c, c).index_put((predicted, y), torch.ones(len(y)), accumulate=True)
        self.confusion.copy_(joint / max(len(y), 1))

    def adapt(self, logits: Tensor | None) -> None:
        """Adapt to the set of samples whose raw logits are ``logits`` (None: forget the
        adaptation): its target mix (stated or estimated) and the logit offsets that reach it."""
        if logits is None:
            self.offsets = self.target_mix = None
            return
        calibrated = self.calibration().apply(logits.float().to(self.class_bias.device))
        self.target_mix = self._target(calibrated)
        if self._moved(calibrated):
            self.offsets = offsets_for_mix(calibrated, self.target_mix)
        else:  # no shift found: the calibrated posteriors as they are, and the mix they predict
            self.offsets = torch.zeros_like(self.class_bias)
            self.target_mix = torch.softmax(calibrated, -1).mean(0)

    def _moved(self, calibrated: Tensor) -> bool:
        """Whether the samples' mix differs from the source mix significantly (always, for a
        stated mix or without a ``significance``). The test is made at the EM mix, the
        likelihood's maximum, where its chi-squared law holds, whatever the estimator and
        ``shrink`` used for the target itself."""
        if isinstance(self.config.target, dict) or self.config.significance is None:
            return True
        posteriors = torch.softmax(calibrated, -1)
        ratio = mix_log_likelihood_ratio(posteriors, self.source_mix, em_mix(posteriors, self.source_mix))
        return ratio > chi2.ppf(1.0 - self.config.significance, max(calibrated.shape[1] - 1, 1))

    def _target(self, calibrated: Tensor) -> Tensor:
        if isinstance(self.config.target, dict):
            return torch.tensor(
                [self.config.target[label] for label in self.labels], device=calibrated.device
            )
        if len(calibrated) < self.config.min_samples:
            raise ConfigError(
                f"label_shift: expected at least {self.config.min_samples} samples to estimate their class "
                f"mix (got {len(calibrated)}). Score more samples at once, state the mix as target, "
                "or lower min_samples."
            )
        if self.config.method == "bbse":
            counts = torch.bincount(calibrated.argmax(-1), minlength=calibrated.shape[1]).float()
            estimate = bbse_mix(self.confusion, counts / counts.sum())
        else:
            estimate = em_mix(torch.softmax(calibrated, -1), self.source_mix)
        return (1.0 - self.config.shrink) * estimate + self.config.shrink * self.source_mix

    def bias(self, site: str, ctx: SiteContext) -> Tensor | None:
        if site != "logits" or ctx.training or self.offsets is None or ctx.value is None:
            return None
        logits = ctx.value
        calibrated = self.calibration().apply(logits)
        return calibrated + self.offsets.to(logits) - logits

    def measure(self, outputs: PriorModelOutput, batch: PriorBatch) -> dict[str, float]:
        if self.offsets is None:
            return {}
        posterior = torch.softmax(outputs.logits.detach(), -1).mean(0)
        out = {f"predicted_mix.{label}": float(posterior[k]) for k, label in enumerate(self.labels)}
        target = self.target_mix if self.target_mix is not None else posterior
        out.update({f"target_mix.{label}": float(target[k]) for k, label in enumerate(self.labels)})
        if batch.y is not None:
            true = torch.bincount(batch.y, minlength=len(self.labels)).float() / batch.num_graphs
            out.update({f"true_mix.{label}": float(true[k]) for k, label in enumerate(self.labels)})
        return out

    def summarise(self, measured: dict[str, float]) -> dict[str, float]:
        """Set-level measurements from the batch means of :meth:`measure`: ``mix_gap`` (largest
        gap between the mean predicted posterior and the target share) and, where labels were
        scored, ``mix_error`` (largest gap between the target share and the true share)."""
        if not any(key.startswith("target_mix.") for key in measured):
            return {}
        gap = max(abs(measured[f"predicted_mix.{k}"] - measured[f"target_mix.{k}"]) for k in self.labels)
        out = {MIX_GAP: gap}
        if all(f"true_mix.{k}" in measured for k in self.labels):
            errors = (abs(measured[f"true_mix.{k}"] - measured[f"target_mix.{k}"]) for k in self.labels)
            out[MIX_ERROR] = max(errors)
        return out

    def checks(self) -> list[Check]:
        return [Check(MIX_GAP, self.config.tolerance, "at_most", enforceable=False)]
