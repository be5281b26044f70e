import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.priors import ModalityGateConfig, ModalityGatePrior, PriorStack, build_prior
from tests.priors.conftest import TEXT_DIM, tiny_model


def test_hard_mode_fixes_the_fusion_weights(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.7}, mode="hard"))
    out = tiny_model(PriorStack([prior]))(batch)
    assert torch.allclose(out.modality_weights, torch.tensor([0.7, 0.3]).expand(batch.num_graphs, 2))
    assert "gate" not in {k.split("/")[1] for k in out.losses if k.startswith("modality_gate/")}


def test_soft_mode_pulls_the_gate_toward_the_target(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.9, "graph": 0.1}, reliance_weight=0.0))
    model = tiny_model(PriorStack([prior]))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    start = float(model(batch).modality_weights[:, 0].mean().detach())
    for _ in range(30):
        optimiser.zero_grad()
        model(batch).losses["modality_gate/gate"].backward()
        optimiser.step()
    end = float(model(batch).modality_weights[:, 0].mean().detach())
    assert abs(end - 0.9) < 0.05 < abs(start - 0.9)


def test_a_floor_only_pulls_shares_below_it(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(
        ModalityGateConfig(target={"text": 0.1}, floor=True, mode="soft", reliance_weight=0.0)
    )
    out = tiny_model(PriorStack([prior]))(batch)
    assert float(out.losses["modality_gate/gate"]) == 0.0  # the gate starts near 0.5 > 0.1
    assert prior.checks()[0].rule == "at_least" and [c.metric for c in prior.checks()] == [
        "gate.text",
        "reliance.text",
    ]


def test_the_reliance_loss_sees_which_modality_decides(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.8}, reliance_temperature=1.0))
    model = tiny_model(PriorStack([prior]))
    out = model(batch)
    # a graph-only decision: swapping the graph moves the true-class probability, swapping the text does not
    out.remix = lambda modality, perm: out.logits[perm] if modality == "graph" else out.logits  # type: ignore[assignment]
    out.logits = torch.where(batch.y[:, None] == torch.arange(2), 30.0, -30.0)  # type: ignore[index]
    shares = prior.reliance_shares(out, batch)
    assert shares is not None and shares.tolist() == pytest.approx([0.0, 1.0])
    # one modality named is a minimum: only the text's shortfall counts
    assert float(prior.loss(out, batch)["reliance"]) == pytest.approx(0.8**2)
    exact = ModalityGatePrior(ModalityGateConfig(target={"text": 0.8}, floor=False, reliance_temperature=1.0))
    assert float(exact.loss(out, batch)["reliance"]) == pytest.approx(0.8**2 + 0.8**2)  # the split


def test_measures_the_gate_and_checks_gate_and_reliance(batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([build_prior({"name": "modality_gate", "mode": "hard"})])).eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    assert measured["modality_gate/gate.text"] == pytest.approx(0.8)
    assert [(c.metric, c.target, c.rule, c.tolerance) for c in model.priors.priors[0].checks()] == [
        ("gate.text", 0.8, "at_least", 0.1),  # the default: the text's share at least 0.8
        ("reliance.text", 0.8, "at_least", 0.1),
    ]


@pytest.mark.parametrize(
    ("arguments", "rules"),
    [
        ({}, [("decision.text", "at_least"), ("reliance.text", "at_least")]),
        ({"mode": "soft"}, [("gate.text", "at_least"), ("reliance.text", "at_least")]),
        ({"target": {"graph": 0.3}}, [("decision.graph", "at_least"), ("reliance.graph", "at_least")]),
        ({"target": {"text": 0.8, "graph": 0.2}}, [("gate.text", "near"), ("reliance.text", "near")]),
        ({"target": {"text": 0.8}, "floor": False}, [("gate.text", "near"), ("reliance.text", "near")]),
        (
            {"target": {"text": 0.6, "graph": 0.3}, "floor": True},
            [
                ("gate.text", "at_least"),
                ("gate.graph", "at_least"),
                ("reliance.text", "at_least"),
                ("reliance.graph", "at_least"),
            ],
        ),
    ],
)
def test_one_named_share_is_a_minimum_and_two_are_the_split(
    arguments: dict, rules: list[tuple[str, str]]
) -> None:
    prior = build_prior({"name": "modality_gate", **arguments})
    # without a mode: a bound for a minimum of one modality, a soft pull for a split
    assert prior.config.mode == arguments.get(
        "mode", "bound" if rules[0][0].startswith("decision") else "soft"
    )
    assert [(c.metric, c.rule) for c in prior.checks()] == rules
    free = [m for m in ("text", "graph") if m not in prior.config.target]
    assert prior.constrained.tolist() == [
        m not in free or not prior.config.is_floor() for m in ("text", "graph")
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"txt": 0.8}, "expected shares for text and/or graph"),
        ({"text": 0.8, "graph": 0.3}, "expected shares summing to at most 1"),
        ({"text": 0.6, "graph": 0.3}, "expected shares summing to 1 .*set floor: true"),
        ({"text": 1.5}, r"expected shares in \[0, 1\]"),
    ],
)
def test_bad_targets_are_refused(target: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_prior({"name": "modality_gate", "target": target})


def _graph_led(model) -> None:  # type: ignore[no-untyped-def]
    """Make the graph drown the text: a gate that gives it all the weight, or (concat) its
    columns of the projection scaled up 50 times."""
    with torch.no_grad():
        if hasattr(model.fusion, "gate"):
            model.fusion.gate.logits.bias.copy_(torch.tensor([-20.0, 20.0]))
        else:
            model.fusion.project[0].weight[:, TEXT_DIM:] *= 50.0


def _text_share(model, batch: PriorBatch, null: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
    from priorkit.priors.modality_gate import decision_share

    with torch.no_grad():
        out = model(batch)
        return decision_share(out.logits, out.remix("graph", null))


@pytest.mark.parametrize("fusion", ["gated", "concat", "cross_attention"])
def test_bound_holds_the_texts_share_of_every_decision(batch: PriorBatch, fusion: str) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.8}, mode="bound"))
    bounded = tiny_model(PriorStack([prior]), fusion=fusion).eval()
    free = tiny_model(fusion=fusion).eval()  # the same weights (one seed), no prior
    for model in (bounded, free):
        _graph_led(model)
    null = prior.null.detach()
    assert float(_text_share(free, batch, null).min()) < 0.7  # left alone, the graph takes more
    assert float(_text_share(bounded, batch, null).min()) >= 0.8 - 1e-5  # every sample, not a mean
    with torch.no_grad():
        measured = bounded.priors.measure(bounded(batch), batch)
    assert measured["modality_gate/decision.text"] >= 0.8 - 1e-5


