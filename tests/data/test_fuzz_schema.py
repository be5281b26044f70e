"""Fuzzing the sample schema (hypothesis): a valid record loads, through a file and from memory,
with every node kept; anything else is a DataValidationError whose every problem names a place
(line or row), a field and a fix; no other exception ever escapes."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from priorkit.data.jsonl import read_jsonl, validate_jsonl
from priorkit.data.problems import DataValidationError
from priorkit.data.tables import from_records

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8).filter(
    lambda s: s.strip() != ""
)
FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(1, 8))
    ids = draw(st.lists(NAMES, min_size=size, max_size=size, unique=True))
    width = draw(st.sampled_from([None, 1, 3]))
    nodes = []
    for i, node_id in enumerate(ids):
        node: dict[str, Any] = {"id": node_id, "parent": None if i == 0 else ids[draw(st.integers(0, i - 1))]}
        if width is not None:
            node["features"] = draw(st.lists(FINITE, min_size=width, max_size=width))
        for key, values in (
            ("text", st.text(max_size=12)),
            ("time", st.floats(min_value=0, max_value=1e5)),
            ("importance", st.floats(min_value=0, max_value=10)),
            ("user", NAMES),
        ):
            if draw(st.booleans()):
                node[key] = draw(values)
        nodes.append(node)
    draw(st.randoms()).shuffle(nodes)  # parents may come after their children
    record: dict[str, Any] = {
        "id": draw(NAMES | st.integers(0, 10**6)),
        "text": draw(st.text(max_size=20)),
        "nodes": nodes,
    }
    if draw(st.booleans()):
        record["label"] = draw(NAMES | st.integers(-5, 5))
    if draw(st.booleans()):
        record["group"] = draw(NAMES)
    if draw(st.booleans()):
        record["created_at"] = draw(st.floats(min_value=0, max_value=2e9))
    return record


def _paths(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every place in the record a value sits (keys and list positions)."""
    out: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        out.append(path)
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        )
        for key, child in items:
            walk(child, (*path, key))

    walk(record, ())
    return out[1:]


@st.composite
def broken_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with one place replaced, removed, or one unknown key added."""
    record = draw(valid_records())
    path = draw(st.sampled_from(_paths(record)))
    *head, last = path
    container: Any = record
    for key in head:
        container = container[key]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        container[last] = draw(JSON | st.sampled_from([math.nan, math.inf, -1.0, "", " ", None, [], {}]))
    elif action == "remove":
        del container[last]
    elif isinstance(container, dict):
        container[draw(st.text(max_size=6))] = draw(JSON)
    return record


def _check_problems(error: DataValidationError) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.field and problem.message and problem.fix, problem
        assert problem.line >= 0 and "\n" not in str(problem)


def _load_both_ways(record: Any) -> None:
    """Load ``record`` from memory and from a file: both succeed alike, or both raise
    DataValidationError with named problems."""
    outcomes = []
    try:
        loaded = from_records([record])
        outcomes.append(("ok", [len(s.parent_index) for s in loaded]))
    except DataValidationError as error:
        _check_problems(error)
        outcomes.append(("refused", None))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.jsonl"
        path.write_text(json.dumps(record, allow_nan=True) + "\n", encoding="utf-8")
        try:
            loaded = read_jsonl(path)
            outcomes.append(("ok", [len(s.parent_index) for s in loaded]))
        except DataValidationError as error:
            _check_problems(error)
            assert [str(p) for p in error.problems] == [str(p) for p in validate_jsonl(path)]
            outcomes.append(("refused", None))
    if not _nan_field(record):  # stated policy: a NaN field of a record is missing; JSONL refuses NaN
        assert outcomes[0][0] == outcomes[1][0], outcomes


def _nan_field(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return any(_nan_field(v) for v in items)


@FUZZ
@given(valid_records())
def test_a_valid_record_loads_with_every_node(record: dict[str, Any]) -> None:
    (sample,) = from_records([record])
    assert len(sample.parent_index) == len(record["nodes"]) and sample.text == record["text"]
    _load_both_ways(record)


@FUZZ
@given(broken_records())
def test_a_record_broken_in_one_place_is_refused_by_name_or_still_valid(record: dict[str, Any]) -> None:
    _load_both_ways(record)


@FUZZ
@given(JSON | st.dictionaries(st.sampled_from(["id", "text", "label", "nodes", "group", "x"]), JSON))
def test_any_json_value_is_loaded_or_refused_by_name(value: Any) -> None:
    _load_both_ways(value)
