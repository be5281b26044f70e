"""``group_invariance``: groups from the samples' ``group`` field; erasure projects the directions
that separate the groups' means out of the fused vector; an adversary behind gradient reversal
pushes the encoders against it; DRO weights rise on the worst group; a fresh probe and the worst
group are measured on the scored data."""

from __future__ import annotations

import pytest
import torch

import priorkit as pk
from priorkit.analysis.groups import probe
from priorkit.errors import ConfigError
from priorkit.priors import PriorStack, build_prior
from priorkit.priors.base import ModelDims
from priorkit.sites import SiteContext
from tests.priors.conftest import GROUPS, tiny_graphs, tiny_model


def test_without_two_training_groups_the_prior_is_refused_with_the_fix() -> None:
    prior = build_prior({"name": "group_invariance"})
    with pytest.raises(ConfigError, match=r"at least 2 groups in their `group` field \(got 1: \['a'\]\)"):
        prior.bind(ModelDims(8, 16, 2, 2, ("x", "y"), 16, ("a",)))


def test_training_samples_without_a_group_beside_grouped_ones_are_refused(
    small_data, tiny_model_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    data = {split: list(pk.read_jsonl(small_data / f"{file}.jsonl")) for split, file in SPLIT_FILES}
    for k, sample in enumerate(data["train"]):
        sample.group = GROUPS[k % 2] if k != 3 else None
    config = tiny_config(tiny_model_dir, tmp_path, {"name": "group_invariance"})
    missing = data["train"][3].id
    with pytest.raises(
        ConfigError, match=f"1 training sample\\(s\\) have no `group` \\(first: sample '{missing}'\\)"
    ):
        pk.fit(config, data=data, out=tmp_path / "run")


def test_the_adversary_pushes_the_fused_vector_against_its_own_gradient() -> None:
    adversary = {"name": "group_invariance", "method": "adversary", "reversal": 2.0}
    model = tiny_model(PriorStack([build_prior(adversary)])).train()
    prior = model.priors.priors[0]
    batch = pk.collate(tiny_graphs(n=16))
    out = model(batch)
    fused = out.fused
    fused.retain_grad()
    out.losses["group_invariance/adversary"].backward()
    assert prior.adversary[0].weight.grad is not None  # the adversary itself learns to tell groups apart
    # below the reversal the gradient is the adversary's, reversed and scaled
    probe_input = fused.detach().requires_grad_()
    torch.nn.functional.cross_entropy(prior.adversary(probe_input), prior.group_codes(batch)).backward()
    assert torch.allclose(fused.grad, -2.0 * probe_input.grad, atol=1e-6)


def test_dro_weights_rise_on_the_worst_group() -> None:
    prior = build_prior({"name": "group_invariance", "method": "dro", "dro_step": 0.5})
    prior.bind(ModelDims(8, 16, 2, 2, ("x", "y"), 16, GROUPS))
    codes = torch.tensor([0, 0, 1, 1])
    y = torch.tensor([0, 1, 0, 1])
    logits = torch.tensor(
        [[4.0, -4.0], [-4.0, 4.0], [-4.0, 4.0], [4.0, -4.0]], requires_grad=True
    )  # group 1 wrong
    for _ in range(3):
        loss = prior._dro(logits, y, codes)
    assert float(prior.group_weight[1]) > 0.9 and float(prior.group_weight.sum()) == pytest.approx(1.0)
    loss.backward()  # the worst group's loss dominates the gradient
    assert logits.grad[2:].abs().sum() > 10 * logits.grad[:2].abs().sum()


def test_groups_training_did_not_see_are_left_out_of_the_losses() -> None:
    model = tiny_model(PriorStack([build_prior({"name": "group_invariance", "method": "both"})])).train()
    graphs = tiny_graphs(n=8)
    for graph in graphs:
        graph.group = "unseen_event"
    out = model(pk.collate(graphs))
    assert not any(key.startswith("group_invariance/") for key in out.losses)


SPLIT_FILES = (("train", "train"), ("val", "val"), ("test", "test_id"))


def tiny_config(model_dir, tmp_path, prior: dict) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {
        "model": {"text_encoder": str(model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [prior],
        "train": {"epochs": 2, "batch_size": 16, "cache_dir": str(tmp_path / "cache"), "progress_bar": False},
    }


def test_evaluation_reports_the_probe_and_the_worst_group(small_data, tiny_model_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = {}
    for split, file in SPLIT_FILES:
        samples = list(pk.read_jsonl(small_data / f"{file}.jsonl"))
        for k, sample in enumerate(samples):
            sample.group = GROUPS[k % 2]
        data[split] = samples
    config = tiny_config(tiny_model_dir, tmp_path, {"name": "group_invariance", "method": "both"})
    trained = pk.fit(config, data=data, out=tmp_path / "run")
    assert (
        trained.schema.groups == GROUPS
        and "train/group_invariance/adversary" in trained.metrics["history"][0]
    )
    report = pk.evaluate(trained, data["test"])
    (entry,) = report.compliance
    assert entry["metric"] == "groups.probe_excess" and entry["achieved"] == report.groups["probe_excess"]
    assert 0.0 <= report.groups["worst_group_accuracy"] <= report.accuracy
    assert report.groups["probe_majority"] == pytest.approx(0.5)
    assert any(line.startswith("groups: worst_group_accuracy") for line in report.lines())
    assert report.priors["group_invariance/trained_groups"] == 1.0

    for k, sample in enumerate(data["test"]):  # another collection's groups: the rule is not this prior's
        sample.group = ("event-x", "event-y")[k % 2]
    report = pk.evaluate(trained, data["test"], json_out=tmp_path / "other.json")
    (entry,) = report.compliance
    assert entry["achieved"] is None and entry["pass"] is None and report.groups is not None
    assert report.priors["group_invariance/trained_groups"] == 0.0
    assert "NaN" not in (tmp_path / "other.json").read_text()
    assert "groups.probe_excess not measured (target <= 0.10) n/a" in "\n".join(report.lines())
    pk.write_jsonl(data["test"], tmp_path / "other.jsonl")  # explanations are written without NaN
    written = pk.predict_file(
        trained, tmp_path / "other.jsonl", tmp_path / "p.jsonl", explain=True, progress=False
    )
    assert "groups.probe_excess" not in written.out.read_text() and "NaN" not in written.out.read_text()


def test_the_confusion_loss_pulls_the_encoders_toward_uniform_guesses_not_the_adversary() -> None:
    model = tiny_model(PriorStack([build_prior({"name": "group_invariance", "method": "confusion"})])).train()
    prior = model.priors.priors[0]
    out = model(pk.collate(tiny_graphs(n=16)))
    out.fused.retain_grad()
    out.losses["group_invariance/confusion"].backward()
    assert prior.adversary[0].weight.grad is None  # the adversary is not taught to be confused
    assert out.fused.grad is not None and float(out.fused.grad.abs().sum()) > 0
    model.zero_grad()
    out = model(pk.collate(tiny_graphs(n=16)))
    out.fused.retain_grad()
    out.losses["group_invariance/adversary"].backward()
    assert prior.adversary[0].weight.grad is not None  # it learns to tell the groups apart
    assert out.fused.grad is None or float(out.fused.grad.abs().sum()) == 0  # on the detached vector


def site(
    value: torch.Tensor, groups: tuple[str, ...] | None, training: bool = True, y: torch.Tensor | None = None
) -> SiteContext:
    empty = torch.zeros(0, dtype=torch.long)
    return SiteContext(
        "fused", empty, empty, torch.arange(len(value)), empty, 1, training, value=value, groups=groups, y=y
    )


def grouped(n: int, seed: int) -> tuple[torch.Tensor, tuple[str, ...]]:
    """n samples of three groups in 8 dimensions: the groups' means differ in dimensions 0 and 1,
    dimension 2 carries something else (it varies within every group)."""
    generator = torch.Generator().manual_seed(seed)
    names = ("a", "b", "c")
    codes = torch.arange(n) % 3
    means = torch.tensor([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    value = torch.randn(n, 8, generator=generator) * 0.5
    value[:, :2] += means[codes]
    value[:, 2] = torch.randn(n, generator=generator) * 2.0
    return value, tuple(names[int(c)] for c in codes)


def erasure(groups: tuple[str, ...] = ("a", "b", "c"), **config: object):  # type: ignore[no-untyped-def]
    # erasure is the default method; a small momentum: these vectors do not move between batches
    prior = build_prior({"name": "group_invariance", "momentum": 0.05, **config})
    prior.bind(ModelDims(8, 16, 2, 2, ("x", "y"), 8, groups))
    return prior


def test_erasure_equalises_the_group_means_and_blinds_a_linear_probe() -> None:
    prior = erasure()
    for seed in range(20):  # training batches move the running means
        value, groups = grouped(48, seed)
        prior.bias("fused", site(value, groups))
    value, groups = grouped(600, seed=99)  # new samples, at use
    erased = value + prior.bias("fused", site(value, groups, training=False))
    names = torch.tensor([ord(g) for g in groups])
    means = torch.stack([erased[names == ord(g)].mean(0) for g in "abc"])
    assert (means - means.mean(0)).abs().max() < 0.15  # were 3 apart
    assert probe(value.numpy(), names.numpy())["probe_excess"] > 0.6
    assert probe(erased.numpy(), names.numpy())["probe_excess"] < 0.1
    kept = torch.corrcoef(torch.stack([erased[:, 2], value[:, 2]]))[0, 1]
    assert kept > 0.99  # what varies within every group is kept
    assert int((prior.basis.abs().sum(0) > 0).sum()) == 2  # two directions for three groups


def mixed(n: int, seed: int) -> tuple[torch.Tensor, tuple[str, ...], torch.Tensor]:
    """Two groups with different class mixes (a: 80% class 1, b: 20%): dimension 0 carries the
    class, dimension 1 the group beyond the class."""
    generator = torch.Generator().manual_seed(seed)
    group = torch.arange(n) % 2
    y = (torch.rand(n, generator=generator) < torch.where(group == 0, 0.8, 0.2)).long()
    value = torch.randn(n, 8, generator=generator) * 0.5
    value[:, 0] += 3.0 * y
    value[:, 1] += 3.0 * group
    return value, tuple("ab"[int(g)] for g in group), y


def test_erasure_within_classes_keeps_the_label_and_erases_the_group_beyond_it() -> None:
    within, overall = erasure(("a", "b"), within_class=True), erasure(("a", "b"))
    for seed in range(20):
        value, groups, y = mixed(64, seed)
        within.bias("fused", site(value, groups, y=y))
        overall.bias("fused", site(value, groups, y=y))
    value, groups, y = mixed(800, seed=99)
    names = torch.tensor([ord(g) for g in groups]).numpy()
    kept = value + within.bias("fused", site(value, groups, training=False))  # no labels at use
    lost = value + overall.bias("fused", site(value, groups, training=False))
    for c in (0, 1):  # within each class, the groups look alike (majority share 0.8)
        assert probe(kept[y == c].numpy(), names[y == c])["probe_excess"] < 0.05
    label = probe(kept.numpy(), y.numpy())["probe_accuracy"]
    assert label > 0.95 and label > probe(lost.numpy(), y.numpy())["probe_accuracy"] + 0.05
    for c in (0, 1):  # before: the groups told apart within each class
        assert probe(value[y == c].numpy(), names[y.numpy() == c])["probe_accuracy"] > 0.95


def test_erasure_passes_gradients_only_outside_the_erased_directions() -> None:
    prior = erasure()
    value, groups = grouped(48, seed=0)
    value.requires_grad_()
    weight = torch.randn(8)
    y = torch.arange(48) % 2
    ((value + prior.bias("fused", site(value, groups, y=y))) @ weight).sum().backward()
    basis = prior.basis
    assert float(basis.abs().sum()) > 0
    expected = weight - basis @ (basis.T @ weight)
    assert torch.allclose(value.grad, expected.expand_as(value.grad), atol=1e-5)
    assert float((basis.T @ value.grad[0]).abs().max()) < 1e-5


def test_only_training_forwards_of_the_samples_own_vectors_move_the_means() -> None:
    prior = erasure(within_class=True)
    value, groups = grouped(48, seed=0)
    y = torch.arange(48) % 2
    prior.bias("fused", site(value, groups, y=y))
    state = {k: v.clone() for k, v in prior.state_dict().items()}
    prior.bias("fused", site(value * 5, None, y=y))  # a remixed vector is no longer its sample's
    prior.bias("fused", site(value * 5, groups, training=False))  # evaluation
    prior.bias("fused", site(value * 5, groups))  # no labels: no cell to put a sample in
    with torch.no_grad():
        prior.bias("fused", site(value * 5, groups, y=y))
    assert all(torch.equal(state[k], v) for k, v in prior.state_dict().items())
    assert prior.bias("graph", site(value, groups)) is None
    unseen = erasure(("a", "b", "c", "d"))  # a group no batch had: left out
    unseen.bias("fused", site(value, groups))
    assert float(unseen.group_count[3]) == 0 and int((unseen.basis.abs().sum(0) > 0).sum()) == 2


def test_the_model_head_reads_the_erased_vector_and_checkpoints_keep_the_means() -> None:
    model = tiny_model(PriorStack([build_prior({"name": "group_invariance"})])).train()
    prior = model.priors.priors[0]
    for seed in range(3):
        model(pk.collate(tiny_graphs(n=16, seed=seed)))
    assert float(prior.group_count.sum()) == 48
    model.eval()
    batch = pk.collate(tiny_graphs(n=16, seed=5))
    out = model(batch)
    assert torch.allclose(out.logits, model.head(out.fused), atol=1e-6)
    assert float((out.fused @ prior.basis).std(0).max()) < 1e-4  # nothing varies along the erased directions
    saved = {k: v for k, v in model.state_dict().items() if k.startswith("priors.")}
    assert {"priors.priors.0.group_mean", "priors.priors.0.basis", "priors.priors.0.center"} <= set(saved)
