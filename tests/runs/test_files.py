from priorkit.runs.files import listed_changes


def test_listed_changes_shows_the_first_ones_and_says_when_there_are_more() -> None:
    changes = [f"train.seed: {i} -> {i + 1}" for i in range(5)]
    assert listed_changes(changes[:2], 4) == "train.seed: 0 -> 1; train.seed: 1 -> 2"
    assert listed_changes(changes, 5) == "; ".join(changes)
    assert listed_changes(changes, 2) == "train.seed: 0 -> 1; train.seed: 1 -> 2 ..."
