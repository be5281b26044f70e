"""``group_invariance``: groups from the samples' ``group`` field; an adversary behind gradient
reversal pushes the encoders against it; DRO weights rise on the worst group; a fresh probe and the
worst group are measured on the scored data."""

from __future__ import annotations

import pytest
import torch

import priorkit as pk
from priorkit.errors import ConfigError
from priorkit.priors import PriorStack, build_prior
from priorkit.priors.base import ModelDims
from tests.priors.conftest import GROUPS, tiny_graphs, tiny_model


def test_without_two_training_groups_the_prior_is_refused_with_the_fix() -> None:
    prior = build_prior({"name": "group_invariance"})
    with pytest.raises(ConfigError, match=r"at least 2 groups in their `group` field \(got 1: \['a'\]\)"):
        prior.bind(ModelDims(8, 16, 2, 2, ("x", "y"), 16, ("a",)))


def test_the_adversary_pushes_the_fused_vector_against_its_own_gradient() -> None:
    model = tiny_model(PriorStack([build_prior({"name": "group_invariance", "reversal": 2.0})])).train()
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


def test_evaluation_reports_the_probe_and_the_worst_group(small_data, tiny_model_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = {}
    for split, file in (("train", "train"), ("val", "val"), ("test", "test_id")):
        samples = list(pk.read_jsonl(small_data / f"{file}.jsonl"))
        for k, sample in enumerate(samples):
            sample.group = GROUPS[k % 2]
        data[split] = samples
    config = {
        "model": {"text_encoder": str(tiny_model_dir), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "priors": [{"name": "group_invariance", "method": "both"}],
        "train": {"epochs": 2, "batch_size": 16, "cache_dir": str(tmp_path / "cache"), "progress_bar": False},
    }
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
