"""Datasets from Python records and tables: a list of dicts, a pandas table of samples with
trees as networkx graphs or as a parent/child edge table, and the ``csv`` format (a samples
CSV plus an edges CSV). Every record is validated as a JSONL line is, rows named instead of
lines."""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from priorkit.data.dataset import TreeDataset
from priorkit.data.loaders.base import require_file
from priorkit.data.networkx_io import graph_nodes, structure_problems
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.record_checks import RecordChecks
from priorkit.data.records import sample_from_record
from priorkit.errors import PriorkitError, first_line

SAMPLE_COLUMNS = ("id", "text", "label", "group", "created_at", "counterfactual_of")
NODE_COLUMNS = ("text", "time", "importance", "user")
EDGE_COLUMNS = ("sample", "node", "parent")
# columns of names (ids, labels, groups): pandas stores an integer column with an empty cell as
# floats, exact below 2**53 (read back as the integers they were), rounded above it
NAME_COLUMNS = ("id", "label", "group", "counterfactual_of", "sample", "node", "parent", "user")
EXACT_INTEGERS = 2**53
_NODE_FIELD = re.compile(r"^nodes\[(\d+)\]")


def from_records(
    records: Iterable[Mapping[str, Any]], source: str = "<records>", unit: str = "row", first: int = 0
) -> TreeDataset:
    """A dataset from JSON-like records (the fields of a JSONL line), validated as a file is.

    Args:
        records: one mapping per sample; ``nodes`` a list of node mappings or a networkx DiGraph.
        source: names the records in problems; unit, first: how records are numbered there
            (``row`` from 0 for lists and DataFrames, ``line`` from 2 for a CSV with a header).

    Raises:
        DataValidationError: every problem of every record.
    """
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise PriorkitError(
            f"records: expected a list (or any iterable) of mappings, one per sample (got "
            f"{type(records).__name__}). One record: pk.from_records([record])."
        )
    dataset, problems = _collect(records, source, unit, first)
    if problems:
        raise DataValidationError(problems)
    return dataset


def _collect(
    records: Iterable[Mapping[str, Any]], source: str, unit: str, first: int
) -> tuple[TreeDataset, list[Problem]]:
    checks = RecordChecks(source, unit)
    samples, problems = [], []
    for number, record in enumerate(records, start=first):
        obj = dict(record) if isinstance(record, Mapping) else record
        graph = obj.get("nodes") if isinstance(obj, dict) else None
        found_in_graph = (
            structure_problems(graph, source, number, _sample_id(obj), unit)
            if isinstance(graph, nx.Graph)
            else []
        )
        if found_in_graph:
            problems.extend(found_in_graph)
            continue
        if isinstance(graph, nx.DiGraph):
            obj["nodes"] = graph_nodes(graph)
        try:
            _, parsed, found = checks.check(number, _plain(obj))
        except RecursionError:
            parsed, found = None, [_too_deep(source, unit, number, obj)]
        if parsed is not None:
            samples.append(sample_from_record(parsed[0], parsed[1], f"{source} {unit} {number}"))
        problems.extend(found)
    return TreeDataset(samples), problems


def _too_deep(source: str, unit: str, number: int, obj: Any) -> Problem:
    return Problem(
        source,
        number,
        _sample_id(obj),
        "-",
        "nested too deeply to read, or holds itself (a sample is a few levels deep)",
        None,
        "give plain values: strings, numbers, lists of node mappings",
        unit=unit,
    )


def _sample_id(obj: Any) -> str:
    sample = obj.get("id") if isinstance(obj, dict) else None
    return str(sample) if isinstance(sample, (str, int)) else "?"


