"""The study files of recipes/ load and expand into the grids they promise."""

from pathlib import Path

import pytest

from priorkit.ablation import expand, load_study
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
        Path(t.evaluate["test_ood"]).is_file() and Path(t.config["data"]["train"]).is_file() for t in trials
    )


def test_the_sweep_study_sweeps_lambda() -> None:
    study, base = load_study(RECIPES / "synthetic_sweep.yaml")
    arms = {t.arm for t in expand(study, base)}
    assert {f"depth_decay@decay={v}" for v in (0.0, 0.5, 1.0, 2.0, 4.0)} <= arms


@pytest.mark.real_data
def test_the_real_data_studies_point_at_the_shared_datasets() -> None:
    twitter, base = load_study(RECIPES / "twitter15_study.yaml")
    trials = expand(twitter, base)
    assert len(trials) == len(twitter.arms) * 3 * 5
    assert Path(trials[0].source) == real_data("twitter15").resolve()  # type: ignore[arg-type]
    pheme, base = load_study(RECIPES / "pheme_study.yaml")
    assert Path(pheme.datasets["pheme"].source) == real_data("pheme6").resolve()  # type: ignore[arg-type,index]
    assert len(expand(pheme, base, {"pheme": 6})) == len(pheme.arms) * 3 * 6
