"""A run refuses data it cannot score, naming the sample, its file and the field."""

from __future__ import annotations

import pytest

from priorkit.data.tables import from_records
from priorkit.runs.schema import DataSchema, IncompatibleDataError
from tests.conftest import record


def test_an_unseen_label_names_the_sample_and_a_look_alike_in_other_code_points() -> None:
    schema = DataSchema.of(from_records([record("a", label="caf\u00e9"), record("b", label="tea")]))
    scored = from_records([record("c", label="tea"), record("d", label="cafe\u0301")], source="new.jsonl")
    with pytest.raises(IncompatibleDataError) as raised:
        schema.check(scored, "data.test")
    message = str(raised.value)
    assert message.startswith("data.test: sample d (new.jsonl row 1): label: expected one of 'café', 'tea'")
    assert "is 'café' in other Unicode code points" in message
