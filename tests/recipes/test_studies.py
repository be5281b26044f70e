"""The study files of recipes/ load and expand into the grids they promise."""

from pathlib import Path

import numpy as np
import pytest

from priorkit.ablation import expand, load_study
from priorkit.priors import PRIORS
from priorkit.runs.config import RunConfig
from tests.conftest import real_data

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def test_the_synthetic_study_has_every_strategy_and_three_seeds() -> None:
    study, base = load_study(RECIPES / "synthetic_study.yaml")
    trials = expand(study, base)
    assert set(study.arms) == {
        "baseline",
        "modality_gate",
        "depth_decay",
        "supervised_attention",
        "counterfactual",
        "combined",
    }
    assert len(trials) == 6 * 3 and {t.seed for t in trials} == {0, 1, 2}
    assert all(
        Path(t.evaluate["test_ood"]).is_file() and Path(t.config.data.path("train")).is_file() for t in trials
    )


def test_the_sweep_study_sweeps_lambda() -> None:
    study, base = load_study(RECIPES / "synthetic_sweep.yaml")
    arms = {t.arm for t in expand(study, base)}
    assert {f"depth_decay@decay={v}" for v in (0.0, 0.5, 1.0, 2.0, 4.0)} <= arms


@pytest.mark.real_data
def test_the_real_data_studies_point_at_the_shared_datasets() -> None:
    twitter, base = load_study(RECIPES / "twitter15_study.yaml")
    trials = expand(twitter, base, {"twitter15": (5, "splits/twitter15.json")})
    assert len(trials) == len(twitter.arms) * 3 * 5
    assert Path(trials[0].source) == real_data("twitter15").resolve()  # type: ignore[arg-type]
    pheme, base = load_study(RECIPES / "pheme_study.yaml")
    assert Path(pheme.datasets["pheme"].source) == real_data("pheme6").resolve()  # type: ignore[arg-type,index]
    assert pheme.folds is not None and pheme.folds.kind == "groups"
    assert pheme.datasets["pheme_rumour"].labels == {
        "false": "rumour",
        "true": "rumour",
        "unverified": "rumour",
    }  # type: ignore[index]
    folds = {"pheme": (6, "a.json"), "pheme_rumour": (6, "b.json")}
    assert len(expand(pheme, base, folds)) == len(pheme.arms) * 3 * 6 * 2


def _gate_mode(spec: dict) -> set[str]:
    """The keys beside ``name`` of a prior at the defaults of when the studies ran: the modality
    gate's mode was ``soft`` then (``bound`` since), and the study files state it."""
    if spec["name"] == "modality_gate":
        assert spec.get("mode") == "soft"
        return {"mode"}
    return set()


@pytest.mark.real_data
def shipped_priors() -> set[str]:
    """The priors priorkit itself registers (a test elsewhere registers a user's prior, which
    stays registered for the rest of the session)."""
    return {name for name in PRIORS.names() if PRIORS.get(name).__module__.startswith("priorkit.")}


def test_the_story_study_has_every_prior_at_its_defaults() -> None:
    story, base = load_study(RECIPES / "twitter15_story_study.yaml")
    assert story.folds is not None and (story.folds.kind, story.folds.folds, story.folds.tfidf) == (
        "story",
        5,
        0.5,
    )
    single = {arm: p[0]["name"] for arm, spec in story.arms.items() if len(p := spec["priors"]) == 1}
    assert all(arm == name for arm, name in single.items())  # each arm is named after its prior
    # every prior registered when the study ran (its README table), at its defaults; the priors of
    # real shift came later (label_shift, group_invariance, text_neighbours: recipes/real_shift_*.yaml)
    assert set(single) == shipped_priors() - {"label_shift", "group_invariance", "text_neighbours"}
    assert all(
        set(spec) == {"name"} | _gate_mode(spec) for arm in story.arms.values() for spec in arm["priors"]
    )
    assert len(expand(story, base, {"twitter15": (5, "s.json")})) == len(story.arms) * 3 * 5


@pytest.mark.real_data
def test_the_twitter15_real_shift_study_has_every_prior_at_its_defaults_on_newer_trees() -> None:
    shift, base = load_study(RECIPES / "real_shift_twitter15.yaml")
    assert shift.folds is not None and shift.folds.kind == "temporal" and shift.folds.per_class
    assert shift.datasets["twitter15"].periods == 5  # type: ignore[index]  # groups for group_invariance
    named = {spec["name"] for arm in shift.arms.values() for spec in arm["priors"]}
    assert named == shipped_priors() and "baseline" in shift.arms
    assert all(
        set(spec) <= {"name", "method", "within_class", "kind", "mode"}
        for arm in shift.arms.values()
        for spec in arm["priors"]
    )
    assert len(expand(shift, base, {"twitter15": (3, "t.json")})) == len(shift.arms) * 3 * 3


@pytest.mark.real_data
def test_the_real_shift_study_of_the_recipe_network_runs_one_prior_an_arm_on_the_same_folds() -> None:
    words, base = load_study(RECIPES / "real_shift_twitter15_words.yaml")
    raw, _ = load_study(RECIPES / "real_shift_twitter15.yaml")
    recipe = RunConfig.from_yaml(RECIPES / "twitter15_baseline.yaml")
    assert words.folds == raw.folds and words.seeds == raw.seeds  # the folds of the raw-release study
    assert words.datasets["twitter15"].format == "twitter_rvnn"  # type: ignore[index]
    assert base.model == recipe.model and base.train == recipe.train  # the recipe's network
    assert words.arms["baseline"] == {"priors": []}  # no prior, not even the recipe's own
    singles = {name: arm["priors"] for name, arm in words.arms.items() if name != "baseline"}
    assert all(len(priors) == 1 for priors in singles.values())
    assert singles["modality_dropout"] == [
        p.model_dump(exclude_defaults=True) | {"name": p.name} for p in recipe.priors
    ]
    assert singles["text_neighbours"] == [{"name": "text_neighbours"}]  # at its defaults


