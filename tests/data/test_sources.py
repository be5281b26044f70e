"""The data arguments of the Python API, read as a dataset or named."""

from __future__ import annotations

import pandas as pd
import pytest

import priorkit as pk
from priorkit.data.sources import as_dataset
from tests.conftest import record


def test_records_and_samples_are_read_and_a_table_is_sent_to_from_pandas() -> None:
    (sample,) = as_dataset([record()])
    assert as_dataset([sample])[0] is sample
    table = pd.DataFrame({"id": ["r1"], "text": ["t"]})
    with pytest.raises(
        pk.PriorkitError,
        match=r"data: expected a JSONL path.*\(got DataFrame\)\. For a pandas table use pk\.from_pandas",
    ):
        as_dataset(table)
    with pytest.raises(pk.PriorkitError, match=r"data: expected samples \(TreeSample\) or records \(dicts\)"):
        as_dataset(["r1"])


def test_an_unknown_on_error_is_a_config_error() -> None:
    with pytest.raises(pk.ConfigError, match=r"on_error: expected one of .* \(got 'bogus'\)"):
        pk.read_jsonl("x.jsonl", on_error="bogus")  # type: ignore[arg-type]
