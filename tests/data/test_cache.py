from pathlib import Path

import pytest

from priorkit.data import cache as cache_module
from priorkit.data.cache import load_cached, pack, unpack
from priorkit.data.formats import FORMATS
from priorkit.data.jsonl import read_jsonl
from tests.conftest import assert_same_samples, real_data, record


def test_pack_round_trip_with_mixed_optional_fields(write_lines) -> None:  # type: ignore[no-untyped-def]
    bare = record("b")
    for node in bare["nodes"]:
        node.pop("time", None)
        node.pop("importance", None)
        node.pop("text", None)
    dataset = read_jsonl(write_lines([record("a", group="g"), bare]))
    assert_same_samples(dataset, unpack(pack(dataset)))


def test_second_load_is_a_hit_and_an_edit_is_a_miss(tmp_path: Path, write_lines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a")])
    calls = []
    original = cache_module.load_format
    monkeypatch.setattr(cache_module, "load_format", lambda *a, **k: calls.append(a) or original(*a, **k))
    first = load_cached("jsonl", path, cache_dir=tmp_path / "c")
    second = load_cached("jsonl", path, cache_dir=tmp_path / "c")
    assert len(calls) == 1
    assert_same_samples(first, second)
    path.write_text(
        path.read_text()
        + '{"id": "z", "text": "", "label": 1, "nodes": [{"id": "a", "parent": null, "features": [1, 2]}]}\n'
    )
    third = load_cached("jsonl", path, cache_dir=tmp_path / "c")
    assert len(calls) == 2 and len(third) == 2


def test_corrupt_cache_file_is_rebuilt(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a")])
    load_cached("jsonl", path, cache_dir=tmp_path / "c")
    (cached,) = (tmp_path / "c" / "datasets").glob("*.pt")
    cached.write_bytes(b"not a torch file")
    again = load_cached("jsonl", path, cache_dir=tmp_path / "c")
    assert [s.id for s in again] == ["a"]
    assert cached.read_bytes() != b"not a torch file"


def test_jsonl_is_a_registered_format() -> None:
    assert "jsonl" in FORMATS


@pytest.mark.real_data
def test_twitter15_through_the_cache(tmp_path: Path) -> None:
    folder = real_data("twitter15")
    first = load_cached("twitter", folder, cache_dir=tmp_path)
    second = load_cached("twitter", folder, cache_dir=tmp_path)
    assert second.report.changes == first.report.changes
    assert_same_samples(first, second)


def test_a_full_disk_leaves_the_cache_unwritten_and_the_data_loaded(
    tmp_path: Path, write_lines, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), record("b")])

    def full_disk(obj, file):  # type: ignore[no-untyped-def]
        Path(file).write_bytes(b"PK half")
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    monkeypatch.setattr(cache_module.torch, "save", full_disk)
    with caplog.at_level("WARNING", logger="priorkit.data"):
        loaded = load_cached("jsonl", path, cache_dir=tmp_path / "c")
    assert [s.id for s in loaded] == ["a", "b"]
    assert list((tmp_path / "c" / "datasets").iterdir()) == []
    assert "the processed cache was not written (PytorchStreamWriter failed" in caplog.text


def test_an_empty_cache_variable_counts_as_unset(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PRIORKIT_CACHE", "")
    assert cache_module.default_cache_dir() == Path.home() / ".cache" / "priorkit"


def test_a_cache_variable_pointing_at_a_file_is_named(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from priorkit.data.cache import default_cache_dir
    from priorkit.errors import PriorkitError

    file = tmp_path / "cachefile"
    file.write_text("x")
    monkeypatch.setenv("PRIORKIT_CACHE", str(file))
    with pytest.raises(
        PriorkitError, match=r"\$PRIORKIT_CACHE: expected a folder for priorkit's cache \(got the file"
    ):
        default_cache_dir()
    monkeypatch.setenv("PRIORKIT_CACHE", str(tmp_path / "new"))
    assert default_cache_dir() == tmp_path / "new"
