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
