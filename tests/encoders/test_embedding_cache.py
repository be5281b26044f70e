"""The embedding cache: hit, miss, corrupt file, and two real processes writing at once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from priorkit.encoders.embedding_cache import EmbeddingCache, text_key


def fake_encode(texts: list[str]) -> torch.Tensor:
    """A deterministic stand-in for a text encoder: (len(texts), 3)."""
    return torch.tensor([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=torch.float32)


class Counting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> torch.Tensor:
        self.seen += texts
        return fake_encode(texts)


def test_miss_then_hit_across_cache_objects(tmp_path: Path) -> None:
    encode = Counting()
    first = EmbeddingCache(tmp_path, "model|mean|128")
    out = first.get_or_encode(["a", "bb", "a", "ccc"], encode)
    assert encode.seen == ["a", "bb", "ccc"]  # each distinct text once
    assert torch.equal(out, fake_encode(["a", "bb", "a", "ccc"]))
    assert (first.stats.misses, first.stats.hits, first.stats.encode_calls) == (3, 0, 1)

    second = EmbeddingCache(tmp_path, "model|mean|128")  # a new run
    again = second.get_or_encode(["ccc", "a", "dddd"], encode)
    assert encode.seen == ["a", "bb", "ccc", "dddd"]
    assert torch.equal(again, fake_encode(["ccc", "a", "dddd"]))
    assert (second.stats.misses, second.stats.hits) == (1, 2)

    third = EmbeddingCache(tmp_path, "model|mean|128")
    third.get_or_encode(["a", "bb", "ccc", "dddd"], encode)
    assert third.stats.encode_calls == 0 and len(third) == 4


def test_namespaces_do_not_mix(tmp_path: Path) -> None:
    encode = Counting()
    EmbeddingCache(tmp_path, "model|mean|128").get_or_encode(["a"], encode)
    EmbeddingCache(tmp_path, "model|cls|128").get_or_encode(["a"], encode)
    assert encode.seen == ["a", "a"]


def test_corrupt_chunk_is_set_aside_and_recomputed(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "m")
    cache.get_or_encode(["a", "b"], fake_encode)
    (chunk,) = cache.folder.glob("chunk-*.safetensors")
    chunk.write_bytes(b"\x00garbage")
    encode = Counting()
    fresh = EmbeddingCache(tmp_path, "m")
    out = fresh.get_or_encode(["a", "b"], encode)
    assert encode.seen == ["a", "b"]
    assert torch.equal(out, fake_encode(["a", "b"]))
    assert list(fresh.folder.glob("*.corrupt"))


def _worker(root: str, log: str, texts: list[str], start) -> None:  # type: ignore[no-untyped-def]
    def encode(batch: list[str]) -> torch.Tensor:
        time.sleep(0.5)  # a slow encoder: the other worker arrives while this one works
        with open(log, "a", encoding="utf-8") as handle:
            handle.write("".join(t + "\n" for t in batch))
        return fake_encode(batch)

    cache = EmbeddingCache(root, "shared")
    start.wait()  # both workers ask at the same moment
    out = cache.get_or_encode(texts, encode)
    assert torch.equal(out, fake_encode(texts))


def test_two_processes_encode_each_text_once(tmp_path: Path) -> None:
    texts = [f"text {i}" for i in range(200)]
    log = tmp_path / "encoded.log"
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(target=_worker, args=(str(tmp_path), str(log), part, start))
        for part in (texts, list(reversed(texts)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    encoded = log.read_text().splitlines()
    assert sorted(encoded) == sorted(texts)  # no text encoded twice, none lost


def test_a_chunk_of_another_width_is_set_aside_and_its_texts_encoded_again(tmp_path: Path) -> None:
    def encode(texts: list[str]) -> torch.Tensor:
        return torch.ones(len(texts), 4)

    cache = EmbeddingCache(tmp_path, "m", width=4)
    cache.get_or_encode(["a"], encode)
    wrong = cache.folder / "chunk-0000.safetensors"
    save_file(
        {"keys": torch.tensor([list(text_key("b"))], dtype=torch.uint8), "values": torch.ones(1, 3)},
        str(wrong),
    )
    fresh = EmbeddingCache(tmp_path, "m", width=4)
    assert fresh.get_or_encode(["a", "b"], encode).shape == (2, 4)
    assert fresh.stats.misses == 1 and wrong.with_suffix(".corrupt").is_file()
