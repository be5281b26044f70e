"""Every strategy recipe runs on the shipped data (one epoch) and prints what it promises."""

import runpy
import sys
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.mark.parametrize(
    "name", ["modality_gate", "depth_decay", "supervised_attention", "counterfactual", "combined"]
)
def test_strategy_recipe_prints_accuracy_reliance_and_compliance(
    name: str, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    script = RECIPES / f"{name}.py"
    argv = [str(script), "--out", str(tmp_path / name), "--set", "train.epochs=1"]
    monkeypatch.setattr(sys, "argv", [*argv, "--set", f"train.cache_dir={tmp_path / 'cache'}"])
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    for needed in ("test: accuracy", "test_ood: accuracy", "reliance text", "root attention", "(target "):
        assert needed in out, needed
    assert (tmp_path / name / "eval_test_ood.json").is_file()
