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


def test_training_data_of_one_label_is_refused_naming_it() -> None:
    with pytest.raises(
        IncompatibleDataError, match=r"data.train: expected samples of two labels or more \(got 2 of 'tea'"
    ):
        DataSchema.of(from_records([record("a", label="tea"), record("b", label="tea")]))


def test_a_feature_width_the_node_encoder_cannot_hold_is_refused_naming_the_sample() -> None:
    import numpy as np
    import scipy.sparse as sp

    samples = list(from_records([record("a", label="tea"), record("b", label="coffee")]))
    samples[0].features = sp.csr_matrix((samples[0].num_nodes, 2**30), dtype=np.float32)  # built by hand
    with pytest.raises(
        IncompatibleDataError, match=r"data.train: sample a \(.*\): features: expected at most 16,777,216"
    ):
        DataSchema.of(samples)


def test_the_schema_counts_training_samples_that_are_counterfactuals_of_another_one() -> None:
    records = [
        record("a"),
        record("a2", counterfactual_of="a"),
        record("b", label="positive"),
        record("c2", counterfactual_of="elsewhere"),  # its original is not among the training samples
    ]
    schema = DataSchema.of(from_records(records))
    assert (schema.pairs, schema.unpaired) == (1, ("c2",))  # c2 names no training sample
    samples = list(from_records(records))
    samples[2].counterfactual_of = "b"  # built by hand as its own counterfactual: not a pair
    assert (DataSchema.of(samples).pairs, DataSchema.of(samples).unpaired) == (1, ("c2",))
    assert DataSchema.of(samples[:3]).unpaired == ()


def test_the_schema_counts_training_samples_that_mark_a_node_important() -> None:
    import numpy as np

    samples = list(from_records([record("a"), record("b", label="positive"), record("c")]))
    for sample in samples:
        sample.importance = None
    assert DataSchema.of(samples).important == 0
    samples[0].importance = np.zeros(samples[0].num_nodes, dtype=np.float32)  # given, but none marked
    samples[1].importance = np.eye(samples[1].num_nodes, dtype=np.float32)[0]
    schema = DataSchema.of(samples)
    assert schema.important == 1
    assert DataSchema.from_dict(schema.to_dict()).important == -1  # not saved: a trained model passed
