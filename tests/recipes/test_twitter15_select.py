"""recipes/twitter15_select.py: its candidates file and its choice on validation accuracy only."""

import re
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from priorkit.errors import ConfigError

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.fixture(scope="module")
def select() -> Iterator[dict]:
    sys.path.insert(0, str(RECIPES))  # as when run as a script: it imports its sibling recipe
    try:
        yield runpy.run_path(str(RECIPES / "twitter15_select.py"))
    finally:
        sys.path.remove(str(RECIPES))


def summary(val: float, seconds: float, test: float, changes: int = 1, val_samples: int = 100) -> dict:
    means = {"val_accuracy": val, "train_seconds": seconds, "accuracy": test, "val_samples": val_samples}
    sets = [f"key{k}=1" for k in range(changes)]
    return {"sets": sets, "summary": {key: (value, 0.0) for key, value in means.items()}}


def test_the_best_validation_accuracy_wins_when_it_is_clearly_ahead(select) -> None:  # type: ignore[no-untyped-def]
    chosen, tied, margin = select["choose"](
        {"slow_best": summary(0.90, 100, 0.70), "fast": summary(0.85, 10, 0.95)}
    )
    assert (chosen, tied, margin) == ("slow_best", ["slow_best"], pytest.approx(0.01))


def test_candidates_closer_than_one_validation_sample_are_tied_and_the_simplest_is_chosen(select) -> None:  # type: ignore[no-untyped-def]
    results = {
        "best": summary(0.900, 100, 0.80, changes=2),
        "close": summary(0.895, 20, 0.70),  # within 1/100 of the best
        "far": summary(0.889, 5, 0.99),  # more than one sample per fold behind: not tied
    }
    chosen, tied, _ = select["choose"](results)
    assert tied == ["best", "close"] and chosen == "close"  # the test accuracy plays no part
    results["as_is"] = summary(0.898, 300, 0.60, changes=0)  # the recipe unchanged, tied: it stays
    assert select["choose"](results)[0] == "as_is"
    results["faster"] = summary(0.896, 10, 0.60)  # same number of changes as "close": the faster
    del results["as_is"]
    assert select["choose"](results)[0] == "faster"


def test_the_shipped_candidates_file_reads_and_a_malformed_one_is_refused(select, tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidates = select["read_candidates"](RECIPES / "twitter15_candidates.yaml")
    assert candidates["as_is"] == [] and all(
        "=" in change for changes in candidates.values() for change in changes
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("candidates: [model.hidden=512]\n")
    with pytest.raises(SystemExit, match=re.escape("bad.yaml: expected 'candidates: {name: [KEY=VALUE")):
        select["read_candidates"](bad)


def test_every_shipped_candidate_is_a_valid_config_and_a_wrong_key_is_named(select) -> None:  # type: ignore[no-untyped-def]
    for sets in select["read_candidates"](RECIPES / "twitter15_candidates.yaml").values():
        select["candidate_config"](sets)
    with pytest.raises(ConfigError, match="hiden"):
        select["candidate_config"](["model.hiden=512"])
    with pytest.raises(SystemExit, match=re.escape("keeps train.monitor=val/accuracy")):
        select["candidate_config"](["train.monitor=val/loss"])
