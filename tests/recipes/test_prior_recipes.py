"""Every strategy of recipes/prior_strategy.py runs on the shipped data (one epoch) and prints what
it promises, the same as the five strategy scripts printed before configs were typed."""

import runpy
import sys
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize(
    "name", ["modality_gate", "depth_decay", "supervised_attention", "counterfactual", "combined"]
)
def test_strategy_recipe_prints_accuracy_reliance_and_compliance(
    name: str, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    script = RECIPES / "prior_strategy.py"
    argv = [str(script), name, "--out", str(tmp_path / name), "--set", "train.epochs=1"]
    monkeypatch.setattr(sys, "argv", [*argv, "--set", f"train.cache_dir={tmp_path / 'cache'}"])
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    for needed in ("test: accuracy", "test_ood: accuracy", "reliance text", "root attention", "(target "):
        assert needed in out, needed
    assert (tmp_path / name / "eval_test_ood.json").is_file()
    # golden/<name>.txt: what recipes/<name>.py printed at commit 9faf274 (same settings, run line left out)
    printed = [line for line in out.splitlines() if not line.startswith("run: ")]
    assert printed == (GOLDEN / f"{name}.txt").read_text().splitlines()


def test_an_unknown_strategy_is_refused_with_the_choices(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", [str(RECIPES / "prior_strategy.py"), "depth"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(RECIPES / "prior_strategy.py"), run_name="__main__")
    assert exit_.value.code == 2 and "invalid choice: 'depth'" in capsys.readouterr().err
