import pytest

from priorkit.priors import Check


@pytest.mark.parametrize(
    ("check", "achieved", "passes", "described"),
    [
        (Check("reliance.text", 0.8, "near", 0.1), 0.71, True, "0.80 +- 0.10"),
        (Check("reliance.text", 0.8, "near", 0.1), 0.69, False, "0.80 +- 0.10"),
        (Check("root_mass", 0.5, "at_least"), 0.5, True, ">= 0.50"),
        (Check("root_mass", 0.5, "at_least"), 0.49, False, ">= 0.50"),
        (Check("kl", 0.25, "at_most"), 0.3, False, "<= 0.25"),
    ],
)
def test_rules(check: Check, achieved: float, passes: bool, described: str) -> None:
    assert check.passes(achieved) is passes and check.describe() == described
