"""Reliance by permutation, on models whose reliance is known by construction."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.utils import scatter

from priorkit.analysis.reliance import modality_reliance
from priorkit.outputs import PriorModelOutput
from priorkit.priors import PriorStack


def graphs(n: int = 40) -> list[Data]:
    torch.manual_seed(0)
    out = []
    for i in range(n):
        label = i % 2
        sign = 1.0 if label else -1.0
        out.append(
            Data(
                x=torch.full((3, 1), sign),
                edge_index=torch.tensor([[0, 0], [1, 2]]),
                depth=torch.tensor([0, 1, 1]),
                parent_index=torch.tensor([0, 0, 0]),
                root_index=torch.tensor([0]),
                time=torch.zeros(3),
                time_mask=torch.zeros(3, dtype=torch.bool),
                importance=torch.zeros(3),
                user_code=torch.zeros(3, dtype=torch.long),
                text=f"t{i}",
                node_text=[None] * 3,
                sample_id=str(i),
                num_nodes=3,
                y=torch.tensor([label]),
                text_embedding=torch.tensor([[sign, 0.0]]),
            )
        )
    return out


class OneModality(nn.Module):
    """Predicts from the text embedding only, or from the node features only."""

    def __init__(self, modality: str) -> None:
        super().__init__()
        self.modality = modality
        self.priors = PriorStack()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, batch):  # type: ignore[no-untyped-def]
        g = batch.graph
        if self.modality == "text":
            score = batch.text_embedding[:, 0]
        else:
            score = scatter(g.x[:, 0], g.batch, reduce="mean")
        logits = torch.stack([-score, score], dim=-1)
        n = g.num_nodes
        return PriorModelOutput(
            logits=logits,
            readout_attention=torch.ones(n),
            readout_attention_heads=torch.ones(n, 1),
            modality_weights=None,
            text=batch.text_embedding,
            graph=logits,
            nodes=g.x,
            message_attention=[],
        )


@pytest.mark.parametrize(("modality", "other"), [("text", "graph"), ("graph", "text")])
def test_a_model_that_uses_one_modality_relies_on_it_entirely(modality: str, other: str) -> None:
    reliance = modality_reliance(OneModality(modality), graphs(), repeats=3, seed=0)  # type: ignore[arg-type]
    assert reliance.shares == {modality: 1.0, other: 0.0}
    assert reliance.accuracy_drop[modality] > 0.3 and reliance.accuracy_drop[other] == 0.0
    assert reliance.prediction_change[other] == 0.0


def test_effect_shares_come_from_drops_then_changes_then_the_fallback() -> None:
    from priorkit.analysis.reliance import effect_shares

    keys = ["text", "graph"]
    assert effect_shares(
        {"text": 0.3, "graph": 0.1}, {"text": 0.0, "graph": 0.5}, keys, 0.5
    ) == pytest.approx({"text": 0.75, "graph": 0.25})
    # no drop above 0 (a negative one counts as 0): the prediction changes decide
    assert effect_shares(
        {"text": -0.1, "graph": 0.0}, {"text": 0.1, "graph": 0.3}, keys, 0.5
    ) == pytest.approx({"text": 0.25, "graph": 0.75})
    assert effect_shares(dict.fromkeys(keys, 0.0), dict.fromkeys(keys, 0.0), keys, 0.5) == {
        "text": 0.5,
        "graph": 0.5,
    }
