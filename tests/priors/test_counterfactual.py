import pytest
import torch

from priorkit.data.batch import PriorBatch, collate, graph_loader
from priorkit.priors import CounterfactualConfig, CounterfactualPrior, PriorStack
from tests.priors.conftest import tiny_graphs, tiny_model


def prior(**args) -> CounterfactualPrior:  # type: ignore[no-untyped-def]
    return CounterfactualPrior(CounterfactualConfig(**args))


def augment(p: CounterfactualPrior, batch: PriorBatch, seed: int = 0) -> PriorBatch:
    return p.augment(batch, torch.Generator().manual_seed(seed))


def test_modality_swap_pairs_each_text_with_a_tree_of_another_label(batch: PriorBatch) -> None:
    out = augment(prior(kind="modality_swap", rate=1.0), batch)
    b = batch.num_graphs
    assert out.num_graphs == 2 * b and out.origin.tolist() == [-1] * b + list(range(b))  # type: ignore[union-attr]
    sizes = torch.bincount(out.graph.batch)
    for k in range(b):
        cf = b + k
        assert out.text[cf] == batch.text[k] and out.y[cf] == batch.y[k]  # type: ignore[index]
        assert torch.equal(out.text_embedding[cf], batch.text_embedding[k])  # type: ignore[index]
        assert out.sample_id[cf] == f"{batch.sample_id[k]}~cf"
        donors = [j for j in range(b) if batch.y[j] != batch.y[k]]  # type: ignore[index]
        assert any(sizes[cf] == sizes[j] for j in donors)


def test_the_rate_and_the_seed_decide_what_is_added(batch: PriorBatch) -> None:
    assert augment(prior(rate=0.0), batch) is batch
    half = [augment(prior(rate=0.5), batch, seed).num_graphs - batch.num_graphs for seed in range(20)]
    assert 0 < sum(half) / len(half) < batch.num_graphs
    again = augment(prior(rate=0.5), batch, 3)
    assert again.sample_id == augment(prior(rate=0.5), batch, 3).sample_id


@pytest.mark.parametrize("perturb", ["shuffle", "drop", "noise"])
def test_leaf_perturb_touches_only_nodes_deeper_than_k(batch: PriorBatch, perturb: str) -> None:
    out = augment(prior(kind="leaf_perturb", perturb=perturb, depth=1, rate=1.0), batch)
    originals, made = batch.graph.to_data_list(), out.graph.to_data_list()[batch.num_graphs :]
    assert len(made) == batch.num_graphs  # every synthetic tree has nodes deeper than 1
    for original, cf in zip(originals, made, strict=True):
        shallow = original.depth <= 1
        if perturb == "drop":
            assert cf.num_nodes == int(shallow.sum()) and int(cf.depth.max()) <= 1
            assert torch.equal(cf.x, original.x[shallow]) and cf.edge_index.size(1) == cf.num_nodes - 1
        else:
            assert torch.equal(cf.x[shallow], original.x[shallow])
            assert not torch.equal(cf.x[~shallow], original.x[~shallow])
            assert torch.equal(cf.parent_index, original.parent_index)


def test_new_users_keeps_the_tree_and_makes_every_user_unknown() -> None:
    graphs = tiny_graphs()
    for k, graph in enumerate(graphs):  # every tree but the first names its users
        graph.user_code = (
            torch.arange(graph.num_nodes) + 1 if k else torch.zeros(graph.num_nodes, dtype=torch.long)
        )
    batch = collate(graphs)
    out = augment(prior(kind="new_users", rate=1.0), batch)
    made = out.graph.to_data_list()[batch.num_graphs :]
    assert out.origin.tolist()[batch.num_graphs :] == list(range(1, batch.num_graphs))  # type: ignore[union-attr]
    for original, cf in zip(graphs[1:], made, strict=True):
        assert int(cf.user_code.abs().sum()) == 0  # nobody training has seen
        assert torch.equal(cf.x, original.x) and torch.equal(cf.parent_index, original.parent_index)
        assert torch.equal(cf.depth, original.depth) and int(cf.y) == int(original.y)
    unnamed = collate(graphs[:1])
    assert augment(prior(kind="new_users", rate=1.0), unnamed) is unnamed  # nothing to make unknown


def test_consistency_loss_compares_sample_and_counterfactual(batch: PriorBatch) -> None:
    p = prior(kind="leaf_perturb", rate=1.0, consistency_weight=2.0)
    model = tiny_model(PriorStack([p]))
    augmented = augment(p, batch)
    out = model(augmented)
    assert out.losses["counterfactual/consistency"] > 0
    out.logits = out.logits.detach().clone()
    out.logits[batch.num_graphs :] = out.logits[: batch.num_graphs]  # identical predictions
    assert float(p.loss(out, augmented)["consistency"]) == pytest.approx(0.0, abs=1e-6)


