import networkx as nx
import numpy as np
import pytest

import priorkit as pk
from priorkit.data.networkx_io import from_networkx, to_networkx
from priorkit.data.problems import DataValidationError
from priorkit.data.records import sample_from_dict
from priorkit.errors import ConfigError
from tests.conftest import record


def test_round_trip_keeps_structure_and_attributes() -> None:
    sample = sample_from_dict(record(group="ev"))
    graph = to_networkx(sample)
    assert sorted(graph.edges) == [("u0", "u1"), ("u1", "u2")]
    assert graph.graph == {"id": "r1", "text": "the pasta was cold", "label": "negative", "group": "ev"}
    assert graph.nodes["u1"]["importance"] == 1.0 and graph.nodes["u2"]["text"] == "agreed"
    again = from_networkx(graph)
    assert again.node_ids == sample.node_ids
    assert again.parent_index.tolist() == sample.parent_index.tolist()
    assert np.array_equal(again.features, sample.features)
    assert np.array_equal(again.time, sample.time, equal_nan=True)


def test_hand_built_graph_with_attributes_given_as_arguments() -> None:
    graph = nx.DiGraph()
    graph.add_edges_from([("author", "f1"), ("author", "f2"), ("f1", "f3")])
    sample = from_networkx(graph, id="g", text="nice", label=1)
    assert sample.root == 0 and sample.depth.tolist() == [0, 1, 1, 2]


def test_node_with_two_parents_is_refused() -> None:
    graph = nx.DiGraph([("a", "b"), ("a", "c"), ("c", "b")])
    with pytest.raises(DataValidationError, match=r"nodes\[1\]\.parent: expected the id of another node"):
        from_networkx(graph, id="g", text="t", label=0)


def test_a_multigraph_edge_given_twice_is_refused_not_merged() -> None:
    graph = nx.MultiDiGraph([("a", "b"), ("a", "c"), ("a", "b")])
    edges = (
        r"nodes\[1\]\.parent: expected one edge from a node's parent \(node 'b'\) \(got 2 edges 'a' -> 'b'"
    )
    with pytest.raises(DataValidationError, match=edges + r".*nx\.DiGraph\(graph\)"):
        from_networkx(graph, id="g", text="t", label=0)
    with pytest.raises(DataValidationError, match=r"row 1: sample r: nodes\[1\]\.parent: expected one edge"):
        pk.from_records([record("q"), {"id": "r", "text": "t", "label": 0, "nodes": graph}])
    single = nx.MultiDiGraph([("a", "b"), ("a", "c")])
    assert from_networkx(single, id="g", text="t", label=0).depth.tolist() == [0, 1, 1]


def test_forest_is_refused() -> None:
    graph = nx.DiGraph([("a", "b"), ("c", "d")])
    with pytest.raises(DataValidationError, match="2 roots"):
        from_networkx(graph, id="g", text="t", label=0)


@pytest.mark.parametrize("graph", [[(0, 1)], None, {"nodes": []}])
def test_something_that_is_not_a_networkx_graph_is_named(graph: object) -> None:
    with pytest.raises(
        ConfigError, match=r"graph: expected a networkx DiGraph of parent -> child edges \(got"
    ):
        from_networkx(graph)  # type: ignore[arg-type]


def test_to_networkx_names_what_is_not_one_sample() -> None:
    sample = sample_from_dict(record())
    with pytest.raises(
        ConfigError, match=r"sample: expected a TreeSample \(got list\)\. For a dataset: \[pk\.to_networkx"
    ):
        to_networkx([sample])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"got dict"):
        to_networkx(record())  # type: ignore[arg-type]