def from_pandas(
    samples: pd.DataFrame,
    trees: Mapping[Any, nx.DiGraph] | None = None,
    edges: pd.DataFrame | None = None,
    tree_column: str = "tree",
    source: str = "samples",
    edges_source: str = "edges",
) -> TreeDataset:
    """A dataset from a table of samples (``id``, ``text``, optional ``label``, ``group``,
    ``created_at``, ``counterfactual_of``; other columns are not read) and their trees, given
    one of three ways: a ``tree_column`` of networkx DiGraphs (parent -> child), ``trees`` (sample
    id -> DiGraph), or ``edges``, a table of one row per node: ``sample``, ``node``, ``parent``
    (empty for the root), optional ``text``, ``time``, ``importance``, ``user``.

    Problems name the row (``df.iloc[row]``) of the samples table and, for nodes, the row of
    the edge table.

    Raises:
        DataValidationError: every problem found; a missing tree is one.
    """
    _check_kinds(samples, trees, edges)
    given = [trees is not None, edges is not None, tree_column in samples.columns]
    if sum(given) != 1:
        raise DataValidationError(
            [
                Problem.whole_line(
                    source,
                    0,
                    "-",
                    "expected the trees one way: a 'tree' column, trees=, or edges=",
                    f"{sum(given)} ways",
                    "give exactly one of them",
                )
            ]
        )
    misspelt = _misspelt(samples, (*SAMPLE_COLUMNS, tree_column), source) + _rounded(samples, source)
    if edges is not None:
        misspelt += _misspelt(edges, (*EDGE_COLUMNS, *NODE_COLUMNS), edges_source)
        misspelt += _rounded(edges, edges_source)
    if misspelt:
        raise DataValidationError(misspelt)
    rows = _table_records(samples, (*SAMPLE_COLUMNS, tree_column))
    edge_rows: dict[str, list[int]] = {}
    problems: list[Problem] = []
    if edges is not None:
        nodes_of, edge_rows, problems = _edge_nodes(edges, {str(r.get("id")) for r in rows}, edges_source)
    by_id = None if trees is None else {str(_name(k)): v for k, v in trees.items()}  # 1, 1.0, "1" alike
    treeless: set[int] = set()  # rows without a tree: named once, not again as empty nodes
    for number, row in enumerate(rows):
        key = row.get("id")
        if edges is not None:
            row["nodes"] = nodes_of.get(str(key), [])
        elif by_id is not None:
            row["nodes"] = by_id.get(str(key), [])
            if str(key) not in by_id:
                treeless.add(number)
                problems.append(_no_tree(source, number, str(key), list(by_id)[:3]))
        else:
            row["nodes"] = row.pop(tree_column)
    dataset, found = _collect(rows, source, "row", 0)
    found = [p for p in found if not (p.line in treeless and p.field == "nodes")]
    problems += [_with_edge_row(p, edge_rows) for p in found]
    if problems:
        raise DataValidationError(problems)
    return dataset


def _check_kinds(samples: Any, trees: Any, edges: Any) -> None:
    """Refuse arguments of another kind than :func:`from_pandas` reads, naming the argument."""
    wrong = [
        f"{name}: expected {kind} (got {type(value).__name__})"
        for name, value, kind, ok in (
            ("samples", samples, "a pandas DataFrame", isinstance(samples, pd.DataFrame)),
            (
                "trees",
                trees,
                "a mapping (or pandas Series) of sample id -> networkx DiGraph",
                trees is None or isinstance(trees, (Mapping, pd.Series)),
            ),
            ("edges", edges, "a pandas DataFrame", edges is None or isinstance(edges, pd.DataFrame)),
        )
        if not ok
    ]
    if wrong:
        raise PriorkitError(
            f"pk.from_pandas: {'; '.join(wrong)}. Records (dicts) are read by pk.from_records, a list of "
            "trees by trees=dict(zip(ids, graphs))."
        )


def _no_tree(source: str, number: int, sample: str, keys: list[Any]) -> Problem:
    return Problem(
        source,
        number,
        sample,
        "nodes",
        "trees= has no tree for this sample",
        None,
        f"add trees[{sample!r}] (trees= is keyed by the samples' ids, e.g. {keys!r})",
        unit="row",
    )


