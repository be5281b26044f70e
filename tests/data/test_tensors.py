import zlib

import numpy as np
import pytest
import scipy.sparse as sp

from priorkit.data.labels import LabelSpace, UnknownLabelError
from priorkit.data.records import sample_from_dict
from priorkit.data.tensors import keep_nodes, sample_to_data
from priorkit.data.users import UserVocabulary
from tests.conftest import record


def test_fields_of_one_graph() -> None:
    sample = sample_from_dict(record())
    data = sample_to_data(sample, LabelSpace(("negative", "positive")))
    assert data.x.shape == (3, 2)
    assert data.edge_index.tolist() == [[0, 1], [1, 2]]
    assert data.depth.tolist() == [0, 1, 2]
    assert data.parent_index.tolist() == [0, 0, 1]
    assert data.root_index.tolist() == [0]
    assert data.time.tolist() == [0.0, 3.5, 0.0] and data.time_mask.tolist() == [True, True, False]
    assert data.importance.tolist() == [0.0, 1.0, 0.0]
    assert data.y.tolist() == [0] and data.text == "the pasta was cold"
    assert data.node_text == [None, None, "agreed"]


def test_root_need_not_be_first() -> None:
    line = record()
    line["nodes"] = [{"id": "b", "parent": "a"}, {"id": "a", "parent": None}]
    data = sample_to_data(sample_from_dict(line))
    assert data.root_index.tolist() == [1] and data.parent_index.tolist() == [1, 1]
    assert data.edge_index.tolist() == [[1], [0]] and data.depth.tolist() == [1, 0]
    assert data.x.shape == (2, 0) and "y" not in data


def test_sparse_features_stay_sparse() -> None:
    sample = sample_from_dict(record())
    sample.features = sp.csr_matrix(np.eye(3, 7, dtype=np.float32))
    x = sample_to_data(sample).x
    assert x.is_sparse and x.shape == (3, 7)
    assert np.array_equal(x.to_dense().numpy(), np.eye(3, 7))


def test_user_hashes_are_stable_and_zero_when_unknown() -> None:
    line = record()
    line["nodes"][0]["user"] = "alice"
    line["nodes"][2]["user"] = "alice"
    data = sample_to_data(sample_from_dict(line))
    assert data.user_code[0] == data.user_code[2] != 0 and data.user_code[1] == 0
    assert int(data.user_code[0]) == zlib.crc32(b"alice") + 1  # not hash(): the same in every process


def test_a_user_vocabulary_numbers_the_users() -> None:
    line = record()
    line["nodes"][0]["user"] = "alice"
    line["nodes"][1]["user"] = "bob"
    sample = sample_from_dict(line)
    data = sample_to_data(sample, users=UserVocabulary(("alice", "carol"), min_count=1))
    assert data.user_code.tolist() == [1, 0, 0]


def test_unknown_label_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(
        UnknownLabelError, match=r"sample r1: label: expected one of 'a', 'b' \(got 'negative'\)"
    ):
        sample_to_data(sample_from_dict(record()), LabelSpace(("a", "b")))


def test_label_space_orders_ints_before_strings() -> None:
    assert LabelSpace.from_labels(["b", 2, "a", 1, 2]).names == (1, 2, "a", "b")


def test_keep_nodes_renumbers_parents_and_root() -> None:
    line = record()
    line["nodes"] = [
        {"id": "b", "parent": "a", "features": [1.0, 1.0]},
        {"id": "c", "parent": "b", "features": [2.0, 2.0]},
        {"id": "a", "parent": None, "features": [3.0, 3.0]},
    ]
    sample = sample_from_dict(line)
    sample.features = sp.csr_matrix(sample.features)
    data = sample_to_data(sample)
    kept = keep_nodes(data, data.depth <= 1)
    assert kept.num_nodes == 2 and kept.parent_index.tolist() == [1, 1] and kept.root_index.tolist() == [1]
    assert kept.edge_index.tolist() == [[1], [0]] and kept.depth.tolist() == [1, 0]
    assert kept.x.is_sparse and kept.x.to_dense().tolist() == [[1.0, 1.0], [3.0, 3.0]]
    assert data.num_nodes == 3 and data.x.shape == (3, 2)  # the input is untouched


def test_wrong_arguments_are_named() -> None:
    from priorkit.errors import ConfigError, PriorkitError

    sample = sample_from_dict(record())
    with pytest.raises(
        PriorkitError, match=r"sample_to_data: expected a TreeSample \(got dict\)\. .*pk.sample_from_dict"
    ):
        sample_to_data(record())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"labels: expected a LabelSpace or None \(got list\)"):
        sample_to_data(sample, ["negative", "positive"])  # type: ignore[arg-type]
    with pytest.raises(PriorkitError, match=r"users: expected a UserVocabulary or None \(got dict\)"):
        sample_to_data(sample, None, {"u1": 1})  # type: ignore[arg-type]


def test_a_label_space_is_made_of_labels_only() -> None:
    from priorkit.errors import ConfigError

    assert LabelSpace.from_labels(["b", 2, "a", 2]).names == (2, "a", "b")
    numpy = LabelSpace.from_labels(np.array([1, 0, 1]))  # a pandas or numpy column
    assert numpy.names == (0, 1) and all(type(name) is int for name in numpy.names)
    with pytest.raises(
        ConfigError, match=r"labels\[1\]: expected a label \(got None\): that sample is unlabelled"
    ):
        LabelSpace.from_labels(["a", None])
    with pytest.raises(ConfigError, match=r"labels\[0\]: expected a string or an integer \(got float\)"):
        LabelSpace.from_labels([1.5])
    with pytest.raises(ConfigError, match=r"labels: expected a list of labels.*\(got NoneType\)"):
        LabelSpace.from_labels(None)  # type: ignore[arg-type]
    assert LabelSpace(["a", "b"]) == LabelSpace(("a", "b"))  # a list is taken as the tuple
    with pytest.raises(
        ConfigError, match=r"LabelSpace: expected the class names, .*\(got str\); from a dataset"
    ):
        LabelSpace("ab")  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"LabelSpace: names\[1\]: expected a string or an integer \(got None\)"
    ):
        LabelSpace(("a", None))  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match=r"LabelSpace: expected each class name once \(got 'a' more than once\)"
    ):
        LabelSpace(("a", "b", "a"))