def test_bound_scales_only_the_graphs_change_and_leaves_small_ones_alone(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(target={"text": 0.5}, mode="bound"))
    without = torch.tensor([[2.0, -2.0], [1.0, -1.0]])
    change = torch.tensor([[-1.0, 1.0], [-8.0, 8.0]])  # within the bound, then 8 times the text's size
    bias = prior._cap(without + change, without)
    assert torch.allclose(without + change + bias, torch.tensor([[1.0, -1.0], [0.0, 0.0]]))


def test_bound_trains_its_null_and_checks_the_decision(batch: PriorBatch) -> None:
    prior = ModalityGatePrior(ModalityGateConfig(mode="bound"))
    model = tiny_model(PriorStack([prior]), fusion="concat")
    out = model(batch)
    sum(out.losses.values()).backward()  # type: ignore[union-attr]
    assert prior.null.grad is not None and float(prior.null.grad.abs().sum()) > 0
    assert [(c.metric, c.rule, c.enforceable) for c in prior.checks()] == [
        ("decision.text", "at_least", False),
        ("reliance.text", "at_least", False),
    ]


@pytest.mark.parametrize(
    "arguments", [{"target": {"text": 0.8, "graph": 0.2}}, {"target": {"text": 0.8}, "floor": False}]
)
def test_bound_needs_one_named_minimum(arguments: dict) -> None:
    with pytest.raises(
        ConfigError, match=r"mode bound: expected one modality's minimum share.*text: 0.8.*set mode: soft"
    ):
        build_prior({"name": "modality_gate", "mode": "bound", **arguments})


def test_a_changed_copy_derives_the_default_mode_from_its_own_target() -> None:
    from priorkit.runs.config import RunConfig

    config = RunConfig.from_dict({"priors": [{"name": "modality_gate"}]})
    assert config.priors[0].mode == "bound"  # type: ignore[attr-defined]
    split = config.updated({"priors.0.target": {"text": 0.8, "graph": 0.2}})
    assert split.priors[0].mode == "soft"  # type: ignore[attr-defined]  # as a fresh config of it
    assert split.updated({"priors.0.target": {"text": 0.7}}).priors[0].mode == "bound"  # type: ignore[attr-defined]
    stated = RunConfig.from_dict({"priors": [{"name": "modality_gate", "mode": "bound"}]})
    with pytest.raises(ConfigError, match=r"`priors\.0`: mode bound: .*set mode: soft"):
        stated.updated({"priors.0.target": {"text": 0.8, "graph": 0.2}})  # a stated mode stays
    # both changes of one prior are validated together, in either order (as two --set do)
    for changes in (
        ["priors.0.target={text: 0.8, graph: 0.2}", "priors.0.mode=soft"],
        ["priors.0.mode=soft", "priors.0.target={text: 0.8, graph: 0.2}"],
        ["priors.0.target={text: 0.8, graph: 0.2}", "priors.00.mode=soft"],  # one item, spelt twice
    ):
        assert stated.updated(changes).priors[0].mode == "soft"  # type: ignore[attr-defined]
    # saved, the derived mode is written out: a later default does not change a run
    assert RunConfig.from_dict(split.model_dump(mode="json")).priors[0].mode == "soft"  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    target=st.floats(0.05, 0.95),
    classes=st.integers(2, 6),
    scale=st.floats(1e-3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_the_cap_holds_for_any_logits(target: float, classes: int, scale: float, seed: int) -> None:
    from priorkit.priors.modality_gate import decision_share

    prior = ModalityGatePrior(ModalityGateConfig(target={"text": target}, mode="bound"))
    generator = torch.Generator().manual_seed(seed)
    without = torch.randn(16, classes, generator=generator, dtype=torch.float64)
    logits = without + scale * torch.randn(16, classes, generator=generator, dtype=torch.float64)
    capped = logits + prior._cap(logits, without)
    assert float(decision_share(capped, without).min()) >= target - 1e-9
    within = decision_share(logits, without) >= target  # changes already small enough stay as they were
    assert torch.allclose(capped[within], logits[within])
    # the change keeps its direction: only its size is cut
    cosine = torch.nn.functional.cosine_similarity(capped - without, logits - without, dim=-1)
    assert torch.allclose(cosine, torch.ones_like(cosine))
