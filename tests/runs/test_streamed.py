"""Training on a streamed file (``data.stream``): the same run as from memory, what the pass
over the file gathers, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import priorkit as pk
from priorkit.data.batch import collate, pair_groups
from priorkit.data.jsonl import read_jsonl, write_jsonl
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.data.problems import DataValidationError
from priorkit.encoders.embedding_cache import EmbeddingCache
from priorkit.encoders.text import TextEncoder, TextEncoderConfig
from priorkit.errors import ConfigError
from priorkit.runs.graphs import to_graphs
from priorkit.runs.schema import DataSchema
from priorkit.runs.streamed import stream_training


def _config(tiny_model_dir: Path, cache: Path, stream: bool) -> dict:
    return {
        "data": {"max_nodes": 6, "stream": stream},
        "model": {
            "text_encoder": str(tiny_model_dir),
            "hidden": 16,
            "tree": {"hidden": 16, "heads": 2, "node_input": {"users": "vocab", "user_min_count": 1}},
        },
        "train": {"epochs": 2, "batch_size": 16, "seed": 3, "cache_dir": str(cache), "progress_bar": False},
    }


def test_a_streamed_run_is_the_run_from_memory(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    files = {
        "train": small_data / "train.jsonl",
        "val": small_data / "val.jsonl",
        "test": small_data / "test_id.jsonl",
    }
    runs = {}
    for stream in (False, True):
        config = _config(tiny_model_dir, tmp_path / "cache", stream)
        runs[stream] = pk.fit(
            config, data={k: str(v) for k, v in files.items()}, out=tmp_path / f"run{stream}"
        )
    memory, streamed = (runs[k].metrics for k in (False, True))
    assert streamed["data"] == memory["data"]  # samples and nodes (after the node budget) of every split
    loss = [[row[k] for k in ("train/loss", "val/loss")] for row in memory["history"]]
    assert [[row[k] for k in ("train/loss", "val/loss")] for row in streamed["history"]] == loss
    assert streamed["test"]["accuracy"] == memory["test"]["accuracy"]
    schema = json.loads((tmp_path / "runTrue" / "schema.json").read_text())
    assert schema == json.loads((tmp_path / "runFalse" / "schema.json").read_text())


def test_the_pass_gathers_the_schema_the_pairs_and_every_text(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    samples = list(read_jsonl(small_data / "train.jsonl"))
    for original, sample in zip(samples[::4], samples[1::4], strict=False):
        sample.counterfactual_of = original.id
    samples[2].node_text = ["a reply"] + [None] * (samples[2].num_nodes - 1)
    write_jsonl(samples, tmp_path / "train.jsonl")
    encoder = TextEncoder(TextEncoderConfig(model=str(tiny_model_dir)))
    streamed = stream_training(JsonlStream(tmp_path / "train.jsonl"), 1, encoder, tmp_path / "cache")

    assert streamed.schema == DataSchema.of(samples, 1)
    graphs = to_graphs(samples, streamed.schema, None, None)
    assert streamed.groups == pair_groups(graphs) and streamed.groups is not None
    assert streamed.nodes == sum(s.num_nodes for s in samples)
    cache = EmbeddingCache(tmp_path / "cache", encoder.namespace, encoder.dim)
    texts = {s.text for s in samples} | {"a reply"}
    cache.get_or_encode(sorted(texts), lambda batch: pytest.fail(f"not in the cache: {batch}"))

    batch = streamed.collate([streamed.graphs[i] for i in (0, 2, 5)])
    in_memory = to_graphs([samples[i] for i in (0, 2, 5)], streamed.schema, encoder, tmp_path / "cache")
    expected = collate(in_memory)
    assert torch.equal(batch.text_embedding, expected.text_embedding)
    assert torch.equal(batch.node_text_embedding, expected.node_text_embedding)
    assert torch.equal(batch.graph.user_code, expected.graph.user_code)


def test_a_bad_line_stops_a_streamed_run_before_it_starts(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every problem is listed before anything trains, and texts after the first problem are
    not encoded (a file that will be refused costs no encoder pass)."""
    monkeypatch.setattr("priorkit.runs.streamed.TEXTS_PER_CALL", 2)
    lines = (small_data / "train.jsonl").read_text().splitlines()
    bad = tmp_path / "train.jsonl"
    bad.write_text("\n".join([*lines[:5], '{"id": "x"', *lines[5:]]) + "\n")
    data = {
        "train": str(bad),
        "val": str(small_data / "val.jsonl"),
        "test": str(small_data / "test_id.jsonl"),
    }
    with pytest.raises(DataValidationError, match=f"{bad}:6: .*not valid JSON"):
        pk.fit(_config(tiny_model_dir, tmp_path / "cache", True), data=data, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    chunks = list((tmp_path / "cache").rglob("chunk-*.safetensors"))
    assert len(chunks) <= 3  # the 5 lines before the bad one, 2 texts a call; not the other 43


def test_streaming_needs_the_training_data_as_a_file(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    data = {
        name: read_jsonl(small_data / f"{file}.jsonl")
        for name, file in (("train", "train"), ("val", "val"), ("test", "test_id"))
    }
    with pytest.raises(ConfigError, match=r"data\.stream: expected the training data as a JSONL path"):
        pk.fit(_config(tiny_model_dir, tmp_path / "cache", True), data=data, out=tmp_path / "run")


def test_stream_with_samples_in_memory_is_refused(
    small_data: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from priorkit.errors import PriorkitError
    from priorkit.runs.config import RunConfig
    from priorkit.training.run import train

    config = RunConfig.from_dict(_config(tiny_model_dir, tmp_path / "cache", True))
    splits = {
        name: read_jsonl(small_data / f"{file}.jsonl")
        for name, file in (("train", "train"), ("val", "val"), ("test", "test_id"))
    }
    with pytest.raises(PriorkitError, match=r"data\.stream: expected the training data as a file to stream"):
        train(config, tmp_path / "run", splits=splits)
