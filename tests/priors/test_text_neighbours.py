"""``text_neighbours``: the network mixed with the vote of the remembered texts nearest to each sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import priorkit as pk
from priorkit.data.batch import collate
from priorkit.errors import ConfigError
from priorkit.functional.neighbours import neighbour_probabilities
from priorkit.priors import PriorStack, TextNeighboursPrior, build_prior
from tests.priors.conftest import tiny_graphs, tiny_model, tiny_run, tiny_run_data


def remembering_model(**config: object):  # type: ignore[no-untyped-def]
    """A tiny model whose prior remembers 8 training graphs and chose on 8 validation graphs."""
    prior = build_prior({"name": "text_neighbours", **config})
    model = tiny_model(PriorStack([prior])).eval()
    train, val = tiny_graphs(8, seed=0), tiny_graphs(8, seed=1)
    model.priors.remember(
        "train", torch.cat([g.text_embedding for g in train]), torch.cat([g.y for g in train])
    )
    with torch.no_grad(), model.priors.validating():
        logits = model(collate(val)).logits
    model.priors.remember(
        "val", torch.cat([g.text_embedding for g in val]), torch.cat([g.y for g in val]), logits
    )
    return model, prior, train, val


def fit_remembering(small_data: Path, model_dir: Path, out: Path, epochs: int = 1, stream: bool = False):  # type: ignore[no-untyped-def]
    """A small real run with the prior at its defaults (training data streamed or held)."""
    config = tiny_run(str(model_dir), [{"name": "text_neighbours"}], epochs, out.parent / "cache")
    config["data"] = {"stream": stream}
    return pk.fit(config, data=tiny_run_data(small_data), out=out)


def same_predictions(model, other, samples) -> bool:  # type: ignore[no-untyped-def]
    return [p.probabilities for p in pk.predict(model, samples)] == [
        p.probabilities for p in pk.predict(other, samples)
    ]


def test_the_logits_become_the_log_of_the_chosen_mixture_at_use() -> None:
    model, prior, _train, _val = remembering_model(network_weight=0.25, neighbours=[5])
    assert prior.choice["weight"] == 0.25 and prior.choice["k"] == 5
    assert len(prior.codes) == 16  # training and validation texts, for the samples scored later
    batch = collate(tiny_graphs(6, seed=2))
    with torch.no_grad():
        mixed = torch.softmax(model(batch).logits, -1)
        with model.priors.validating():  # what training scores: the network alone
            alone = torch.softmax(model(batch).logits, -1)
    votes = neighbour_probabilities(
        batch.text_embedding.numpy(),
        prior.embeddings.numpy(),
        prior.codes.numpy(),
        2,
        5,
        prior.choice["temperature"],
    )
    expected = 0.25 * alone + 0.75 * torch.from_numpy(votes).float()
    assert torch.allclose(mixed, expected, atol=1e-5)
    assert not torch.allclose(mixed, alone, atol=1e-3)


def test_a_weight_of_zero_and_one_neighbour_gives_the_nearest_texts_label() -> None:
    model, _prior, train, val = remembering_model(network_weight=0.0, neighbours=[1])
    with torch.no_grad():
        predicted = model(collate(train + val)).logits.argmax(-1)
    assert predicted.tolist() == [int(g.y) for g in train + val]  # each text is its own nearest


def test_nothing_changes_in_training_or_before_a_mixture_is_chosen() -> None:
    prior = build_prior({"name": "text_neighbours", "network_weight": 0.0})
    model = tiny_model(PriorStack([prior])).eval()
    plain = tiny_model().eval()
    batch = collate(tiny_graphs(6, seed=2))
    train = tiny_graphs(8)
    model.priors.remember(
        "train", torch.cat([g.text_embedding for g in train]), torch.cat([g.y for g in train])
    )
    with torch.no_grad():
        assert torch.allclose(model(batch).logits, plain(batch).logits)  # remembered, nothing chosen yet
    model, _, _, _ = remembering_model(network_weight=0.0)
    model.train()
    torch.manual_seed(0)
    trained_logits = model(batch).logits
    assert torch.isfinite(trained_logits).all()
    assert model(batch).losses["task"].requires_grad


def test_the_memory_and_the_choice_travel_with_the_weights() -> None:
    model, prior, _, _ = remembering_model()
    batch = collate(tiny_graphs(6, seed=2))
    fresh = tiny_model(PriorStack([build_prior({"name": "text_neighbours"})])).eval()
    fresh.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.allclose(fresh(batch).logits, model(batch).logits)
    assert fresh.priors.priors[0].choice == prior.choice


def test_a_damaged_memory_is_named() -> None:
    model, _, _, _ = remembering_model()
    state = model.state_dict()
    key = next(k for k in state if k.endswith(".codes"))
    state[key] = state[key][:3]
    with pytest.raises(ConfigError, match="text_neighbours: expected a memory of one label per text"):
        tiny_model(PriorStack([build_prior({"name": "text_neighbours"})])).load_state_dict(state)


def test_measure_reports_the_network_share_and_the_agreement_with_the_vote() -> None:
    model, prior, _, _ = remembering_model(network_weight=0.0, neighbours=[1])
    batch = collate(tiny_graphs(6, seed=2))
    with torch.no_grad():
        measured = prior.measure(model(batch), batch)
    assert measured == {"vote_agreement": 1.0}
    assert prior.summarise(measured) == {"network_weight": 0.0}


def test_the_use_and_the_measure_of_one_batch_share_one_search(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from priorkit.priors import text_neighbours as module

    model, prior, train, val = remembering_model(network_weight=0.5, neighbours=[1])
    searches = []
    counted = lambda *args: searches.append(1) or neighbour_probabilities(*args)  # noqa: E731
    monkeypatch.setattr(module, "neighbour_probabilities", counted)
    batch = collate(tiny_graphs(6, seed=2))
    with torch.no_grad():
        prior.measure(model(batch), batch)
    assert len(searches) == 1  # the bias searched, the measure reused it
    other = collate(tiny_graphs(6, seed=3))
    with torch.no_grad():
        model(other)
    assert len(searches) == 2  # another batch: another search
    model.priors.remember(
        "train", torch.cat([g.text_embedding for g in train]), torch.cat([g.y for g in train])
    )
    model.priors.remember(
        "val", torch.cat([g.text_embedding for g in val]), torch.cat([g.y for g in val]), torch.zeros(8, 2)
    )
    prior.votes(other.text_embedding)
    assert len(searches) == 3  # a new memory: searched again, even for the same texts


def test_validation_before_the_training_texts_is_refused() -> None:
    prior = build_prior({"name": "text_neighbours"})
    tiny_model(PriorStack([prior]))
    with pytest.raises(ConfigError, match="expected the training texts before validation"):
        prior.remember("val", torch.randn(4, 8), torch.zeros(4, dtype=torch.long), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="expected the part train or val"):
        prior.remember("test", torch.randn(4, 8), torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"neighbours": [0, 5]}, "numbers of neighbours of at least 1"),
        ({"neighbours": []}, "neighbours"),
        ({"temperatures": [0.0]}, "temperatures above 0"),
        ({"network_weight": 1.5}, "network_weight"),
        ({"k": 5}, "k"),
    ],
)
def test_bad_settings_are_named(config: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message):
        build_prior({"name": "text_neighbours", **config})


def test_a_run_chooses_on_validation_keeps_the_choice_and_measures_it(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    trained = fit_remembering(small_data, tiny_model_dir, tmp_path / "run", epochs=2)
    prior = trained.model.priors.priors[0]
    assert isinstance(prior, TextNeighboursPrior) and prior.choice
    sizes = trained.metrics["data"]
    assert len(prior.codes) == sizes["train"]["samples"] + sizes["val"]["samples"]
    assert trained.metrics["test"]["priors"]["text_neighbours/network_weight"] == prior.choice["weight"]
    test = list(pk.read_jsonl(tiny_run_data(small_data)["test"]))
    saved = pk.load(trained.save_pretrained(tmp_path / "saved"))  # safetensors: the memory is tensors
    assert saved.model.priors.priors[0].choice == prior.choice
    assert same_predictions(saved, trained, test)
    assert same_predictions(pk.load(tmp_path / "run"), trained, test)


def test_a_trainable_text_encoder_is_refused_by_name(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    encoder = {"model": str(tiny_model_dir), "trainable_layers": 1}
    config = tiny_run(encoder, [{"name": "text_neighbours"}], 1, tmp_path / "cache")
    data = tiny_run_data(small_data)
    with pytest.raises(ConfigError, match=r"priors: text_neighbours: expected a frozen text encoder"):
        pk.fit(config, data=data, out=tmp_path / "run")


def test_a_remixed_text_brings_its_own_neighbours() -> None:
    model, _, train, _ = remembering_model(network_weight=0.0, neighbours=[1])
    batch = collate(train)
    order = torch.tensor([3, 0, 1, 2, 7, 6, 5, 4])
    with torch.no_grad():
        out = model(batch)
        remixed = out.remix("text", order)  # type: ignore[misc]
        one_vector = out.remix("text", torch.zeros(8))  # type: ignore[misc]
        with model.priors.validating():
            alone = model(batch).remix("text", torch.zeros(8))  # type: ignore[misc]
    assert remixed.argmax(-1).tolist() == batch.y[order].tolist()  # each sample votes with the text it took
    assert torch.allclose(one_vector, alone)  # one vector in every place: no text of a sample, no vote


def test_a_streamed_training_part_is_remembered_as_one_held_in_memory(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    memories = []
    for stream in (False, True):
        trained = fit_remembering(small_data, tiny_model_dir, tmp_path / f"run-{stream}", stream=stream)
        prior = trained.model.priors.priors[0]
        memories.append((prior.embeddings, prior.codes))
    (held, held_codes), (streamed, streamed_codes) = memories
    assert len(held_codes) > 0 and torch.equal(held_codes, streamed_codes)
    assert torch.allclose(held, streamed)


def test_a_model_with_the_prior_refuses_fitted_neighbours_on_top(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    trained = fit_remembering(small_data, tiny_model_dir, tmp_path / "run")
    data = tiny_run_data(small_data)
    with pytest.raises(ConfigError, match="got one with the prior text_neighbours, which already mixes"):
        pk.fit_neighbours(trained, data["train"], data["val"])
    plain = pk.fit(
        tiny_run(str(tiny_model_dir), [], 1, tmp_path / "cache"), data=data, out=tmp_path / "plain"
    )
    fitted = pk.fit_neighbours(plain, data["train"], data["val"])
    with pytest.raises(ConfigError, match="got one with the prior text_neighbours"):
        pk.predict(trained, list(pk.read_jsonl(data["test"]))[:3], neighbours=fitted)
