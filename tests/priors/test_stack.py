import torch

from priorkit.priors import Prior, PriorConfig, PriorStack
from priorkit.sites import SiteContext


class Constant(Prior):
    name = "constant"

    def __init__(self, value: float, weight: float = 1.0) -> None:
        super().__init__(PriorConfig(weight=weight))
        self.value = value

    def bias(self, site, ctx):  # type: ignore[no-untyped-def]
        return torch.full((3,), self.value) if site == "readout" else None

    def loss(self, outputs, batch):  # type: ignore[no-untyped-def]
        return {"penalty": torch.tensor(self.value)}

    def measure(self, outputs, batch):  # type: ignore[no-untyped-def]
        return {"value": self.value}


CTX = SiteContext(
    site="readout",
    depth=torch.zeros(3, dtype=torch.long),
    parent_index=torch.zeros(3, dtype=torch.long),
    root_index=torch.tensor([0]),
    batch=torch.zeros(3, dtype=torch.long),
    num_heads=1,
    training=True,
)


def test_empty_stack_does_nothing() -> None:
    stack = PriorStack()
    assert (
        stack.bias("readout", CTX) is None
        and stack.loss(None, None) == {}
        and stack.measure(None, None) == {}
    )  # type: ignore[arg-type]


def test_biases_sum_and_losses_are_namespaced_and_weighted() -> None:
    a, b = Constant(1.0), Constant(2.0, weight=0.5)
    b.name = "other"  # type: ignore[misc]
    stack = PriorStack([a, b])
    assert stack.bias("readout", CTX).tolist() == [3.0, 3.0, 3.0]
    assert stack.bias("message", CTX) is None
    losses = stack.loss(None, None)  # type: ignore[arg-type]
    assert {k: float(v) for k, v in losses.items()} == {"constant/penalty": 1.0, "other/penalty": 1.0}
    assert stack.measure(None, None) == {"constant/value": 1.0, "other/value": 2.0}  # type: ignore[arg-type]


def test_a_repeated_name_gets_numbered_namespaces() -> None:
    stack = PriorStack([Constant(1.0), Constant(2.0)])
    assert stack.labels() == ["constant_1", "constant_2"]
    assert stack.measure(None, None) == {"constant_1/value": 1.0, "constant_2/value": 2.0}  # type: ignore[arg-type]