def _table_records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    kept = [c for c in frame.columns if c in columns]
    return [
        {
            k: _name(v) if k in NAME_COLUMNS else v
            for k, v in zip(kept, values, strict=True)
            if not _missing(v)
        }
        for values in frame[kept].itertuples(index=False, name=None)
    ]


def _name(value: Any) -> Any:
    """A whole float of a name column as the integer it was (pandas' integer column with an
    empty cell; exact below 2**53, and :func:`_rounded` refuses the rest)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < EXACT_INTEGERS:
        return int(value)
    return value


def _rounded(table: pd.DataFrame, source: str) -> list[Problem]:
    """Name columns stored as floats that hold integers past 2**53: their digits are lost
    (tweet ids are such integers), so no id read from them can be trusted."""
    problems = []
    for column in table.columns:
        if str(column) not in NAME_COLUMNS or not pd.api.types.is_float_dtype(table[column]):
            continue
        values = table[column].dropna()
        exact = min(EXACT_INTEGERS, 2 ** (np.finfo(table[column].dtype).nmant + 1))  # float32: 2**24
        big = values[values.abs() >= exact]
        if len(big):
            problems.append(
                Problem.whole_line(
                    source,
                    0,
                    "-",
                    f"column {str(column)!r} holds {table[column].dtype} values past {exact:.0f}, where the "
                    "digits of an integer id are lost (pandas stores an integer column with an empty cell "
                    "as floats)",
                    show_value(float(big.iloc[0])),
                    "read the column as text (dtype=str) or as pandas' nullable integers (.astype('Int64'))",
                )
            )
    return problems


def _misspelt(table: pd.DataFrame, known: tuple[str, ...], source: str) -> list[Problem]:
    """Columns that look like a misspelt known column (``lable``, ``parnet``): read as they are,
    they would be left out, and the data they hold lost; and a known column given twice. Other
    unknown columns are the user's own and are not read."""
    problems = []
    for column in map(str, table.columns):
        close = [] if column in known else difflib.get_close_matches(column, known, n=1, cutoff=0.8)
        if close:
            problems.append(
                Problem.whole_line(
                    source,
                    0,
                    "-",
                    f"column {column!r} is not one priorkit reads (did you mean {close[0]!r}?)",
                    None,
                    f"rename it to {close[0]!r}, or drop it",
                )
            )
    names = list(map(str, table.columns))
    for column in sorted({c for c in names if c in known and names.count(c) > 1}):
        problems.append(  # which copy holds the data is not for priorkit to guess
            Problem.whole_line(
                source,
                0,
                "-",
                f"column {column!r} is given {names.count(column)} times",
                None,
                "keep one of them, e.g. df.loc[:, ~df.columns.duplicated()]",
            )
        )
    return problems


def _edge_nodes(
    edges: pd.DataFrame, sample_ids: set[str], source: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[int]], list[Problem]]:
    """Node records per sample from an edge table, each node's edge row, and rows that name no
    sample of the samples table."""
    missing = [c for c in ("sample", "node") if c not in edges.columns]
    if missing:
        raise DataValidationError(
            [
                Problem.whole_line(
                    source,
                    0,
                    "-",
                    f"missing column {', '.join(missing)}",
                    show_value(list(edges.columns)),
                    "give one row per node: sample, node, parent (empty for the root)",
                )
            ]
        )
    nodes: dict[str, list[dict[str, Any]]] = {}
    rows: dict[str, list[int]] = {}
    problems = []
    for row, record in enumerate(_table_records(edges, EDGE_COLUMNS + NODE_COLUMNS)):
        sample = str(record.pop("sample", ""))
        if sample not in sample_ids:
            problems.append(
                Problem(
                    source,
                    row,
                    sample,
                    "sample",
                    "names no sample of the samples table",
                    show_value(sample),
                    "fix the id, or add the sample",
                    unit="row",
                )
            )
            continue
        record["id"] = record.pop("node", None)
        record.setdefault("parent", None)
        nodes.setdefault(sample, []).append(record)
        rows.setdefault(sample, []).append(row)
    return nodes, rows, problems


