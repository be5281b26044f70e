"""Gradient reversal (Ganin and Lempitsky, ICML 2015): the identity going forward, the gradient
times ``-scale`` going back, so that what a classifier above it learns to detect, the layers
below it learn to hide."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, value: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return value.view_as(value)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.scale * grad, None


def reverse_gradient(value: Tensor, scale: float = 1.0) -> Tensor:
    """``value`` unchanged; its gradient multiplied by ``-scale`` on the way back.

    Shapes:
        value: any -> the same.
    """
    return _Reverse.apply(value, scale)
