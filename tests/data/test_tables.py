"""Datasets from records, pandas tables (trees as networkx graphs or as an edge table) and the
``csv`` format: the same samples as JSONL, the same problems with rows named."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from priorkit.cli import main
from priorkit.data.jsonl import read_jsonl
from priorkit.data.networkx_io import from_networkx, to_networkx
from priorkit.data.problems import DataValidationError
from priorkit.data.records import sample_from_dict
from priorkit.data.tables import from_pandas, from_records, load_csv
from priorkit.errors import PriorkitError
from tests.conftest import assert_same_samples, record


def samples_and_edges() -> tuple[pd.DataFrame, pd.DataFrame]:
    samples = pd.DataFrame(
        {
            "id": ["r1", "r2"],
            "text": ["cold pasta", "lovely"],
            "label": ["negative", "positive"],
            "extra": [1, 2],
        }
    )
    edges = pd.DataFrame(
        {
            "sample": ["r1", "r1", "r1", "r2"],
            "node": ["u0", "u1", "u2", "v0"],
            "parent": ["", "u0", "u1", ""],
            "user": ["alice", "bob", None, "carol"],
            "time": [0.0, 3.5, None, 0.0],
        }
    ).replace({"": None})
    return samples, edges


def test_records_are_validated_like_lines_with_rows_named() -> None:
    good = record()
    assert_same_samples(from_records([good]), [sample_from_dict(good)])
    bad = record(sample_id="r2", nodes=[{"id": "a", "parent": None}, {"id": "b", "parent": "zz"}])
    with pytest.raises(DataValidationError) as caught:
        from_records([good, bad, record()])
    assert [str(p) for p in caught.value.problems] == [
        "<records> row 1: sample r2: nodes[1].parent: names no node of this sample (got 'zz'); "
        "add the parent node, or fix the id",
        "<records> row 2: sample r1: id: duplicate sample id (first at row 0) (got 'r1'); give every sample a unique id",
    ]


def test_a_table_with_an_edge_table_is_a_dataset() -> None:
    samples, edges = samples_and_edges()
    dataset = from_pandas(samples, edges=edges)
    first = dataset[0]
    assert [s.id for s in dataset] == ["r1", "r2"] and first.label == "negative"
    assert first.node_ids == ["u0", "u1", "u2"] and first.parent_index.tolist() == [0, 0, 1]
    assert first.user == ["alice", "bob", None] and first.time[1] == pytest.approx(3.5)


def test_a_table_with_networkx_trees_gives_the_same_samples_as_jsonl(small_data: Path) -> None:
    original = list(read_jsonl(small_data / "val.jsonl"))[:5]
    frame = pd.DataFrame(
        {
            "id": [s.id for s in original],
            "text": [s.text for s in original],
            "label": [s.label for s in original],
        }
    )
    trees = {s.id: to_networkx(s) for s in original}
    assert_same_samples(from_pandas(frame, trees=trees), original)
    frame["tree"] = [trees[s.id] for s in original]
    assert_same_samples(from_pandas(frame), original)


def test_problems_name_the_sample_row_and_the_edge_row() -> None:
    samples, edges = samples_and_edges()
    edges.loc[2, "parent"] = "nobody"
    edges.loc[4] = ["r9", "w0", None, None, None]
    samples.loc[1, "label"] = None  # unlabelled: allowed (prediction)
    with pytest.raises(DataValidationError) as caught:
        from_pandas(samples, edges=edges)
    assert [str(p) for p in caught.value.problems] == [
        "edges row 4: sample r9: sample: names no sample of the samples table (got 'r9'); fix the id, or add the sample",
        "samples row 0: sample r1: nodes[2].parent: names no node of this sample (edges row 2) (got 'nobody'); "
        "add the parent node, or fix the id",
    ]


def test_a_sample_without_tree_and_trees_given_twice_are_refused() -> None:
    samples, edges = samples_and_edges()
    with pytest.raises(DataValidationError) as raised:
        from_pandas(samples, trees={"r1": nx.DiGraph([("u0", "u1")])})
    assert [str(p) for p in raised.value.problems] == [
        "samples row 1: sample r2: nodes: trees= has no tree for this sample; add trees['r2'] (trees= is "
        "keyed by the samples' ids, e.g. ['r1'])"
    ]
    with pytest.raises(DataValidationError, match="expected the trees one way"):
        from_pandas(samples, trees={}, edges=edges)
    numbered = pd.DataFrame({"id": [1, 2], "text": ["a", "b"], "label": ["x", "y"]})
    trees = {"1": nx.DiGraph([("u0", "u1")]), "2": nx.DiGraph([("v0", "v1")])}
    assert len(from_pandas(numbered, trees=trees)) == 2  # ids 1 and "1" find the same tree
    for arguments, problem in [
        ({"samples": samples.to_dict(), "trees": trees}, "samples: expected a pandas DataFrame (got dict)"),
        (
            {"samples": samples, "trees": list(trees.values())},
            "trees: expected a mapping (or pandas Series) of sample id",
        ),
        (
            {"samples": samples, "edges": edges.to_dict("records")},
            "edges: expected a pandas DataFrame (got list)",
        ),
    ]:
        with pytest.raises(PriorkitError, match=re.escape(f"pk.from_pandas: {problem}")):
            from_pandas(**arguments)


def test_csv_files_convert_to_jsonl(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    samples, edges = samples_and_edges()
    samples.to_csv(tmp_path / "samples.csv", index=False)
    edges.to_csv(tmp_path / "edges.csv", index=False)
    assert_same_samples(load_csv(tmp_path), from_pandas(samples, edges=edges))
    out = tmp_path / "data.jsonl"
    assert main(["data", "convert", "--format", "csv", str(tmp_path / "samples.csv"), "--out", str(out)]) == 0
    assert "wrote 2 samples" in capsys.readouterr().out
    assert_same_samples(read_jsonl(out), from_pandas(samples, edges=edges))
    (tmp_path / "edges.csv").unlink()
    assert (
        main(["data", "convert", "--format", "csv", str(tmp_path), "--out", str(tmp_path / "again.jsonl")])
        == 2
    )
    assert f"{tmp_path / 'edges.csv'}:0: sample -: -: missing edges CSV" in capsys.readouterr().err


def test_an_unlabelled_row_is_named_by_its_row_where_labels_are_needed() -> None:
    from priorkit.data.labels import require_labels

    samples, edges = samples_and_edges()
    samples.loc[1, "label"] = None
    with pytest.raises(DataValidationError) as caught:
        require_labels(from_pandas(samples, edges=edges), "training")
    assert [str(p) for p in caught.value.problems] == [
        "samples row 1: sample r2: label: missing (training needs a label on every sample); "
        "add the label, or leave the sample to prediction (`priorkit predict`)"
    ]


def test_records_nested_too_deeply_or_holding_themselves_are_named() -> None:
    deep: list = []
    inner = deep
    for _ in range(5000):
        inner.append([])
        inner = inner[0]
    looped = record(sample_id="r9")
    looped["nodes"][0]["self"] = looped
    with pytest.raises(DataValidationError) as caught:
        from_records([record(), record(sample_id="r2", text=deep), looped])
    assert [str(p) for p in caught.value.problems] == [
        f"<records> row {row}: sample {sample}: -: nested too deeply to read, or holds itself (a sample is "
        "a few levels deep); give plain values: strings, numbers, lists of node mappings"
        for row, sample in ((1, "r2"), (2, "r9"))
    ]


def test_nan_in_a_record_or_table_field_means_missing_and_in_a_feature_is_named() -> None:
    nan = float("nan")
    unlabelled = record(label=nan, nodes=[{"id": "a", "parent": None, "time": nan, "user": nan}])
    (sample,) = from_records([unlabelled])
    assert sample.label is None and sample.user in (None, [None]) and sample.time is None
    with pytest.raises(
        DataValidationError, match=r"nodes\[0\].features\[1\]: expected a finite number .* \(got nan\)"
    ):
        from_records([record(nodes=[{"id": "a", "parent": None, "features": [1.0, nan]}])])
    with pytest.raises(DataValidationError, match=r"row 0: sample r1: text: expected a string"):
        from_records([record(text=nan)])


def test_a_csv_cell_reading_nan_is_named_not_taken_for_an_empty_one(tmp_path: Path) -> None:
    samples, edges = samples_and_edges()
    edges = edges.astype({"time": object})
    edges.loc[1, "time"] = "nan"
    samples.to_csv(tmp_path / "samples.csv", index=False)
    edges.to_csv(tmp_path / "edges.csv", index=False)
    with pytest.raises(DataValidationError, match=r"time: expected a finite number .* \(got 'nan'\)"):
        load_csv(tmp_path)


def test_a_record_key_that_is_not_a_string_is_named() -> None:
    with pytest.raises(DataValidationError, match=r"nodes\[0\]\[5\]: expected a string key \(got 5\)"):
        from_records([record(nodes=[{"id": "a", "parent": None, 5: 1.0}])])


def test_lists_given_as_generators_are_read_once_and_validated() -> None:
    nodes = (
        {"id": k, "parent": None if k == 0 else 0, "features": (float(v) for v in range(3))} for k in range(2)
    )
    sparse = {"size": 4, "indices": iter([1]), "values": map(float, [2])}
    (sample,) = from_records([record(nodes=nodes)])
    (other,) = from_records([record(nodes=[{"id": 0, "parent": None, "features": sparse}])])
    assert sample.num_nodes == 2 and sample.features.tolist() == [[0.0, 1.0, 2.0]] * 2
    assert other.features.toarray().tolist() == [[0.0, 2.0, 0.0, 0.0]]


def test_an_undirected_tree_is_named_with_how_to_orient_it() -> None:
    graph = nx.Graph([("a", "b"), ("b", "c")])
    with pytest.raises(DataValidationError) as caught:
        from_records([record(), {**record(sample_id="r2"), "nodes": graph}])
    assert [str(p) for p in caught.value.problems] == [
        "<records> row 1: sample r2: nodes: expected a directed tree, an nx.DiGraph of parent -> child edges "
        "(got an undirected nx.Graph); orient it from its root, e.g. nx.bfs_tree(graph, root) (node "
        "attributes: copy them over)"
    ]
    with pytest.raises(
        DataValidationError, match=r"<networkx t>:0: sample t: nodes: expected a directed tree"
    ):
        from_networkx(graph, id="t", text="x")
    assert from_networkx(nx.bfs_tree(graph, "a"), id="t", text="x").node_ids == ["a", "b", "c"]


def test_a_misspelt_column_is_refused_and_other_columns_are_the_users_own(tmp_path: Path) -> None:
    (tmp_path / "samples.csv").write_text("id,text,lable,notes\na,hello,x,mine\n")
    (tmp_path / "edges.csv").write_text("sample,node,parnet\na,r,\n")
    with pytest.raises(DataValidationError) as caught:
        load_csv(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'samples.csv'}:0: sample -: -: column 'lable' is not one priorkit reads (did you mean "
        "'label'?); rename it to 'label', or drop it",
        f"{tmp_path / 'edges.csv'}:0: sample -: -: column 'parnet' is not one priorkit reads (did you mean "
        "'parent'?); rename it to 'parent', or drop it",
    ]
    (tmp_path / "samples.csv").write_text("id,text,label,notes\na,hello,x,mine\n")
    (tmp_path / "edges.csv").write_text("sample,node,parent\na,r,\n")
    assert [s.label for s in load_csv(tmp_path)] == ["x"]  # `notes` is not read


def test_a_column_priorkit_reads_given_twice_is_refused_in_either_table() -> None:
    samples, edges = samples_and_edges()
    doubled = pd.concat([samples, samples[["label"]]], axis=1)
    with pytest.raises(
        DataValidationError, match=r"samples:0: sample -: -: column 'label' is given 2 times; keep one"
    ):
        from_pandas(doubled, edges=edges)
    with pytest.raises(DataValidationError, match=r"edges:0: sample -: -: column 'parent' is given 2 times"):
        from_pandas(samples, edges=pd.concat([edges, edges[["parent"]]], axis=1))


def test_integer_ids_with_an_empty_cell_read_as_the_integers_they_were_unless_rounded() -> None:
    samples = pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "label": [1, None]})  # float64 now
    edges = pd.DataFrame({"sample": ["a", "a", "b"], "node": [1, 2, 1], "parent": [None, 1, None]})
    dataset = from_pandas(samples, edges=edges)
    assert [s.label for s in dataset] == [1, None] and dataset[0].node_ids == ["1", "2"]
    assert dataset[0].parent_index.tolist() == [0, 0]
    tweet = 615_000_000_000_000_001  # a tweet id: past 2**53, no float holds it
    edges = pd.DataFrame({"sample": ["a", "a"], "node": [tweet, 2], "parent": [None, tweet]})
    with pytest.raises(DataValidationError) as raised:
        from_pandas(samples, edges=edges)
    assert str(raised.value.problems[0]) == (
        "edges:0: sample -: -: column 'parent' holds float64 values past 9007199254740992, where the digits "
        "of an integer id are lost (pandas stores an integer column with an empty cell as floats) (got "
        "6.15e+17); read the column as text (dtype=str) or as pandas' nullable integers (.astype('Int64'))"
    )


def test_float32_ids_past_2_24_are_refused_and_float_ids_find_their_trees() -> None:
    samples = pd.DataFrame({"id": [1.0, 2.0], "text": ["x", "y"], "label": ["p", "n"]})
    trees = {sample_id: nx.DiGraph([("u0", "u1")]) for sample_id in samples.id}  # keys 1.0, 2.0
    assert [s.id for s in from_pandas(samples, trees=trees)] == ["1", "2"]
    assert len(from_pandas(samples, trees=pd.Series(trees))) == 2  # a Series of trees is a mapping too
    wide = samples.assign(id=np.array([16_777_217, 2], dtype=np.float32))
    with pytest.raises(DataValidationError, match=r"column 'id' holds float32 values past 16777216"):
        from_pandas(wide, trees=trees)


@pytest.mark.parametrize(
    ("samples", "edges", "problem"),
    [
        (
            'id,text,label\na,"hello,x\nb,t,y\n',
            "sample,node,parent\na,r,\n",
            r"samples.csv:0: sample -: -: not a readable CSV file: .*EOF inside string",
        ),
        (  # pandas would take the first column for an index and shift every field
            "id,text,label\nr1,hello,positive,EXTRA\nr2,bye,negative\n",
            "sample,node,parent\nr1,u0,\nr2,v0,\n",
            r"samples.csv:2: sample -: -: a row of more fields than the header's 3",
        ),
    ],
    ids=["open quote", "first row too long"],
)
def test_a_csv_that_does_not_parse_as_a_table_is_named(
    tmp_path: Path, samples: str, edges: str, problem: str
) -> None:
    (tmp_path / "samples.csv").write_text(samples)
    (tmp_path / "edges.csv").write_text(edges)
    with pytest.raises(DataValidationError, match=problem):
        load_csv(tmp_path)


def test_trees_of_a_hundred_thousand_nodes_load_as_chains_and_stars() -> None:
    n = 100_000
    chain = [{"id": "0", "parent": None}] + [{"id": str(k), "parent": str(k - 1)} for k in range(1, n)]
    star = [{"id": "0", "parent": None}] + [{"id": str(k), "parent": "0"} for k in range(1, n)]
    long, wide = from_records([record("chain", nodes=chain), record("star", nodes=star)])
    assert long.num_nodes == wide.num_nodes == n
    assert int(long.depth.max()) == n - 1 and int(wide.depth.max()) == 1
