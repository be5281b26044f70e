import pytest
import torch

from priorkit.errors import ConfigError, RegistryError
from priorkit.fusion import FUSIONS
from priorkit.fusion.cross_attention import CrossAttentionConfig
from priorkit.sites import SiteContext

B, T, G, H = 3, 6, 8, 16
BATCH = torch.tensor([0, 0, 1, 1, 1, 2])


def context() -> SiteContext:
    return SiteContext(
        site="fusion",
        depth=torch.zeros(6, dtype=torch.long),
        parent_index=torch.arange(6),
        root_index=torch.tensor([0, 2, 5]),
        batch=BATCH,
        num_heads=1,
        training=False,
    )


def inputs():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return torch.randn(B, T), torch.randn(B, G), torch.randn(6, G), BATCH


@pytest.mark.parametrize("name", FUSIONS.names())
def test_every_fusion_shapes_and_gradients(name: str) -> None:
    fusion = FUSIONS.get(name)(T, G, H)
    text, graph, nodes, batch = inputs()
    text.requires_grad_(True)
    out = fusion(text, graph, nodes, batch, context())
    assert out.fused.shape == (B, H)
    out.fused.sum().backward()
    assert text.grad is not None and text.grad.abs().sum() > 0
    if out.modality_weights is not None:
        assert out.modality_weights.shape == (B, 2)
        assert torch.allclose(out.modality_weights.sum(-1), torch.ones(B))


def test_which_fusions_report_weights() -> None:
    text, graph, nodes, batch = inputs()
    reports = {
        n: FUSIONS.get(n)(T, G, H)(text, graph, nodes, batch, context()).modality_weights is not None
        for n in FUSIONS.names()
    }
    assert reports == {"concat": False, "gated": True, "cross_attention": True}


@pytest.mark.parametrize("name", ["gated", "cross_attention"])
def test_fusion_site_bias(name: str) -> None:
    fusion = FUSIONS.get(name)(T, G, H).eval()
    text, graph, nodes, batch = inputs()
    plain = fusion(text, graph, nodes, batch, context())
    zero = fusion(text, graph, nodes, batch, context(), lambda site, ctx: torch.zeros(B, 2))
    assert torch.equal(plain.fused, zero.fused)
    text_only = fusion(text, graph, nodes, batch, context(), lambda site, ctx: torch.tensor([0.0, -1e4]))
    assert torch.allclose(text_only.modality_weights[:, 0], torch.ones(B))
    changed_graph = fusion(
        text, graph + 5, nodes + 5, batch, context(), lambda site, ctx: torch.tensor([0.0, -1e4])
    )
    assert torch.allclose(text_only.fused, changed_graph.fused, atol=1e-5)  # the graph no longer matters


def test_cross_attention_looks_only_at_its_own_nodes() -> None:
    fusion = FUSIONS.get("cross_attention")(T, G, H).eval()
    text, graph, nodes, batch = inputs()
    before = fusion(text, graph, nodes, batch, context()).fused
    moved = nodes.clone()
    moved[5] += 10  # node 5 belongs to sample 2 only
    after = fusion(text, graph, moved, batch, context()).fused
    assert torch.allclose(before[:2], after[:2]) and not torch.allclose(before[2], after[2])


def test_unknown_fusion_and_bad_heads() -> None:
    with pytest.raises(RegistryError, match="concat, cross_attention, gated"):
        FUSIONS.get("sum")
    with pytest.raises(ConfigError, match="heads: expected a divisor"):
        FUSIONS.get("cross_attention")(T, G, 10, CrossAttentionConfig(heads=4))


@pytest.mark.parametrize("name", FUSIONS.names())
def test_a_fusion_config_names_its_fusion_and_builds_it(name: str) -> None:
    cls = FUSIONS.get(name)
    config = cls.Config()
    assert config.name == name and type(config.build(8, 6, 16)) is cls
