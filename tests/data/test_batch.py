import subprocess
import sys

import torch

from priorkit.data.batch import make_loader
from priorkit.data.dataset import TreeDataset
from priorkit.data.labels import LabelSpace
from priorkit.data.records import sample_from_dict
from tests.conftest import record


def two_samples() -> TreeDataset:
    second = record("r2", label="positive", text="lovely soup")
    second["nodes"] = [
        {"id": "x", "parent": "y", "features": [1.0, 1.0]},
        {"id": "y", "parent": None, "features": [2.0, 2.0]},
    ]
    return TreeDataset([sample_from_dict(record()), sample_from_dict(second)])


def test_collated_indices_are_offset_per_graph() -> None:
    dataset = two_samples()
    batch = next(iter(make_loader(dataset, LabelSpace.from_labels(dataset.labels), batch_size=2)))
    graph = batch.graph
    assert batch.num_graphs == 2 and batch.sample_id == ["r1", "r2"]
    assert batch.text == ["the pasta was cold", "lovely soup"]
    assert batch.y.tolist() == [0, 1]
    assert graph.parent_index.tolist() == [0, 0, 1, 4, 4]
    assert graph.root_index.tolist() == [0, 4]
    assert graph.edge_index.tolist() == [[0, 1, 4], [1, 2, 3]]
    assert graph.depth.tolist() == [0, 1, 2, 1, 0]
    assert graph.batch.tolist() == [0, 0, 0, 1, 1]
    assert batch.node_text == [None, None, "agreed", None, None]
    assert torch.equal(graph.parent_index[graph.root_index], graph.root_index)


def test_shuffling_is_reproducible_from_the_seed() -> None:
    samples = [sample_from_dict(record(f"r{i}")) for i in range(20)]
    dataset = TreeDataset(samples)
    labels = LabelSpace.from_labels(dataset.labels)

    def order(seed: int) -> list[str]:
        return [i for b in make_loader(dataset, labels, 4, shuffle=True, seed=seed) for i in b.sample_id]

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert sorted(order(1)) == sorted(s.id for s in samples)


def test_batch_moves_to_a_device() -> None:
    dataset = two_samples()
    batch = next(iter(make_loader(dataset, LabelSpace.from_labels(dataset.labels), batch_size=2)))
    moved = batch.to("cpu")
    assert moved.graph.x.device.type == "cpu" and moved.text == batch.text


def test_a_batch_names_each_samples_group_and_none_as_empty() -> None:
    samples = TreeDataset([sample_from_dict(record(f"r{i}", group=["a", None, "b"][i])) for i in range(3)])
    (batch,) = make_loader(samples, LabelSpace(("negative", "positive")), batch_size=3)
    assert batch.groups == ["a", "", "b"]


def test_collating_sparse_features_prints_no_warning() -> None:
    # torch warns once per process, so a process of its own: in the suite's it may have warned already
    code = (
        "import warnings\n"
        "from priorkit.data.batch import collate\n"
        "from priorkit.data.records import sample_from_dict\n"
        "from priorkit.data.tensors import sample_to_data\n"
        "bag = lambda i: {'size': 5, 'indices': [i], 'values': [1.0]}\n"
        "nodes = [{'id': 'u0', 'parent': None, 'features': bag(0)}, {'id': 'u1', 'parent': 'u0', 'features': bag(3)}]\n"
        "rows = [{'id': f't{i}', 'text': 'x', 'label': 'a', 'nodes': nodes} for i in range(2)]\n"
        "graphs = [sample_to_data(sample_from_dict(r)) for r in rows]\n"
        "warnings.simplefilter('error')\n"
        "batch = collate(graphs)\n"
        "assert batch.graph.x.is_sparse and batch.graph.x.shape == (4, 5)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_loader_takes_records_or_a_path_and_names_a_bad_batch_size_or_labels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    import numpy as np
    import pytest

    from priorkit.errors import ConfigError

    records = [record("a"), record("b", label="positive")]
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    labels = LabelSpace(("negative", "positive"))
    for source in (records, path, str(path)):
        (batch,) = make_loader(source, labels, batch_size=np.int64(2))
        assert batch.sample_id == ["a", "b"] and batch.y.tolist() == [0, 1]
    for size in (0, 2.0, "2", True):
        with pytest.raises(ConfigError, match=rf"batch_size: expected a whole number >= 1 \(got {size!r}\)"):
            make_loader(records, labels, batch_size=size)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"labels: expected a LabelSpace or None \(got list\)"):
        make_loader(records, ["negative", "positive"], batch_size=2)  # type: ignore[arg-type]


def test_collate_names_what_it_was_given_instead_of_graphs() -> None:
    import pytest

    from priorkit.data.batch import collate
    from priorkit.data.tensors import sample_to_data
    from priorkit.errors import PriorkitError

    dataset = two_samples()
    graphs = [sample_to_data(s) for s in dataset]
    assert collate(graphs).sample_id == ["r1", "r2"]
    with pytest.raises(
        PriorkitError, match=r"collate: item 0: expected a graph made by pk.sample_to_data \(got TreeSample\)"
    ):
        collate(list(dataset))
    with pytest.raises(PriorkitError, match=r"item 1: .*\(got dict\)"):
        collate([graphs[0], {"id": "r2"}])
    with pytest.raises(PriorkitError, match=r"collate: expected a list of graphs \(got Data\)"):
        collate(graphs[0])
    with pytest.raises(PriorkitError, match=r"collate: expected at least one graph \(got an empty list\)"):
        collate([])


def test_the_loader_names_a_shuffle_or_seed_of_the_wrong_kind() -> None:
    import pytest

    from priorkit.errors import ConfigError

    dataset = two_samples()
    with pytest.raises(ConfigError, match=r"shuffle: expected true or false \(got 'yes'\)"):
        make_loader(dataset, None, 2, shuffle="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"seed: expected a whole number >= 0 \(got 'x'\)"):
        make_loader(dataset, None, 2, seed="x")  # type: ignore[arg-type]
