import runpy
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "data_tour.py"


def test_data_tour_runs_on_the_shipped_data(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", [str(RECIPE), "--batch-size", "4"])
    runpy.run_path(str(RECIPE), run_name="__main__")
    out = capsys.readouterr().out
    assert "samples: 600" in out
    assert "one batch: 4 samples" in out