@pytest.mark.real_data
def test_the_cross_collection_study_trains_on_twitter15_and_scores_all_of_pheme() -> None:
    cross, base = load_study(RECIPES / "cross_collection_study.yaml")
    _, shift_base = load_study(RECIPES / "real_shift_twitter15.yaml")
    shift, _ = load_study(RECIPES / "real_shift_twitter15.yaml")
    assert base == shift_base and cross.arms == shift.arms  # the same arms, on another shift
    data = cross.datasets["twitter15"]  # type: ignore[index]
    assert cross.folds is not None and cross.folds.kind == "story" and not data.node_features
    pheme = data.evaluate["pheme"]
    assert not isinstance(pheme, str) and pheme.format == "pheme"
    assert pheme.labels == {"non-rumour": "non-rumor"}  # PHEME's classes under Twitter15's names
    trials = expand(cross, base, {"twitter15": (3, "t.json")})
    assert len(trials) == len(cross.arms) * 3 * 3 and all(t.evaluate == data.evaluate for t in trials)


@pytest.mark.real_data
def test_the_pheme_study_of_the_twitter15_settings_runs_them_unchanged_on_the_same_tasks() -> None:
    settings, base = load_study(RECIPES / "pheme_twitter15_settings.yaml")
    _, twitter15_base = load_study(RECIPES / "twitter15_story_study.yaml")
    pheme, _ = load_study(RECIPES / "pheme_study.yaml")
    assert base == twitter15_base  # the Twitter15 baseline's config, unchanged
    assert settings.arms == {"baseline": {"priors": []}}
    assert settings.datasets == pheme.datasets and settings.folds == pheme.folds
    assert settings.seeds == pheme.seeds


def _signal_accuracy(strength: float, num_classes: int, rng) -> float:  # type: ignore[no-untyped-def]
    """Bayes accuracy of one node's signal channel (class means evenly in [-strength, strength],
    sd 1; nearest mean wins), by simulation."""
    means = np.linspace(-1.0, 1.0, num_classes) * strength
    labels = rng.integers(0, num_classes, size=200_000)
    values = rng.normal(means[labels], 1.0)
    guesses = np.abs(values[:, None] - means[None, :]).argmin(axis=1)
    return float((guesses == labels).mean())


def test_the_generalisation_study_marks_a_prior_wrong_exactly_where_its_world_makes_it_false() -> None:
    """The `wrong` marks follow from each world's config, not from the results: a text prior is wrong
    where the root's channel alone beats the text, where the signal sits off the root, or where the
    shortcut is the text itself; a root prior where the signal sits off the root (and it is neutral
    to a shortcut in the text)."""
    study, _ = load_study(RECIPES / "generalisation_study.yaml")
    rng = np.random.default_rng(0)
    assert len(study.datasets) >= 12 and len(study.seeds) == 3
    assert all(
        set(spec) == {"name"} | _gate_mode(spec) for arm in study.arms.values() for spec in arm["priors"]
    )
    for name, data in study.datasets.items():
        world = data.synth
        assert world is not None
        off_root = any(where != "root" for where in world.signal)
        root = _signal_accuracy(world.signal.get("root", 0.0), world.num_classes, rng)
        text_wrong = off_root or root > 1.0 - world.text_noise or world.shortcut == "text"
        expected = {
            "modality_gate": "wrong" if text_wrong else "away",
            "counterfactual": "wrong" if text_wrong else "away",
            "depth_decay": "wrong" if off_root else "neutral" if world.shortcut == "text" else "away",
            "supervised_attention": "wrong"
            if off_root
            else "neutral"
            if world.shortcut == "text"
            else "away",
        }
        assert {arm: data.expect.get(arm, "away") for arm in expected} == expected, name


def test_the_time_world_is_the_step_its_choice_study_names() -> None:
    study, _ = load_study(RECIPES / "generalisation_study.yaml")
    steps, steps_base = load_study(RECIPES / "generalisation_time_steps.yaml")
    _, base = load_study(RECIPES / "generalisation_study.yaml")
    assert steps_base == base and set(steps.arms) == {"baseline"}
    assert study.datasets["time_shortcut"].synth == steps.datasets["step_4"].synth


@pytest.mark.real_data
def test_the_gate_bound_studies_run_todays_default_on_the_folds_of_the_studies_they_extend() -> None:
    story, story_base = load_study(RECIPES / "gate_bound_story.yaml")
    older, _ = load_study(RECIPES / "twitter15_story_study.yaml")
    assert story.datasets == older.datasets and story.folds == older.folds and story.seeds == older.seeds
    pheme, pheme_base = load_study(RECIPES / "gate_bound_pheme.yaml")
    shift, _ = load_study(RECIPES / "real_shift_study.yaml")
    assert pheme.folds == shift.folds and pheme.datasets["pheme"] == shift.datasets["pheme"]  # type: ignore[index]
    for study, base, name in ((story, story_base, "twitter15"), (pheme, pheme_base, "pheme")):
        assert study.arms == {
            "baseline": {"priors": []},
            "modality_gate": {"priors": [{"name": "modality_gate"}]},
        }
        gated = [t for t in expand(study, base, {name: (2, "f.json")}) if t.arm == "modality_gate"]
        assert gated and all(t.config.priors[0].mode == "bound" for t in gated)  # type: ignore[attr-defined]
