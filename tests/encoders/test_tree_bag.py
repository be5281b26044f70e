import pytest
import torch
import torch.nn.functional as F

from priorkit.encoders.node_input import NodeInputConfig
from priorkit.encoders.tree import TreeEncoder, TreeEncoderConfig
from priorkit.encoders.tree_bag import TreeBag, TreeBagConfig, sublinear
from priorkit.errors import ConfigError

from .test_tree import batch

# three trees: nodes 0-1, 2-4, 5 (the last one with no known user)
X = torch.tensor(
    [[1.0, 0.0, 2.0], [3.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [-2.0, 0, 0]]
)
BATCH = torch.tensor([0, 0, 1, 1, 1, 2])
SLOTS = torch.tensor([1, 2, 2, 0, 3, 0])


def bag(**options: object) -> TreeBag:
    torch.manual_seed(0)
    return TreeBag(3, 4, TreeBagConfig(dropout=0.0, **options), user_slots=3).eval()


def test_feature_bag_is_the_normalised_sublinear_sum() -> None:
    module = bag(features=True)
    sums = torch.tensor([[4.0, 0.0, 2.0], [0.0, 2.0, 0.0], [-2.0, 0.0, 0.0]])
    expected = module.features(F.normalize(torch.sign(sums) * torch.log1p(sums.abs()), dim=-1))
    assert torch.allclose(module(X, None, BATCH, 3), expected, atol=1e-6)


def test_sparse_features_give_the_dense_bag() -> None:
    module = bag(features=True)
    dense = module(X, None, BATCH, 3)
    assert torch.allclose(module(X.to_sparse(), None, BATCH, 3), dense, atol=1e-6)


def test_user_bag_is_the_mean_of_known_users() -> None:
    module = bag(users=True)
    table = module.users.weight
    out = module(None, SLOTS, BATCH, 3)
    assert torch.allclose(out[0], (table[1] + table[2]) / 2)
    assert torch.allclose(out[1], (table[2] + table[3]) / 2)  # the unknown user (slot 0) is left out
    assert torch.equal(out[2], torch.zeros(4))  # no known user: nothing added


def test_both_bags_add_up() -> None:
    both, features, users = bag(features=True, users=True), bag(features=True), bag(users=True)
    features.features, users.users = both.features, both.users
    assert torch.allclose(
        both(X, SLOTS, BATCH, 3), features(X, None, BATCH, 3) + users(None, SLOTS, BATCH, 3)
    )


def test_sublinear_keeps_the_sign() -> None:
    assert torch.allclose(
        sublinear(torch.tensor([-3.0, 0.0, 3.0])),
        torch.log1p(torch.tensor([3.0])) * torch.tensor([-1.0, 0, 1]),
    )


def test_encoder_adds_the_bag_to_the_graph_vector_only_when_asked() -> None:
    b = batch(sparse=True)
    plain = TreeEncoder(
        4, config=TreeEncoderConfig(hidden=16, heads=2, node_input=NodeInputConfig(user_buckets=8))
    )
    assert plain.bag is None and not any(name.startswith("bag.") for name in plain.state_dict())
    config = TreeEncoderConfig(
        hidden=16,
        heads=2,
        node_input=NodeInputConfig(user_buckets=8),
        bag=TreeBagConfig(features=True, users=True),
    )
    encoder = TreeEncoder(4, config=config)
    out = encoder(b.graph)
    out.graph.sum().backward()
    assert encoder.bag.features.weight.grad.abs().sum() > 0
    assert (
        encoder.bag.users.weight.grad[1:].abs().sum() > 0
        and encoder.bag.users.weight.grad[0].abs().sum() == 0
    )
    encoder.bag = None  # without it the same encoder gives the attention readout alone
    assert not torch.allclose(encoder(b.graph).graph, out.graph)


def test_user_bag_without_a_user_table_adds_nothing() -> None:
    encoder = TreeEncoder(4, config=TreeEncoderConfig(hidden=16, heads=2, bag=TreeBagConfig(users=True)))
    assert encoder.bag is not None and encoder.bag.users is None
    assert encoder(batch().graph).graph.shape == (6, 16)


def test_unknown_bag_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"TreeBagConfig: `word`: unknown key"):
        TreeBagConfig(**{"word": True})
