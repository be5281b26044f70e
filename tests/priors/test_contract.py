"""One contract, every registered prior: shapes, finite values, gradients, no mutation,
checkpoint round trip, argument validation."""

from __future__ import annotations

import copy

import pytest
import torch

from priorkit.data.batch import PriorBatch
from priorkit.errors import ConfigError
from priorkit.priors import PRIORS, PriorStack, build_prior, parse_prior
from tests.priors.conftest import TEXT_DIM, tiny_model

NAMES = PRIORS.names()
# every prior at its defaults, and the modes that act at other sites than the defaults do
SPECS = [{"name": name} for name in NAMES] + [{"name": "modality_gate", "mode": "bound"}]


def spec_id(spec: dict[str, str]) -> str:
    return "-".join(str(v) for v in spec.values())


def test_every_prior_of_the_issue_is_registered() -> None:
    assert set(NAMES) >= {
        "modality_gate",
        "depth_decay",
        "supervised_attention",
        "counterfactual",
        "modality_dropout",
        "gradient_penalty",
        "root_enhance",
    }


def snapshot(batch: PriorBatch) -> dict[str, object]:
    g = batch.graph
    return {
        "x": g.x.clone(),
        "depth": g.depth.clone(),
        "edge_index": g.edge_index.clone(),
        "y": batch.y.clone(),  # type: ignore[union-attr]
        "text": list(batch.text),
        "ids": list(batch.sample_id),
        "text_embedding": batch.text_embedding.clone(),  # type: ignore[union-attr]
    }


def same(a: dict[str, object], b: dict[str, object]) -> bool:
    return all(torch.equal(v, b[k]) if isinstance(v, torch.Tensor) else v == b[k] for k, v in a.items())


def expected_shape(site: str, batch: PriorBatch, ctx, heads: int) -> set[tuple[int, ...]]:  # type: ignore[no-untyped-def]
    n, b, m = batch.graph.num_nodes, batch.num_graphs, 2 * batch.graph.edge_index.size(1)
    return {
        "readout": {(n,), (n, heads)},
        "message": {(m,), (m, heads)},
        "message_scale": {(m,), (m, heads)},
        "nodes": {(n, 16)},
        "text": {(b, TEXT_DIM)},
        "graph": {(b, 16)},
        "fusion": {(b, 2)},
        "fused": {(b, 16)},
        "logits": {(b, 2)},
    }[site]


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_contract(spec: dict[str, str], batch: PriorBatch) -> None:
    prior = build_prior(spec)
    model = tiny_model(PriorStack([prior])).train()
    before = snapshot(batch)
    augmented = model.priors.augment(batch, torch.Generator().manual_seed(0))
    assert same(before, snapshot(batch)), "augment mutated its input"

    seen = []
    stack_bias = model.priors.bias

    def recording(site, ctx):  # type: ignore[no-untyped-def]
        value = stack_bias(site, ctx)
        if value is not None:
            assert tuple(value.shape) in expected_shape(site, augmented, ctx, 2), (site, value.shape)
            assert torch.isfinite(value).all()
            seen.append(site)
        return value

    model.priors.bias = recording  # type: ignore[method-assign]
    out = model(augmented)
    assert out.logits.shape == (augmented.num_graphs, 2)
    for key, value in out.losses.items():
        assert value.dim() == 0 and torch.isfinite(value), key
    sum(out.losses.values()).backward()  # type: ignore[union-attr]
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    assert any(g is not None and g.abs().sum() > 0 for g in grads)

    model.priors.bias = stack_bias  # type: ignore[method-assign]
    model.eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    assert all(isinstance(v, float) and v == v for v in measured.values()), measured


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_prior_state_travels_with_the_checkpoint(spec: dict[str, str], batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([build_prior(spec)]))
    with torch.no_grad():
        for p in model.priors.parameters():
            p.add_(0.25)
    state = copy.deepcopy(model.state_dict())
    restored = tiny_model(PriorStack([build_prior(spec)]))
    restored.load_state_dict(state, strict=True)
    for (key, a), b in zip(
        model.priors.state_dict().items(), restored.priors.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), key
    model.eval(), restored.eval()
    with torch.no_grad():
        assert torch.allclose(model(batch).logits, restored(batch).logits)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_arguments_name_the_valid_ones(name: str) -> None:
    with pytest.raises(ConfigError, match=r"`strength`: unknown key\. Valid keys here: .*weight"):
        build_prior({"name": name, "strength": 2})


@pytest.mark.parametrize("name", NAMES)
def test_every_argument_has_a_default(name: str) -> None:
    assert build_prior({"name": name}).config == PRIORS.get(name).Config()


@pytest.mark.parametrize("name", NAMES)
def test_a_prior_config_names_its_prior_and_builds_it(name: str) -> None:
    cls = PRIORS.get(name)
    config = cls.Config()  # made by hand, not from a mapping: it still knows its prior
    assert config.name == cls.name == name
    assert type(config.build()) is cls
    # a mapping spelled another way gives the same typed config
    assert parse_prior({"name": name.upper().replace("_", "-")}) == config


def test_a_config_without_a_name_cannot_build() -> None:
    from priorkit.priors import PriorConfig

    with pytest.raises(ConfigError, match=r"PriorConfig: expected the name of its prior \(got none\)"):
        PriorConfig().build()
    with pytest.raises(ConfigError, match=r"priors: expected a prior name, or a mapping with a `name`"):
        parse_prior({"decay": 1.0})


@pytest.mark.parametrize("name", NAMES)
def test_every_number_a_prior_takes_is_bounded_so_its_terms_stay_finite(name: str) -> None:
    config_class = type(parse_prior({"name": name}))
    numbers = [
        field
        for field, info in config_class.model_fields.items()
        if info.annotation in (float, int) and field not in ("name",)
    ]
    for field in numbers:
        with pytest.raises(ConfigError, match=rf"`{field}`: input should be less than"):
            parse_prior(
                {"name": name, field: 1e39 if config_class.model_fields[field].annotation is float else 2**62}
            )
