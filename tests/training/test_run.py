"""Training end to end through the CLI, determinism, evaluation and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from priorkit.api.evaluation import evaluate_run
from priorkit.cli import main
from priorkit.data.budget import first_nodes
from priorkit.data.jsonl import read_jsonl, write_jsonl
from priorkit.training import run as run_module


def test_train_then_evaluate_through_the_cli(
    config_file: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    for name in (
        "config.yaml",
        "schema.json",
        "metrics.json",
        "history.csv",
        "train.log",
        "checkpoints/best.ckpt",
        "checkpoints/last.ckpt",
    ):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seed"] == 1 and metrics["epochs_run"] == 3 and len(metrics["history"]) == 3
    assert metrics["priorkit_version"]
    torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)  # no pickled objects

    out = tmp_path / "eval.json"
    assert main(["evaluate", str(run), "--data", str(small_data / "test_ood.jsonl"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy:" in printed and "reliance: text" in printed
    report = json.loads(out.read_text())
    assert set(report) >= {
        "accuracy",
        "macro_f1",
        "per_class",
        "n",
        "reliance",
        "attention_by_depth",
        "root_attention",
        "modality_weights",
    }
    assert report["n"] == 24 and abs(sum(report["reliance"].values()) - 1) < 1e-6
    assert abs(sum(report["attention_by_depth"].values()) - 1) < 1e-4
    assert set(report["attention_by_depth"]) == {"0", "1", "2", "3+"}


def test_relative_run_directory(config_file: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert main(["train", str(config_file), "--out", "runs/relative", "--set", "train.epochs=1"]) == 0
    metrics = json.loads((tmp_path / "runs" / "relative" / "metrics.json").read_text())
    assert metrics["best_checkpoint"] == "checkpoints/best.ckpt"


def test_same_seed_same_run(config_file: Path, tmp_path: Path) -> None:
    histories = []
    for name in ("a", "b"):
        assert main(["train", str(config_file), "--out", str(tmp_path / name)]) == 0
        histories.append(json.loads((tmp_path / name / "metrics.json").read_text())["history"])
    assert [r["val/loss"] for r in histories[0]] == [r["val/loss"] for r in histories[1]]


def test_evaluation_refuses_unseen_labels_and_other_widths(
    config_file: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), "--set", "train.epochs=1"]) == 0
    samples = list(read_jsonl(small_data / "test_ood.jsonl"))
    samples[0].label = "neutral"
    write_jsonl(samples, tmp_path / "labels.jsonl")
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(tmp_path / "labels.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "label: expected one of 'negative', 'positive' (got 'neutral')" in err and ": sample " in err
    for sample in samples:
        sample.label = "positive"
        sample.features = sample.features[:, :3]
    write_jsonl(samples, tmp_path / "width.jsonl")
    assert main(["evaluate", str(run), "--data", str(tmp_path / "width.jsonl")]) == 2
    assert "expected 4 node features (got 3)" in capsys.readouterr().err


def test_config_errors_exit_2_with_the_key_path(config_file: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["train", str(config_file), "--out", str(tmp_path / "r"), "--set", "train.epoch=3"]) == 2
    assert "`train.epoch`: unknown key. Valid keys here:" in capsys.readouterr().err
    assert main(["train", str(config_file), "--out", str(tmp_path / "r"), "--set", "model.fusion=sum"]) == 2
    assert "expected one of concat, cross_attention, gated (got 'sum')" in capsys.readouterr().err
    assert (
        main(
            ["train", str(config_file), "--out", str(tmp_path / "r"), "--set", "model.text_encoder=./nope/x"]
        )
        == 2
    )
    assert "text encoder './nope/x': expected a local folder" in capsys.readouterr().err
    assert (
        main(["train", str(config_file), "--out", str(tmp_path / "r"), "--set", "priors=[{name: telepathy}]"])
        == 2
    )
    assert "prior: expected one of" in capsys.readouterr().err


def test_evaluate_needs_a_finished_run(tmp_path: Path, small_data: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["evaluate", str(tmp_path), "--data", str(small_data / "val.jsonl")]) == 2
    assert (
        "expected a run directory (config.yaml, schema.json, checkpoints/best.ckpt)"
        in capsys.readouterr().err
    )


def test_cosine_schedule_node_budget_and_epoch_times(
    config_file: Path, small_data: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """``lr_schedule: cosine`` anneals over the run; ``data.max_nodes`` trims every split and
    the data a finished run scores; history.csv records the wall time of every epoch."""
    config = yaml.safe_load(config_file.read_text())
    config["data"]["max_nodes"] = 4
    config["train"].update({"lr_schedule": "cosine", "epochs": 4})
    config_file.write_text(yaml.safe_dump(config))
    seen: list[int] = []
    original = run_module.to_graphs

    def spy(dataset, *args):  # type: ignore[no-untyped-def]
        seen.extend(s.num_nodes for s in dataset)
        return original(dataset, *args)

    monkeypatch.setattr(run_module, "to_graphs", spy)
    assert main(["train", str(config_file), "--out", str(tmp_path / "run")]) == 0
    assert max(seen) == 4 and min(seen) >= 1
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert sum(split["nodes"] for split in metrics["data"].values()) == sum(seen)
    assert metrics["data"]["train"]["nodes"] <= 4 * metrics["data"]["train"]["samples"]
    history = metrics["history"]
    rates = [row["lr"] for row in history]
    assert rates == sorted(rates, reverse=True) and rates[-1] < 0.1 * 1e-3
    assert all(0 < row["train_seconds"] <= row["epoch_seconds"] for row in history)

    test = read_jsonl(small_data / "test_id.jsonl")
    trimmed = tmp_path / "trimmed.jsonl"
    write_jsonl([first_nodes(s, 4) for s in test], trimmed)
    on_full = evaluate_run(tmp_path / "run", small_data / "test_id.jsonl")
    assert on_full.to_dict() == evaluate_run(tmp_path / "run", trimmed).to_dict()


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("train.devices=0", "devices=0"),
        ("train.strategy=nope", "strategy='nope'"),
        ("train.accelerator=tpux", "accelerator='tpux'"),
    ],
)
def test_settings_lightning_refuses_end_in_one_line_before_anything_is_written(
    config_file: Path, tmp_path: Path, capsys, setting: str, shown: str
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), "--set", setting]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1
        and "train.accelerator / train.devices / train.strategy: expected settings Lightning accepts"
        in err[0]
    )
    assert shown in err[0]
    assert not run.exists()  # refused before it started: no folder left behind


@pytest.mark.parametrize("setting", ["train.devices=2", "train.devices=3"])
def test_several_devices_are_refused_before_training_not_by_the_run_lock_of_a_child(
    config_file: Path, tmp_path: Path, capsys, setting: str
) -> None:  # type: ignore[no-untyped-def]
    """Lightning would start a process per device, each entering the same run folder: the
    second was refused by the first's lock and the whole run killed. One line, exit 2, nothing
    left behind; one device trains."""
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), "--set", setting]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.devices: expected one device (got devices=" in err[0]
    assert "processes). priorkit trains in one process" in err[0] and not run.exists()


def test_a_run_refused_for_its_data_leaves_no_new_folder_and_an_old_one_intact(
    config_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "label": "a", "nodes": [{"id": "a", "parent": "b"}]}\n')
    run = tmp_path / "run"
    assert main(["train", str(config_file), "--out", str(run), "--set", f"data.train={bad}"]) == 2
    assert "names no node of this sample" in capsys.readouterr().err and not run.exists()
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    assert main(["train", str(config_file), "--out", str(run), "--set", f"data.train={bad}"]) == 2
    assert (run / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("stream", ["false", "true"])
def test_a_missing_split_file_is_named_by_its_key_before_a_folder_is_made(
    config_file: Path, tmp_path: Path, capsys, stream: str
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    changes = ["--set", f"data.val={tmp_path / 'gone.jsonl'}", "--set", f"data.stream={stream}"]
    assert main(["train", str(config_file), "--out", str(run), *changes]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: data.val: expected a JSONL file (got no such file at {tmp_path / 'gone.jsonl'}). "
        "Fix the path: a relative path in a config file is read from that file's folder."
    ]
    assert not run.exists()


def test_node_texts_on_some_samples_only_train(config_file: Path, small_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    for name in ("train", "val", "test_id"):
        samples = list(read_jsonl(small_data / f"{name}.jsonl"))
        for sample in samples[::2]:  # every other sample has a reply text on its root only
            sample.node_text = ["a reply"] + [None] * (sample.num_nodes - 1)
        write_jsonl(samples, folder / f"{name}.jsonl")
    sets = [
        f"data.{k}={folder / f}.jsonl" for k, f in (("train", "train"), ("val", "val"), ("test", "test_id"))
    ]
    args = ["train", str(config_file), "--out", str(tmp_path / "run"), "--set", "train.epochs=1"]
    assert main([*args, *(x for s in sets for x in ("--set", s))]) == 0
    assert json.loads((tmp_path / "run" / "schema.json").read_text())["node_text"] is True


def test_a_non_finite_loss_stops_training_with_exit_2_when_the_guard_is_off(
    config_file: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    sets = ["--set", "train.spike_factor=0", "--set", "train.learning_rate=1e30", "--set", "train.epochs=2"]
    assert main(["train", str(config_file), "--out", str(tmp_path / "run"), *sets]) == 2
    err = capsys.readouterr().err
    assert "training loss: expected a finite value (got nan" in err and "spike guard is off" in err
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_finished_run_leaves_nothing_alive(config_file: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """In a loop over folds one run's trainer and model (held in reference cycles with its
    callbacks, optimiser and data loaders) must be gone when the next run starts, not whenever
    the cyclic collector next runs."""
    import gc

    import lightning.pytorch as pl

    from priorkit.model import PriorModel
    from priorkit.runs.config import RunConfig

    def alive() -> tuple[int, int]:
        # type(), not isinstance(): isinstance reads __class__, which warns on deprecated proxies
        types = [type(o) for o in gc.get_objects()]
        return sum(issubclass(t, PriorModel) for t in types), sum(issubclass(t, pl.Trainer) for t in types)

    config = RunConfig.from_yaml(config_file, ["train.epochs=1"])
    gc.collect()
    before = alive()
    gc.disable()  # the collector must not happen to run on its own during the runs
    try:
        for i in range(2):
            run_module.train(config, tmp_path / f"fold{i}")
            assert alive() == before
        monkeypatch.setattr(run_module, "_release", lambda: None)
        run_module.train(config, tmp_path / "kept")
        assert alive() == (before[0] + 1, before[1] + 1)  # without the release both would stay
    finally:
        gc.enable()


def test_l2_sp_keeps_fine_tuned_layers_near_the_pretrained_weights(config_file: Path, tmp_path: Path) -> None:
    """The pull is a logged training term; strong, it keeps the fine-tuned layer near its
    pretrained weights where plain fine-tuning moves it; off, the run is plain fine-tuning."""
    from priorkit.runs.config import RunConfig
    from priorkit.runs.trained import TrainedModel

    moved = {}
    for strength in (0.0, 1e4):
        sets = [
            "train.epochs=2",
            "train.learning_rate=0.01",
            "model.text_encoder.trainable_layers=1",
            f"model.text_encoder.l2_sp={strength}",
        ]
        run = run_module.train(RunConfig.from_yaml(config_file, sets), tmp_path / f"run{strength}")
        assert ("train/text_l2_sp" in run.metrics["history"][0]) == (strength > 0)
        text = TrainedModel.from_run(run.run_dir).model.text_encoder
        pretrained = text.__class__(text.config)  # the same encoder, fresh from its folder
        tuned = dict(text.model.named_parameters())
        moved[strength] = sum(
            float((tuned[name] - p).abs().sum())
            for name, p in pretrained.model.named_parameters()
            if p.requires_grad
        )
    assert moved[0.0] > 0 and moved[1e4] < 0.2 * moved[0.0]


def test_validation_or_test_samples_with_training_ids_are_warned_of_and_disjoint_parts_are_not(
    small_data: Path, caplog
) -> None:  # type: ignore[no-untyped-def]
    train, val = read_jsonl(small_data / "train.jsonl"), read_jsonl(small_data / "val.jsonl")
    with caplog.at_level("WARNING", logger="priorkit.training"):
        run_module.warn_shared_ids(
            {"train": train, "val": val, "test": read_jsonl(small_data / "test_id.jsonl")}
        )
    assert caplog.text == ""  # the shipped parts are disjoint: nothing to say
    with caplog.at_level("WARNING", logger="priorkit.training"):
        run_module.warn_shared_ids({"train": train, "val": val, "test": train})
    assert (
        f"data.test: {len(train)} of its {len(train)} samples have the id of a training sample" in caplog.text
    )
    assert "data.val" not in caplog.text


def test_a_runs_warnings_reach_the_terminal_as_well_as_its_log(
    config_file: Path, small_data: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "leaky"
    sets = ["--set", "train.epochs=1", "--set", f"data.test={small_data / 'train.jsonl'}"]
    assert main(["train", str(config_file), "--out", str(run), *sets]) == 0
    err = capsys.readouterr().err
    assert "warning: data.test: " in err and "have the id of a training sample" in err
    assert "data.val" not in err and "WARNING data.test: " in (run / "train.log").read_text()
