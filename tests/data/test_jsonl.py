"""Every validation case of the format: each names the file, line, sample, field and a fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from priorkit.data.jsonl import read_jsonl, validate_jsonl, write_jsonl
from priorkit.data.problems import DataValidationError
from priorkit.data.records import sample_to_record
from priorkit.errors import PriorkitError
from tests.conftest import assert_same_samples, record


def node_edit(index: int, **changes: Any) -> dict[str, Any]:
    out = record()
    out["nodes"][index].update(changes)
    return out


def without(key: str) -> dict[str, Any]:
    out = record()
    del out[key]
    return out


CASES = [
    ("not json", ['{"id": "r1", "text": '], ":1: sample ?: -: not valid JSON"),
    ("missing id", [without("id")], ":1: sample ?: id: missing field"),
    ("empty id", [record(sample_id="")], ":1: sample ?: id: expected a non-empty string"),
    (
        "label as a number and as a string",
        [record(label=1), record(sample_id="r2", label="1")],
        ":2: sample r2: label: a string here, but line 1 writes the same label as a number (got '1')",
    ),
    (
        "empty label",
        [record(label="")],
        "label: expected a non-empty string or an integer, or null (unlabelled) (got '')",
    ),
    (
        "boolean label",
        [record(label=True)],
        "label: expected a non-empty string or an integer, or null (unlabelled) (got True)",
    ),
    ("missing nodes", [without("nodes")], ":1: sample r1: nodes: missing field"),
    ("empty nodes", [record(nodes=[])], "nodes: expected a non-empty list of node objects (got [])"),
    (
        "a node that is null",
        [record(nodes=[None])],
        'nodes[0]: expected a node object, {"id": ..., "parent": ...} (got None)',
    ),
    (
        "duplicate sample ids",
        [record(), record()],
        ":2: sample r1: id: duplicate sample id (first at line 1)",
    ),
    (
        "duplicate blank sample ids",
        [record(id=" "), record(id=" ")],
        ":2: sample \" \": id: duplicate sample id (first at line 1) (got ' ')",
    ),
    ("no root", [node_edit(0, parent="u2")], "nodes: no root: every node has a parent"),
    ("two roots", [node_edit(2, parent=None)], "nodes: 2 roots (nodes[0] 'u0', nodes[2] 'u2')"),
    (
        "unknown parent",
        [node_edit(2, parent="u9")],
        "nodes[2].parent: names no node of this sample (got 'u9')",
    ),
    ("own parent", [node_edit(1, parent="u1")], "nodes[1].parent: a node cannot be its own parent"),
    (
        "cycle",
        [{**record(), "nodes": [*record()["nodes"], {"id": "a", "parent": "b"}, {"id": "b", "parent": "a"}]}],
        "cycle of parents 'a' -> 'b' -> 'a'",
    ),
    (
        "duplicate node ids",
        [node_edit(2, id="u1")],
        "nodes[2].id: duplicate node id (first at nodes[1]) (got 'u1')",
    ),
    (
        "non-numeric feature",
        [node_edit(1, features=[0.5, "x"])],
        "nodes[1].features[1]: expected a finite number within float32 range (|x| <= 3.4e38) (got 'x')",
    ),
    (
        "NaN feature",
        ['{"id": "r1", "text": "t", "label": 1, "nodes": [{"id": "a", "parent": null, "features": [NaN]}]}'],
        "nodes[0].features[0]: expected a finite number within float32 range (|x| <= 3.4e38) (got nan)",
    ),
    (
        "infinite feature",
        [
            '{"id": "r1", "text": "t", "label": 1, "nodes": [{"id": "a", "parent": null, "features": [Infinity]}]}'
        ],
        "nodes[0].features[0]: expected a finite number within float32 range (|x| <= 3.4e38) (got inf)",
    ),
    (
        "widths differ in a sample",
        [node_edit(2, features=[1.0])],
        "nodes[2].features: length differs from nodes[0] (2)",
    ),
    (
        "features on some nodes only",
        [node_edit(2, features=None)],
        "nodes[2].features: missing while other nodes have features",
    ),
    ("non-string text", [record(text=5)], ":1: sample r1: text: expected a string (got 5)"),
    (
        "non-string node text",
        [node_edit(2, text=["a"])],
        "nodes[2].text: expected a string or null (got ['a'])",
    ),
    (
        "unknown field",
        [node_edit(0, parnet=None)],
        "nodes[0].parnet: unknown field (got None); remove it or fix its spelling",
    ),
    (
        "negative importance",
        [node_edit(1, importance=-1)],
        "nodes[1].importance: expected a finite number >= 0",
    ),
    ("not an object", ["[1, 2]"], ":1: sample ?: -: expected a JSON object"),
    (
        "feature overflows float32",
        [node_edit(0, features=[1e308, 0.0])],
        "nodes[0].features[0]: expected a finite number within float32 range (|x| <= 3.4e38) (got 1e+308)",
    ),
    (
        "time overflows float32",
        [node_edit(1, time=-1e39)],
        "nodes[1].time: expected a finite number of minutes",
    ),
    (
        "created_at not a time",
        [record(created_at="last tuesday")],
        "created_at: expected seconds since 1970-01-01 UTC, an ISO 8601 time (2015-01-07T11:11:33Z), or null, "
        "between the years 1 and 3000 (got 'last tuesday')",
    ),
    (
        "created_at in milliseconds",
        [record(created_at=1420629093000)],
        "between the years 1 and 3000 (got 1420629093000); give when the sample was posted, e.g. "
        '"created_at": "2015-01-07T11:11:33Z" (a number of milliseconds: divide it by 1000)',
    ),
    (
        "created_at beyond what a datetime holds once in UTC",
        [record(created_at="9999-12-31T23:59:59-10:00")],
        "created_at: expected seconds since 1970-01-01 UTC",
    ),
    (
        "created_at not finite",
        [record(created_at=1e400)],
        "created_at: expected seconds since 1970-01-01 UTC",
    ),
]


@pytest.mark.parametrize(("name", "lines", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_place_and_fix(write_lines, name, lines, expected) -> None:  # type: ignore[no-untyped-def]
    path = write_lines(lines)
    problems = [str(p) for p in validate_jsonl(path)]
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"{path}:") for p in problems)
    assert all("; " in p for p in problems), "every problem says how to fix it"
    with pytest.raises(DataValidationError) as raised:
        read_jsonl(path)
    assert any(expected in str(p) for p in raised.value.problems)


def test_feature_widths_must_agree_across_the_file(write_lines) -> None:  # type: ignore[no-untyped-def]
    other = record(sample_id="r2")
    for node in other["nodes"]:
        node["features"] = [1.0, 2.0, 3.0]
    problems = [str(p) for p in validate_jsonl(write_lines([record(), other]))]
    assert problems == [
        p for p in problems if ":2: sample r2: nodes[0].features: 3 features per node, but line 1 has 2" in p
    ]
    assert len(problems) == 1


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "r1", "text": "caf\xe9", "label": 1, "nodes": [{"id": "a", "parent": null}]}\n')
    (problem,) = validate_jsonl(path)
    assert str(problem).startswith(f"{path}:1: sample ?: -: not valid UTF-8 at byte 25")
    assert "re-save the file with UTF-8 encoding" in str(problem)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n \n")
    (problem,) = validate_jsonl(path)
    assert (
        str(problem)
        == f"{path}:0: sample -: -: the file is empty; write one JSON sample per line (see datasets/README.md)"
    )
    with pytest.raises(DataValidationError):
        read_jsonl(path, on_error="skip")


def test_a_line_nested_thousands_deep_is_a_problem_of_its_line(write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines(
        [record("a"), '{"id": "b", "text": ' + "[" * 100_000 + "]" * 100_000 + "}", record("c")]
    )
    (problem,) = validate_jsonl(path)
    assert str(problem).startswith(f"{path}:2: sample ?: -: JSON nested too deeply to read")
    assert [s.id for s in read_jsonl(path, on_error="skip")] == ["a", "c"]


def test_a_line_over_the_size_limit_is_reported_without_being_read(write_lines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRIORKIT_MAX_LINE_MB", "0.01")  # 10,485 bytes
    long = record("b", text="word " * 5_000)
    path = write_lines([record("a"), long, record("c")])
    (problem,) = validate_jsonl(path)
    assert str(problem).startswith(f"{path}:2: sample ?: -: a line of 25,")
    assert "more than the 10,485 a sample may take" in str(problem)
    assert "set $PRIORKIT_MAX_LINE_MB to a larger number" in str(problem)
    assert [s.id for s in read_jsonl(path, on_error="skip")] == ["a", "c"]
    monkeypatch.setenv("PRIORKIT_MAX_LINE_MB", "1")
    assert [s.id for s in read_jsonl(path)] == ["a", "b", "c"]


def test_a_line_of_exactly_the_limit_is_read_and_the_file_may_end_without_a_newline(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    line = json.dumps(record("a")).encode()
    monkeypatch.setenv("PRIORKIT_MAX_LINE_MB", str(len(line) / 2**20))
    path = tmp_path / "exact.jsonl"
    path.write_bytes(line + b"\n" + line.replace(b'"a"', b'"b"'))
    assert [s.id for s in read_jsonl(path)] == ["a", "b"]
    path.write_bytes(line + b" \n")
    assert "more than the" in str(validate_jsonl(path)[0])


@pytest.mark.parametrize("value", ["0", "-3", "lots", "inf", "nan", "1e400", "9e18"])
def test_a_wrong_size_limit_is_named(tmp_path: Path, monkeypatch, value: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRIORKIT_MAX_LINE_MB", value)
    with pytest.raises(
        PriorkitError,
        match=r"\$PRIORKIT_MAX_LINE_MB: expected a number of megabytes above 0, at most 1000000",
    ):
        validate_jsonl(tmp_path / "any.jsonl")


def test_all_problems_are_collected_not_just_the_first(write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), "nope", record("b", label=""), node_edit(2, parent="zz")])
    with pytest.raises(DataValidationError) as raised:
        read_jsonl(path)
    assert [p.line for p in raised.value.problems] == [2, 3, 4]


def test_skip_policy_reports_every_dropped_sample(write_lines) -> None:  # type: ignore[no-untyped-def]
    bad = node_edit(2, parent="zz")
    bad["id"] = "r9"
    path = write_lines([record("a"), "nope", bad, record("b")])
    dataset = read_jsonl(path, on_error="skip")
    assert [s.id for s in dataset] == ["a", "b"]
    assert [(d.id, d.line) for d in dataset.report.dropped] == [("?", 2), ("r9", 3)]
    lines = dataset.report.lines()
    assert any(f"{path}:3: sample r9: dropped (nodes[2].parent: names no node" in line for line in lines)


def test_unknown_policy_is_refused(write_lines) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="on_error: expected one of"):
        read_jsonl(write_lines([record()]), on_error="ignore")  # type: ignore[arg-type]


def test_valid_file_loads_every_field(write_lines) -> None:  # type: ignore[no-untyped-def]
    sample = read_jsonl(write_lines([record(group="ev1")]))[0]
    assert (sample.id, sample.text, sample.label, sample.group) == (
        "r1",
        "the pasta was cold",
        "negative",
        "ev1",
    )
    assert sample.parent_index.tolist() == [0, 0, 1]
    assert sample.depth.tolist() == [0, 1, 2]
    assert np.allclose(sample.features, [[0.1, 2.0], [0.5, 1.0], [0.0, -1.0]])
    assert np.isnan(sample.time[2]) and sample.time[1] == 3.5
    assert sample.importance.tolist() == [0.0, 1.0, 0.0]
    assert sample.node_text == [None, None, "agreed"]
    assert sample.source.endswith(":1")


def test_blank_lines_are_not_samples(write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), "", "   ", record("b")])
    dataset = read_jsonl(path)
    assert [s.source.rsplit(":", 1)[1] for s in dataset] == ["1", "4"]


def test_integer_ids_and_labels(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record(sample_id=17, label=3)
    line["nodes"] = [{"id": 1, "parent": None}, {"id": 2, "parent": 1}]
    sample = read_jsonl(write_lines([line]))[0]
    assert (sample.id, sample.label, sample.node_ids) == ("17", 3, ["1", "2"])


def test_sparse_features_round_trip(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    for k, node in enumerate(line["nodes"]):
        node["features"] = {"size": 10, "indices": [k, 9], "values": [1.0, 2.5]}
    sample = read_jsonl(write_lines([line]))[0]
    assert sample.features.shape == (3, 10) and sample.features.nnz == 6
    write_jsonl([sample], tmp_path / "again.jsonl")
    again = read_jsonl(tmp_path / "again.jsonl")[0]
    assert (again.features != sample.features).nnz == 0


def test_a_number_too_long_to_read_is_a_problem_of_its_line(write_lines) -> None:  # type: ignore[no-untyped-def]
    long = json.dumps(record("b"))[:-1] + ', "x": ' + "9" * 5000 + "}"  # more digits than Python converts
    path = write_lines([record("a"), long])
    (problem,) = validate_jsonl(path)
    assert str(problem).startswith(f"{path}:2: sample ?: -: a number too long to read (Exceeds the limit")
    assert [s.id for s in read_jsonl(path, on_error="skip")] == ["a"]


def test_a_sparse_width_beyond_the_limit_is_refused_before_a_model_is_built(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    for node in line["nodes"]:
        node["features"] = {"size": 10**12, "indices": [1], "values": [1.0]}
    problems = [str(p) for p in validate_jsonl(write_lines([line]))]
    assert any(
        "nodes[0].features.size: expected an integer from 1 to 16,777,216 (2**24)" in p for p in problems
    )


def test_sparse_index_out_of_range(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    for node in line["nodes"]:
        node["features"] = {"size": 4, "indices": [7], "values": [1.0]}
    problems = [str(p) for p in validate_jsonl(write_lines([line]))]
    assert any("nodes[0].features.indices: an index is not below size (got 7)" in p for p in problems)


def test_a_sparse_index_given_twice_is_refused_not_summed(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    for node in line["nodes"]:
        node["features"] = {"size": 4, "indices": [1, 3, 1], "values": [1.0, 2.0, 5.0]}
    path = write_lines([line])
    problems = [str(p) for p in validate_jsonl(path)]
    assert any("nodes[0].features.indices: an index is given twice (got 1)" in p for p in problems)
    with pytest.raises(
        DataValidationError, match=r"data.jsonl:1: sample r1: nodes\[0\].features.indices: an index"
    ):
        read_jsonl(path)


def test_a_sample_named_as_its_own_counterfactual_is_refused(write_lines) -> None:  # type: ignore[no-untyped-def]
    problems = [str(p) for p in validate_jsonl(write_lines([record("r1", counterfactual_of="r1")]))]
    assert problems == [
        f"{problems[0].split(':')[0]}:1: sample r1: counterfactual_of: names the sample itself (got 'r1'); "
        "name the original, another sample"
    ]


def test_created_at_reads_numbers_and_iso_times(write_lines) -> None:  # type: ignore[no-untyped-def]
    samples = read_jsonl(
        write_lines(
            [record("a", created_at=1420629093), record("b", created_at="2015-01-07T11:11:33Z"), record("c")]
        )
    )
    assert [s.created_at for s in samples] == [1420629093.0, 1420629093.0, None]


def test_write_then_read_is_lossless(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    original = read_jsonl(
        write_lines([record("a", group="g", created_at=1420629093.5), record("b", label=2)])
    )
    write_jsonl(original, tmp_path / "out.jsonl")
    again = read_jsonl(tmp_path / "out.jsonl")
    assert_same_samples(original, again)
    assert not list(tmp_path.glob("*.partial"))


def test_input_dicts_are_not_mutated(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    before = copy.deepcopy(line)
    read_jsonl(write_lines([line]))
    assert line == before


def test_a_sample_without_label_is_valid_for_prediction_and_refused_for_training(write_lines) -> None:  # type: ignore[no-untyped-def]
    from priorkit.data.labels import require_labels

    path = write_lines([without("label"), record(sample_id="r2")])
    assert validate_jsonl(path) == []
    dataset = read_jsonl(path)
    assert dataset[0].label is None and "label" not in sample_to_record(dataset[0])
    with pytest.raises(DataValidationError) as caught:
        require_labels(dataset, "training")
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1: sample r1: label: missing (training needs a label on every sample); "
        "add the label, or leave the sample to prediction (`priorkit predict`)"
    ]


def test_a_lone_surrogate_is_refused_where_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    line = json.dumps(record()).replace('"the pasta was cold"', '"cold \\ud800 pasta"')
    path.write_text(line.replace('"agreed"', '"ok \\udfff"') + "\n", encoding="utf-8")
    assert [str(p) for p in validate_jsonl(path)] == [
        f"{path}:1: sample r1: text: not writable as UTF-8: a lone surrogate at character 5 (got 'cold \\ud800 pasta'); "
        "fix the escape (\\ud800-\\udfff come in pairs) or remove the character",
        f"{path}:1: sample r1: nodes[2].text: not writable as UTF-8: a lone surrogate at character 3 (got 'ok \\udfff'); "
        "fix the escape (\\ud800-\\udfff come in pairs) or remove the character",
    ]


def test_dense_and_sparse_features_in_one_tree_are_named_as_such(write_lines) -> None:  # type: ignore[no-untyped-def]
    line = record()
    line["nodes"][1]["features"] = {"size": 2, "indices": [0], "values": [1.0]}
    assert next(str(p) for p in validate_jsonl(write_lines([line]))).endswith(
        "sample r1: nodes[1].features: sparse {size, indices, values} here, but nodes[0] has a dense list; "
        "give every node features of one kind: all dense lists or all sparse objects"
    )


def test_a_problem_stays_on_one_line_and_names_an_unknown_key_that_is_hard_to_see(write_lines) -> None:  # type: ignore[no-untyped-def]
    odd = record("a\nb", text=None)
    odd.pop("text")
    odd[""] = 1
    odd["a b"] = 2
    path = write_lines([odd])
    problems = [str(p) for p in validate_jsonl(path)]
    assert all("\n" not in p for p in problems)
    assert any(f'{path}:1: sample "a\\nb": "": unknown field (got 1)' in p for p in problems)
    assert any('sample "a\\nb": "a b": unknown field (got 2)' in p for p in problems)


def test_a_long_cycle_is_named_in_a_short_line(write_lines) -> None:  # type: ignore[no-untyped-def]
    n = 10_000
    nodes = [{"id": "root", "parent": None}] + [
        {"id": f"n{i}", "parent": f"n{(i + 1) % n}"} for i in range(n)
    ]
    (problem,) = validate_jsonl(write_lines([record("a", nodes=nodes)]))
    assert "cycle of parents 'n0' -> 'n1' -> 'n2' -> 'n3' -> 'n4' -> 'n5' -> ... (10000 nodes in all)" in str(
        problem
    )
    assert len(str(problem)) < 300


def test_a_key_given_twice_in_one_object_is_a_problem_not_a_silent_last_value(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text(
        '{"id": "a", "text": "t", "label": "x", "label": "y", "nodes": [{"id": "r", "parent": null}]}\n'
        '{"id": "b", "text": "t", "nodes": [{"id": "r", "parent": null, "parent": "r"}]}\n'
    )
    assert [str(p) for p in validate_jsonl(path)] == [
        f"{path}:1: sample ?: -: the key 'label' is given twice in one object (JSON would keep the last "
        "silently); give each key once",
        f"{path}:2: sample ?: -: the key 'parent' is given twice in one object (JSON would keep the last "
        "silently); give each key once",
    ]


def test_a_label_in_other_unicode_code_points_is_named_not_made_a_second_class(write_lines) -> None:  # type: ignore[no-untyped-def]
    composed, decomposed = "caf\u00e9", "cafe\u0301"  # both print as café
    path = write_lines([record("a", label=composed), record("b", label=decomposed)])
    (problem,) = validate_jsonl(path)
    assert str(problem).startswith(
        f"{path}:2: sample b: label: the same label as line 1 ('café') in other Unicode"
    )


def test_a_byte_order_mark_at_the_start_is_read_as_editors_write_it(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(record("a")).encode() + b"\n" + json.dumps(record("b")).encode() + b"\n"
    )
    assert [s.id for s in read_jsonl(path)] == ["a", "b"]


def test_write_jsonl_refuses_what_is_not_samples_and_writes_nothing(tmp_path: Path) -> None:
    from priorkit.data.records import sample_from_dict
    from priorkit.errors import ConfigError

    path = tmp_path / "out.jsonl"
    with pytest.raises(ConfigError, match=r"samples: expected the samples to write.*\(got NoneType\)"):
        write_jsonl(None, path)  # type: ignore[arg-type]
    mixed = [sample_from_dict(record("a")), record("b")]
    with pytest.raises(
        ConfigError,
        match=r"samples\[1\]: expected a TreeSample \(got dict\); nothing was written\. .*pk\.from_records",
    ):
        write_jsonl(mixed, path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []  # no partial file, no half-written one
