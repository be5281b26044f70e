"""Gradient reversal: the identity forward, the gradient times -scale backward."""

import torch

from priorkit.functional.gradient_reversal import reverse_gradient


def test_the_value_passes_and_the_gradient_flips() -> None:
    x = torch.randn(5, 3, requires_grad=True)
    weights = torch.randn(5, 3)
    (reverse_gradient(x, 0.5) * weights).sum().backward()
    assert torch.equal(reverse_gradient(x.detach(), 0.5), x.detach())
    assert torch.allclose(x.grad, -0.5 * weights)
