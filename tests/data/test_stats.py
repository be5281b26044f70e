from priorkit.data.dataset import TreeDataset
from priorkit.data.records import sample_from_dict
from priorkit.data.stats import dataset_stats
from tests.conftest import record


def test_stats_of_two_samples() -> None:
    second = record("r2", label="positive", group="e")
    second["nodes"] = [{"id": "a", "parent": None, "features": [1.0, 2.0]}]
    stats = dataset_stats(TreeDataset([sample_from_dict(record(group="e")), sample_from_dict(second)]))
    assert (stats.samples, stats.nodes) == (2, 4)
    assert stats.labels == {"negative": 1, "positive": 1} and stats.groups == {"e": 2}
    assert stats.nodes_by_depth == {0: 2, 1: 1, 2: 1}
    assert (stats.nodes_per_tree.min, stats.nodes_per_tree.max, stats.depth_per_tree.max) == (1, 3, 2)
    assert stats.num_features == 2 and not stats.sparse
    assert "labels: negative 1, positive 1" in stats.lines()


def test_stats_take_what_pk_fit_takes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A JSONL path and a list of records give the same stats as the dataset; anything else is
    named (it was an AttributeError)."""
    import json

    import pytest

    from priorkit.errors import PriorkitError

    records = [record(), record("r2", label="positive")]
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    expected = dataset_stats(TreeDataset([sample_from_dict(r) for r in records]))
    assert dataset_stats(path) == expected and dataset_stats(str(path)) == expected
    assert dataset_stats(records) == expected
    with pytest.raises(PriorkitError, match=r"dataset: expected a JSONL path, a TreeDataset, .* \(got int\)"):
        dataset_stats(5)  # type: ignore[arg-type]
