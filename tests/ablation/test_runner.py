"""Running studies: results and summary, resume after a real kill, failure isolation, executors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from safetensors.torch import load_file

from priorkit.ablation import run_study
from priorkit.cli import main
from priorkit.data.jsonl import read_jsonl
from priorkit.errors import ConfigError
from priorkit.locks import folder_lock


def finished(out: Path) -> dict[str, float]:
    """Each finished trial's result.json and the time it was written."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("trials/**/result.json")}


def test_a_study_writes_one_row_per_trial_and_a_summary(study_file: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "study"
    assert main(["ablate", str(study_file), "--out", str(out)]) == 0
    assert "4 trials: 4 finished, 0 failed, 0 not run (4 run now)" in capsys.readouterr().out
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 4 and set(table["status"]) == {"done"}
    for column in (
        "test.accuracy",
        "test_ood.accuracy",
        "test.reliance.text",
        "test.root_attention",
        "test.reliance_nodes.shares.leaves",
        "test.compliance.depth_decay.root_mass",
        "test.compliance.depth_decay.root_mass.pass",
    ):
        assert column in table.columns, column
    summary = (out / "summary.md").read_text()
    assert "Runs per arm: baseline 2, decay 2" in summary and "paired t-test" in summary
    assert "| decay | test: depth_decay.root_mass |" in summary
    assert "test.reliance_nodes.shares.leaves" in summary.split("## ")[1]  # a headline column
    before = finished(out)
    assert main(["ablate", str(study_file), "--out", str(out)]) == 0  # nothing left to do
    assert "(0 run now)" in capsys.readouterr().out and finished(out) == before


def test_a_killed_study_resumes_without_redoing_finished_trials(study_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    command = [sys.executable, "-m", "priorkit.cli", "ablate", str(study_file), "--out", str(out)]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 600
    while not finished(out) and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the whole run, mid-grid
    process.wait()
    before = finished(out)
    assert 1 <= len(before) < 4, "the kill should land after the first trial and before the last"
    run = run_study(study_file, out, progress=False)
    assert run.ran == 4 - len(before) and run.done == 4
    after = finished(out)
    assert all(after[key] == stamp for key, stamp in before.items())  # not one finished trial ran again


def test_a_failing_trial_is_recorded_and_the_grid_goes_on(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    study = yaml.safe_load(study_file.read_text())
    study["arms"]["broken"] = {"model.text_encoder": str(tmp_path / "no-such-model")}
    study_file.write_text(yaml.safe_dump(study))
    out = tmp_path / "study"
    run = run_study(study_file, out, progress=False)
    assert (run.done, run.failed) == (4, 2)
    error = json.loads(
        (out / "trials" / small_data.name / "broken" / "seed0" / "fixed" / "error.json").read_text()
    )
    assert "ModelNotFoundError" in error["error"] and "Traceback" in error["traceback"]
    table = pd.read_csv(out / "results.csv")
    assert list(table[table.status == "failed"]["arm"]) == ["broken", "broken"]
    assert "## Failed trials" in (out / "summary.md").read_text()
    before = finished(out)
    again = run_study(study_file, out, retry_failed=True, progress=False)
    assert again.ran == 2 and again.failed == 2 and finished(out) == before  # only the failed ones reran


def test_two_local_workers_share_the_embedding_cache(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    run = run_study(study_file, tmp_path / "study", workers=2, progress=False)
    assert run.done == 4 and run.failed == 0
    texts = {
        s.text
        for name in ("train", "val", "test_id", "test_ood")
        for s in read_jsonl(small_data / f"{name}.jsonl")
    }
    chunks = list((tmp_path / "cache" / "embeddings").glob("*/chunk-*.safetensors"))
    stored = sum(load_file(str(chunk))["keys"].shape[0] for chunk in chunks)
    assert stored == len(texts)  # 4 trials in 2 processes: every distinct text encoded once


def test_the_ray_executor_on_a_local_ray(study_file: Path, tmp_path: Path) -> None:
    run = run_study(study_file, tmp_path / "study", executor="ray", workers=2, progress=False)
    assert run.done == 4 and run.failed == 0
    assert len(pd.read_csv(tmp_path / "study" / "results.csv")) == 4


def test_the_demo_runs_its_study_and_writes_the_report(
    study_file: Path, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    import priorkit.ablation.demo as demo

    monkeypatch.setattr(
        demo, "STUDY", study_file
    )  # the tiny study; the real one is timed in benchmarks/demo.py
    assert main(["demo", "--out", str(tmp_path / "demo"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "# Study summary" in out and "report:" in out and (tmp_path / "demo" / "report.html").is_file()


def test_an_unreadable_result_is_set_aside_and_its_trial_redone(study_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    run_study(study_file, out, progress=False)
    torn = sorted(out.glob("trials/*/baseline/seed0/*/result.json"))[0]
    torn.write_text('{"key": "half a fi')
    foreign = sorted(out.glob("trials/*/decay/seed1/*/result.json"))[0]
    foreign.unlink()
    (foreign.parent / "error.json").write_text("{}")  # not what a worker writes: no error in it
    shapes = sorted(out.glob("trials/*/decay/seed0/*/result.json"))[0]
    edited = {"reports": {"test": {"accuracy": 0.5, "compliance": [{"prior": "x"}]}}}  # no metric
    shapes.write_text(json.dumps(edited))
    run = run_study(study_file, out, progress=False)
    assert run.ran == 3 and run.done == 4 and run.failed == 0
    assert (torn.parent / "result.json.unreadable").is_file() and torn.is_file()
    assert (foreign.parent / "error.json.unreadable").is_file() and foreign.is_file()
    assert (shapes.parent / "result.json.unreadable").is_file() and shapes.is_file()


def test_a_study_folder_whose_finished_trials_another_study_file_trained_is_refused(
    study_file: Path, tmp_path: Path
) -> None:
    import pytest

    from priorkit.errors import ConfigError

    out = tmp_path / "study"
    study = yaml.safe_load(study_file.read_text())
    study_file.write_text(yaml.safe_dump({**study, "seeds": [0]}))
    run_study(study_file, out, progress=False)
    study["arms"]["decay"] = {"priors": [{"name": "depth_decay", "decay": 0.5}]}  # the same arm, changed
    study_file.write_text(yaml.safe_dump({**study, "seeds": [0]}))
    with pytest.raises(ConfigError) as raised:
        run_study(study_file, out, progress=False)
    message = str(raised.value)
    assert (
        "decay/seed0/fixed: expected the config this finished trial was trained with (got changes: "
        in message
    )
    assert (
        "'decay': 2.0" in message and "'decay': 0.5" in message and "; 1 finished trial(s) differ)" in message
    )


def test_a_study_that_now_evaluates_a_file_its_finished_trials_were_not_scored_on_is_refused(
    study_file: Path, small_data: Path, tmp_path: Path
) -> None:
    import pytest

    from priorkit.errors import ConfigError

    out = tmp_path / "study"
    study = yaml.safe_load(study_file.read_text())
    study_file.write_text(yaml.safe_dump({**study, "seeds": [0], "arms": {"baseline": {"priors": []}}}))
    run_study(study_file, out, progress=False)
    evaluate = {**study["evaluate"], "again": str(small_data / "test_id.jsonl")}
    study_file.write_text(
        yaml.safe_dump({**study, "seeds": [0], "arms": {"baseline": {"priors": []}}, "evaluate": evaluate})
    )
    with pytest.raises(
        ConfigError,
        match=r"expected scores on every file the study now evaluates \(got none on again; 1 finished",
    ):
        run_study(study_file, out, progress=False)


def test_a_second_study_in_the_same_folder_is_refused_before_it_writes(
    study_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "study"
    holder = folder_lock(out, "held", "by the test")  # a lock is per open file: it stands in for a process
    with holder:
        assert main(["ablate", str(study_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "study: expected a study folder no other study runs in (got one locked by another process" in err
    assert list(out.iterdir()) == []  # the study wrote nothing; the holder's lock went with it


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_workers_that_are_not_a_count_are_refused_before_the_study_starts(
    tmp_path: Path, workers: object
) -> None:
    """Refused before the study file is read, its folder made or a progress bar drawn."""
    with pytest.raises(ConfigError, match=r"--workers: expected an integer >= 1, the trials run at once"):
        run_study(tmp_path / "no-study.yaml", tmp_path / "out", "local", workers)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["ablate", "study.yaml", "--out", "x"], ["demo"]])
def test_the_cli_refuses_workers_below_one_as_it_parses(command: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--workers", "0"])
    assert stopped.value.code == 2
    assert "--workers: expected an integer >= 1 (got '0')" in capsys.readouterr().err