def _with_edge_row(problem: Problem, edge_rows: dict[str, list[int]]) -> Problem:
    match = _NODE_FIELD.match(problem.field)
    rows = edge_rows.get(problem.sample)
    if match is None or rows is None or int(match.group(1)) >= len(rows):
        return problem
    return Problem(
        problem.file,
        problem.line,
        problem.sample,
        problem.field,
        f"{problem.message} (edges row {rows[int(match.group(1))]})",
        problem.got,
        problem.fix,
        problem.unit,
    )


def load_csv(source: str | os.PathLike[str], edges: str | os.PathLike[str] | None = None) -> TreeDataset:
    """The ``csv`` format: a samples CSV (``id``, ``text``, ``label``, ...) and an edges CSV
    (``sample``, ``node``, ``parent``, ...), as :func:`from_pandas` reads them.

    Args:
        source: the samples CSV, or a folder holding ``samples.csv`` and ``edges.csv``.
        edges: the edges CSV (default: ``edges.csv`` beside the samples file).
    """
    path = Path(source)
    samples_file = path / "samples.csv" if path.is_dir() else path
    edges_file = Path(edges) if edges is not None else samples_file.with_name("edges.csv")
    frames = []
    for file, what in ((samples_file, "samples CSV"), (edges_file, "edges CSV (sample, node, parent)")):
        require_file(file, what)
        frames.append(_read_csv(file))
    for frame in frames:
        for column in ("time", "importance", "created_at"):
            if column in frame.columns:
                frame[column] = frame[column].map(_number_or_text)
    if "text" in frames[0].columns:  # an empty cell is an empty text (allowed), not a missing one
        frames[0]["text"] = frames[0]["text"].fillna("")
    return from_pandas(frames[0], edges=frames[1], source=str(samples_file), edges_source=str(edges_file))


def _read_csv(file: Path) -> pd.DataFrame:
    """A CSV file as text columns (empty cells missing); a file pandas cannot parse is a
    problem of that file, with the line pandas names."""
    try:
        with warnings.catch_warnings():  # a first row longer than the header: pandas would shift it
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""], index_col=False)
    except pd.errors.ParserWarning:
        line, width = _first_long_row(file)
        problem = Problem.whole_line(
            str(file),
            line,
            "-",
            f"a row of more fields than the header's {width}",
            None,
            "remove the extra fields, or name their column in the header",
        )
        raise DataValidationError([problem]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        problem = Problem.whole_line(
            str(file),
            0,
            "-",
            f"not a readable CSV file: {first_line(error)}",
            None,
            "fix the quoting at that line (a quote opened must be closed), or save it again as UTF-8 CSV",
        )
        raise DataValidationError([problem]) from None


def _first_long_row(file: Path) -> tuple[int, int]:
    """The line of the first row with more fields than the header, and the header's width."""
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        width = len(next(reader, []))
        for row in reader:
            if len(row) > width:
                return reader.line_num, width
    return 0, width


def _number_or_text(value: Any) -> Any:
    if _missing(value):
        return None
    try:
        number = float(value)
    except ValueError:
        return value  # validation names it with what it expected
    return value if math.isnan(number) else number  # a cell reading "nan" is not an empty one


def _missing(value: Any) -> bool:
    """An empty cell (None, NaN, pandas NA / NaT); lists, arrays and graphs never are."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, np.ndarray, nx.Graph)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any, in_list: bool = False) -> Any:
    """numpy and pandas values as the plain JSON-like values validation expects. A NaN field
    (pandas' empty cell) is missing; a NaN inside a list (a feature) stays NaN, to be named."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, True) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v, True) for v in value.tolist()]
    if isinstance(value, Iterator | range):  # a generator or map given for a list: read it once
        return [_plain(v, True) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value) and not in_list:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value
