"""The command line: exit codes, one line per problem, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from priorkit.cli import main
from priorkit.data.jsonl import read_jsonl, write_jsonl
from tests.conftest import real_data, record


def test_validate_ok(write_lines, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "validate", str(write_lines([record("a"), record("b")]))]) == 0
    assert "ok: 1 file(s) valid" in capsys.readouterr().out


def test_validate_lists_every_problem_and_exits_2(write_lines, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_lines([record("a"), "{oops", record("a")])
    assert main(["data", "validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:2: sample ?: -: not valid JSON")
    assert err[1] == (
        f"{path}:3: sample a: id: duplicate sample id (first at line 1) (got 'a'); "
        "give every sample a unique id"
    )
    assert err[-1] == "2 problem(s) in 1 file(s)"


def test_validate_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\xff\xfe not utf8\n")
    done = subprocess.run(
        [sys.executable, "-m", "priorkit.cli", "data", "validate", str(path), str(tmp_path / "none.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}:1: sample ?: -: not valid UTF-8 at byte 0" in done.stderr
    assert "none.jsonl:0: sample -: -: cannot read the file" in done.stderr


def test_synth_then_stats(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        main(
            [
                "data",
                "synth",
                "--out",
                str(tmp_path),
                "--set",
                "n_train=30",
                "--set",
                "n_val=10",
                "--set",
                "n_test=10",
                "--seed",
                "4",
            ]
        )
        == 0
    )
    assert len(read_jsonl(tmp_path / "train.jsonl")) == 30
    capsys.readouterr()
    assert main(["data", "stats", str(tmp_path / "val.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "samples: 10" in out and "node features: 4" in out


def test_synth_with_a_wrong_key_exits_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["data", "synth", "--out", str(tmp_path), "--set", "n_trian=3"]) == 2
    assert "`n_trian`: unknown key. Valid keys here:" in capsys.readouterr().err


@pytest.mark.real_data
def test_convert_pheme_event(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "prince.jsonl"
    assert (
        main(
            ["data", "convert", "--format", "pheme", str(real_data("pheme6/prince.json")), "--out", str(out)]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "wrote 233 samples" in captured.out
    assert "missing parents attached to root" in captured.err
    assert main(["data", "validate", str(out)]) == 0
    assert {s.group for s in read_jsonl(out)} == {"prince"}


@pytest.mark.real_data
def test_convert_twitter15_and_read_it_back(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t15.jsonl"
    assert (
        main(["data", "convert", "--format", "twitter", str(real_data("twitter15")), "--out", str(out)]) == 0
    )
    assert "self loop edges removed: 1218" in capsys.readouterr().err
    dataset = read_jsonl(out)
    assert len(dataset) == 1490 and sum(s.num_nodes for s in dataset) == 599_196


def test_convert_refuses_to_write_over_any_of_its_inputs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    samples, edges = tmp_path / "s.csv", tmp_path / "e.csv"
    samples.write_text("id,text,label\nr1,cold,neg\n")
    edges.write_text("sample,node,parent\nr1,u0,\n")
    folder = tmp_path / "twitter15"
    (folder / "tree").mkdir(parents=True)
    (folder / "label.txt").write_text("unverified:1\n")
    for command, refusal in [
        (
            ["--format", "csv", str(samples), "--edges", str(edges), "--out", str(edges)],
            "an output other than the input --edges",
        ),
        (
            ["--format", "twitter", str(folder), "--out", str(folder / "label.txt")],
            "a new file, a JSONL file or one outside the input source",
        ),
    ]:
        assert main(["data", "convert", *command]) == 2
        assert f"expected {refusal}" in capsys.readouterr().err
    assert (
        edges.read_text() == "sample,node,parent\nr1,u0,\n"
        and (folder / "label.txt").read_text() == "unverified:1\n"
    )


def test_unknown_format_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as raised:
        main(["data", "convert", "--format", "xml", "x", "--out", "y"])
    assert raised.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_leakage_of_a_story_split(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.data.test_split_plan import story_dataset

    data = tmp_path / "told.jsonl"
    write_jsonl(story_dataset(copies=6), data)
    out = tmp_path / "leak.json"
    assert main(["data", "leakage", str(data), "--k", "3", "--relabel", "news=fact", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "36 samples, 3 folds (stratified)" in printed and "| mean +- std | | 1.000 +- 0.000 |" in printed
    saved = json.loads(out.read_text())
    assert saved["leakage"]["mean"]["nearest"]["mean"] == 1.0 and len(saved["split"]["folds"]) == 3
    assert main(["data", "leakage", str(data), "--split", "story", "--k", "3"]) == 0
    assert "3 folds (story); 6 groups" in capsys.readouterr().out


def test_leakage_refuses_options_of_another_split(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.data.test_split_plan import story_dataset

    data = tmp_path / "told.jsonl"
    write_jsonl(story_dataset(), data)
    assert main(["data", "leakage", str(data), "--split", "story", "--test-fraction", "0.3"]) == 2
    assert "test_fraction: not an option of kind 'story'" in capsys.readouterr().err
    assert main(["data", "leakage", str(data), "--split", "temporal", "--k", "9"]) == 2
    assert "temporal needs k >= 1 and 0 < k * test_fraction < 1" in capsys.readouterr().err
    assert main(["data", "leakage", str(data), "--per-class"]) == 2
    assert "per_class: not an option of kind 'stratified'" in capsys.readouterr().err
    assert main(["data", "leakage", str(data), "--split", "temporal", "--per-class"]) == 0
    assert "1 folds (temporal)" in capsys.readouterr().out
    assert main(["data", "leakage", str(tmp_path / "not-read.jsonl"), "--threshold", "5"]) == 2
    assert "threshold: expected a TF-IDF cosine above 0 and at most 1 (got 5.0)" in capsys.readouterr().err


@pytest.mark.parametrize("repeats", ["0", "-2", "two"])
def test_evaluate_refuses_a_repeat_count_below_one(tmp_path: Path, repeats: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exited:
        main(["evaluate", str(tmp_path), "--data", "x.jsonl", "--repeats", repeats])
    assert exited.value.code == 2
    assert f"--repeats: expected an integer >= 1 (got '{repeats}')" in capsys.readouterr().err


def test_ctrl_c_ends_in_one_line_and_exit_130(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import priorkit.cli as cli

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_stats", interrupted)
    assert cli.main(["data", "stats", "x.jsonl"]) == 130
    assert capsys.readouterr().err == "interrupted; rerun the same command to resume\n"