def test_consistency_is_measured_on_counterfactuals_built_at_evaluation(batch: PriorBatch) -> None:
    model = tiny_model(PriorStack([prior(kind="modality_swap")])).eval()
    with torch.no_grad():
        measured = model.priors.measure(model(batch), batch)
    assert 0.0 <= measured["counterfactual/consistency"] <= 1.0


def with_pairs():  # type: ignore[no-untyped-def]
    graphs = tiny_graphs(6)
    for k in (3, 4, 5):  # samples 3-5 are counterfactuals of 0-2 with the other label
        graphs[k].counterfactual_of = graphs[k - 3].sample_id
        graphs[k].y = 1 - graphs[k - 3].y
    return graphs


def test_pairs_stay_in_one_batch_and_rate_keeps_a_share_of_them() -> None:
    graphs = with_pairs()
    for batch in graph_loader(graphs, batch_size=2, shuffle=True, seed=1):
        ids = set(batch.sample_id)
        assert all(graphs[k].sample_id in ids for k in range(3) if graphs[k + 3].sample_id in ids)
        assert batch.origin is not None and int((batch.origin >= 0).sum()) == 1
    whole = collate(graphs)
    assert whole.origin.tolist() == [-1, -1, -1, 0, 1, 2]  # type: ignore[union-attr]
    kept = [augment(prior(kind="pairs", rate=0.5), whole, s).num_graphs for s in range(20)]
    assert min(kept) >= 3 and max(kept) <= 6 and len(set(kept)) > 1
    assert augment(prior(kind="pairs", rate=1.0), whole) is whole


def test_pairs_consistency_asks_predictions_to_follow_the_label_change() -> None:
    whole = collate(with_pairs())
    p = prior(kind="pairs")
    out = tiny_model(PriorStack([p]))(whole)
    out.logits = torch.nn.functional.one_hot(whole.y, 2).float()  # type: ignore[arg-type]
    assert p.measure(out, whole) == {"consistency": 1.0}
    out.logits = torch.zeros(6, 2)  # the same prediction everywhere never follows a flipped label
    assert p.measure(out, whole) == {"consistency": 0.0}


def test_noise_on_a_sparse_bag_of_words_is_the_noise_on_its_dense_twin() -> None:
    """The noise's scale per feature comes from the batch's column stds, computed on sparse
    features without making them dense; same seed, same counterfactuals."""
    graphs = tiny_graphs()
    sparse = [g.clone() for g in graphs]
    for g in sparse:
        g.x = g.x.to_sparse_coo()
    noise = prior(kind="leaf_perturb", perturb="noise", depth=1, rate=1.0)
    as_dense, as_sparse = augment(noise, collate(graphs), 5), augment(noise, collate(sparse), 5)
    assert as_sparse.num_graphs == as_dense.num_graphs > len(graphs)
    made = zip(as_dense.graph.to_data_list(), as_sparse.graph.to_data_list(), strict=True)
    for d, s in made:
        torch.testing.assert_close(s.x.to_dense() if s.x.is_sparse else s.x, d.x)


def test_pairs_without_any_pair_in_the_training_data_are_refused_when_bound() -> None:
    from priorkit.errors import ConfigError
    from priorkit.priors.base import ModelDims

    dims = {"text": 8, "graph": 8, "heads": 2, "classes": 2}
    with pytest.raises(ConfigError, match=r"counterfactual: kind pairs: expected training samples that are"):
        prior(kind="pairs").bind(ModelDims(**dims, pairs=0))
    prior(kind="pairs").bind(ModelDims(**dims, pairs=3))
    prior(kind="pairs").bind(ModelDims(**dims))  # not known (a model loaded from a folder): not refused
    prior(kind="modality_swap").bind(ModelDims(**dims, pairs=0))


def test_pairs_with_a_counterfactual_whose_original_is_not_in_the_training_data_are_refused() -> None:
    """A counterfactual naming an original outside the training data (a typo, a split that put
    the original elsewhere) would silently train unpaired: the prior that reads pairs says so."""
    from priorkit.errors import ConfigError
    from priorkit.priors.base import ModelDims

    dims = {"text": 8, "graph": 8, "heads": 2, "classes": 2}
    for pairs in (0, 4):
        with pytest.raises(
            ConfigError,
            match=r"kind pairs: 2 training sample\(s\) name in `counterfactual_of` a sample that is not in the "
            r"training data \(first: sample 'c7'\).*same split as its counterfactuals",
        ):
            prior(kind="pairs").bind(ModelDims(**dims, pairs=pairs, unpaired=("c7", "c9")))
    prior(kind="pairs").bind(ModelDims(**dims, pairs=4))
    prior(kind="modality_swap").bind(ModelDims(**dims, pairs=4, unpaired=("c7",)))  # pairs not read
