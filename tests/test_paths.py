"""A link loop given as a path is named, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from priorkit.cli import main
from priorkit.errors import PriorkitError
from priorkit.paths import resolved


def loop(folder: Path, name: str) -> Path:
    first, second = folder / name, folder / f"{name}.other"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def test_a_path_resolves_as_pathlib_resolves_it(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert resolved(tmp_path / "link" / "x.jsonl") == (tmp_path / "real" / "x.jsonl").resolve()


def test_a_link_loop_is_named(tmp_path: Path) -> None:
    path = loop(tmp_path, "out.jsonl")
    with pytest.raises(PriorkitError, match=r"out\.jsonl: expected a path whose links lead somewhere"):
        resolved(path)


def test_an_output_that_is_a_link_loop_ends_in_one_line(small_data: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = loop(tmp_path, "converted.jsonl")
    args = ["data", "convert", "--format", "jsonl", str(small_data / "train.jsonl"), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"error: {out}: expected a path whose links lead somewhere" in err and "Traceback" not in err
