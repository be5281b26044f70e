"""The leakage report on splits whose leaks are known: retold stories across a random split,
none across a story split."""

from __future__ import annotations

import numpy as np
import pytest

from priorkit.analysis.leakage import LeakageReport, checked_threshold, leakage_report
from priorkit.data.split_plan import SplitConfig, make_splits
from priorkit.errors import ConfigError
from tests.data.test_split_plan import story_dataset


def test_random_folds_of_retold_stories_leak_and_story_folds_do_not() -> None:
    data = story_dataset(copies=6)
    random = make_splits(data, SplitConfig(kind="stratified", k=3))
    report = leakage_report(data, random.splits, "stratified", threshold=0.5)
    assert report.mean("near_duplicates")[0] == 1.0  # every story is retold in training
    assert report.mean("nearest")[0] == 1.0  # so a 1-NN on the text is perfect
    story = make_splits(data, SplitConfig(kind="story", k=3))
    honest = leakage_report(data, story.splits, "story", threshold=0.5)
    assert honest.mean("near_duplicates")[0] == 0.0
    assert honest.mean("nearest")[0] < 0.7


def test_majority_and_probe_references() -> None:
    data = story_dataset(copies=6)
    plan = make_splits(data, SplitConfig(kind="stratified", k=3))
    embeddings = np.asarray([[1.0, 0.0] if s.label == "rumour" else [0.0, 1.0] for s in data])
    report = leakage_report(data, plan.splits, "stratified", embeddings=embeddings, features="label oracle")
    for fold in report.folds:
        assert fold.probe == 1.0 and fold.nearest == 1.0  # the features give the label away
        assert fold.majority == 0.5 and fold.majority_f1 == 1 / 3  # balanced labels: half right
        assert fold.n_test + fold.n_train == len(data)


def test_report_round_trips_and_prints_a_table() -> None:
    data = story_dataset(copies=6)
    plan = make_splits(data, SplitConfig(kind="story", k=3))
    report = leakage_report(data, plan.splits, "story")
    again = LeakageReport.from_dict(report.to_dict())
    assert again == report
    lines = report.lines()
    assert lines[0].startswith("Leakage of the story split (near-duplicate: TF-IDF cosine >= 0.5")
    assert lines[-1].startswith("| mean +- std | | 0.000 +- 0.000 |")
    assert sum(line.startswith("| fold") for line in lines) == 3 + 1  # the header and three folds


def test_post_time_reference_shows_labels_collected_in_time_blocks() -> None:
    data = story_dataset(copies=6)
    for k, sample in enumerate(data):
        sample.created_at = (
            0.0 if sample.label == "rumour" else 1e6
        ) + k  # each label posted in its own month
    plan = make_splits(data, SplitConfig(kind="story", k=3))
    report = leakage_report(data, plan.splits, "story")
    assert report.mean("posted")[0] == 1.0 and "1-NN post time" in report.lines()[2]
    for sample in data:
        sample.created_at = None
    untimed = leakage_report(data, plan.splits, "story")
    assert "posted" not in untimed.references and "post time" not in "\n".join(untimed.lines())
    assert "posted" not in untimed.to_dict()["mean"]  # type: ignore[operator]


def test_users_probe_reads_who_spread_the_tree() -> None:
    data = story_dataset(copies=6)
    assert (
        "users_probe"
        not in leakage_report(
            data, make_splits(data, SplitConfig(kind="story", k=3)).splits, "story"
        ).references
    )
    for sample in data:  # the same accounts spread every tree of one label
        sample.user = [f"fan_of_{sample.label}_{k}" for k in range(sample.num_nodes)]
    plan = make_splits(data, SplitConfig(kind="story", k=3))
    report = leakage_report(data, plan.splits, "story")
    assert report.mean("users_probe")[0] == 1.0 and report.mean("probe")[0] < 1.0
    assert "linear probe text + users" in report.lines()[2]


@pytest.mark.parametrize("threshold", [0, -0.5, 1.5, float("nan"), float("inf"), True, "0.5", None])
def test_a_threshold_that_is_no_cosine_above_0_is_refused(threshold: object) -> None:
    """Above 1 (or NaN) no pair is a near-duplicate, at 0 or below every pair is: both reports
    would look clean or damning for no reason."""
    with pytest.raises(ConfigError, match=r"threshold: expected a TF-IDF cosine above 0 and at most 1"):
        checked_threshold(threshold)
    assert checked_threshold(1) == 1.0 and checked_threshold(0.5) == 0.5


def test_the_report_and_user_documents_take_what_pk_fit_takes() -> None:
    """Records give the report and the user documents that the dataset gives."""
    from priorkit.analysis.leakage import user_documents
    from priorkit.data.records import sample_to_record

    dataset = story_dataset()
    records = [sample_to_record(s) for s in dataset]
    splits = make_splits(dataset, SplitConfig(kind="story", k=3, seed=0)).splits
    assert user_documents(records) == user_documents(dataset)
    assert (
        leakage_report(records, splits, "story").to_dict()
        == leakage_report(dataset, splits, "story").to_dict()
    )


def test_splits_that_are_not_folds_are_named() -> None:
    data = story_dataset(copies=2)
    plan = make_splits(data, SplitConfig(kind="stratified", k=2))
    for wrong, shown in ((plan, "SplitPlan"), ([0, 1], "a list holding other things")):
        with pytest.raises(ConfigError, match=rf"splits: expected a list of folds, .*\(got {shown}\)"):
            leakage_report(data, wrong, "stratified")  # type: ignore[arg-type]
