from pathlib import Path

import pytest
import torch

from priorkit.data import LabelSpace
from priorkit.data.batch import collate
from priorkit.data.synth import SynthConfig, generate
from priorkit.data.tensors import sample_to_data
from priorkit.encoders.text import TextEncoder, TextEncoderConfig
from priorkit.encoders.text_table import attach_text_embeddings
from priorkit.errors import ConfigError
from priorkit.model import ModelConfig, PriorModel
from priorkit.priors import Prior, PriorStack


@pytest.fixture
def graphs(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    samples = generate(SynthConfig(n_train=6, n_val=2, n_test=2))["train"]
    labels = LabelSpace.from_labels([s.label for s in samples])
    data = [sample_to_data(s, labels) for s in samples]
    encoder = TextEncoder(TextEncoderConfig(model=str(tiny_model_dir)))
    attach_text_embeddings(data, encoder)
    return data, encoder


def build(
    encoder: TextEncoder, fusion: str = "gated", priors: PriorStack | None = None, text_norm: bool = False
) -> PriorModel:
    torch.manual_seed(0)
    config = ModelConfig(
        text_encoder=encoder.config.model,
        fusion=fusion,
        hidden=16,
        tree={"hidden": 16, "heads": 2},
        text_norm=text_norm,
    )
    return PriorModel(
        config, num_features=4, num_classes=2, text_dim=encoder.dim, text_encoder=encoder, priors=priors
    )


@pytest.mark.parametrize("fusion", ["concat", "gated", "cross_attention"])
def test_forward_outputs(graphs, fusion: str) -> None:  # type: ignore[no-untyped-def]
    data, encoder = graphs
    batch = collate(data)
    out = build(encoder, fusion)(batch)
    assert out.logits.shape == (6, 2) and set(out.losses) == {"task"}
    assert out.readout_attention.shape == (batch.graph.num_nodes,)
    assert (out.modality_weights is None) == (fusion == "concat")
    out.losses["task"].backward()


@pytest.mark.parametrize("text_norm", [True, False])
def test_text_norm_standardises_the_text_vector(graphs, text_norm: bool) -> None:  # type: ignore[no-untyped-def]
    data, encoder = graphs
    model = build(encoder, text_norm=text_norm).eval()
    plain = model(collate(data))
    for g in data:
        g.text_embedding = g.text_embedding * 10.0 + 3.0
    shifted = model(collate(data))
    if text_norm:  # each text vector has mean 0 and variance 1; its scale and offset are gone
        assert torch.allclose(plain.text.mean(-1), torch.zeros(6), atol=1e-5)
        assert torch.allclose(plain.text.var(-1, unbiased=False), torch.ones(6), atol=1e-3)
        assert torch.allclose(plain.logits, shifted.logits, atol=1e-4)
    else:
        assert not torch.allclose(plain.logits, shifted.logits, atol=1e-4)


def test_frozen_encoder_needs_embeddings_with_the_batch(graphs) -> None:  # type: ignore[no-untyped-def]
    data, encoder = graphs
    for g in data:
        del g.text_embedding
    with pytest.raises(ConfigError, match="expected text embeddings with the batch"):
        build(encoder)(collate(data))


class Readout(Prior):
    name = "hand_made"

    def __init__(self, bias: torch.Tensor) -> None:
        super().__init__()
        self.value = bias

    def bias(self, site, ctx):  # type: ignore[no-untyped-def]
        return self.value if site == "readout" else None


def test_readout_site_through_the_model(graphs) -> None:  # type: ignore[no-untyped-def]
    data, encoder = graphs
    batch = collate(data)
    n = batch.graph.num_nodes
    plain = build(encoder).eval()(batch)
    zero = build(encoder, priors=PriorStack([Readout(torch.zeros(n))])).eval()(batch)
    assert torch.equal(plain.logits, zero.logits)
    # a large negative bias on every node but the roots puts all readout attention on the roots
    bias = torch.full((n,), -1e4)
    bias[batch.graph.root_index] = 0.0
    rooted = build(encoder, priors=PriorStack([Readout(bias)])).eval()(batch)
    assert torch.allclose(rooted.readout_attention[batch.graph.root_index], torch.ones(6))


@pytest.mark.parametrize("fusion", ["concat", "gated", "cross_attention"])
@pytest.mark.parametrize("modality", ["text", "graph"])
def test_remix_equals_a_forward_on_recombined_samples(graphs, fusion: str, modality: str) -> None:  # type: ignore[no-untyped-def]
    from priorkit.data.recombine import with_text_of, with_tree_of

    data, encoder = graphs
    model = build(encoder, fusion).eval()
    permutation = [2, 0, 1, 5, 3, 4]
    recombine = with_text_of if modality == "text" else with_tree_of
    with torch.no_grad():
        remixed = model(collate(data)).remix(modality, torch.tensor(permutation))  # type: ignore[misc]
        direct = model(collate(recombine(data, [data[j] for j in permutation]))).logits
    assert torch.allclose(remixed, direct, atol=1e-5)


@pytest.mark.parametrize("fusion", ["concat", "gated", "cross_attention"])
@pytest.mark.parametrize("modality", ["text", "graph"])
def test_remix_with_one_vector_forgets_each_samples_own(graphs, fusion: str, modality: str) -> None:  # type: ignore[no-untyped-def]
    from priorkit.data.recombine import with_text_of, with_tree_of

    data, encoder = graphs
    model = build(encoder, fusion).eval()
    recombine = with_text_of if modality == "text" else with_tree_of
    shuffled = recombine(data, [data[j] for j in [2, 0, 1, 5, 3, 4]])
    width = model.fusion.text_dim if modality == "text" else model.fusion.graph_dim
    vector = torch.randn(width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        own = model(collate(data))
        replaced = own.remix(modality, vector)  # type: ignore[misc]
        # the other samples' modality in the same places changes nothing once a vector replaces it
        assert torch.allclose(replaced, model(collate(shuffled)).remix(modality, vector), atol=1e-5)  # type: ignore[misc]
        assert not torch.allclose(replaced, own.logits, atol=1e-3)
