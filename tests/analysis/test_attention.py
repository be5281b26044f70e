import pytest
import torch

from priorkit.analysis.attention import attention_by_depth, attention_per_graph, root_attention


def test_mass_by_depth_against_hand_computed_numbers() -> None:
    # graph 0: depths 0,1,2,3,4 ; graph 1: depths 0,1
    attention = torch.tensor([0.1, 0.2, 0.3, 0.25, 0.15, 0.6, 0.4])
    depth = torch.tensor([0, 1, 2, 3, 4, 0, 1])
    batch = torch.tensor([0, 0, 0, 0, 0, 1, 1])
    mass = attention_by_depth(attention, depth, batch)
    assert mass == pytest.approx({"0": (0.1 + 0.6) / 2, "1": (0.2 + 0.4) / 2, "2": 0.3 / 2, "3+": 0.4 / 2})
    assert root_attention(attention, torch.tensor([0, 5])) == pytest.approx(0.35)
    assert attention_per_graph(attention, batch).tolist() == pytest.approx([1.0, 1.0])
