"""Reading checkpoints: only tensors and plain values; a torn file or one carrying code is named."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from priorkit.errors import PriorkitError
from priorkit.runs.trained import read_checkpoint
from tests.conftest import sentence_transformers_files


class Payload:
    """Stands for code smuggled into a checkpoint: unpickling it would construct any object."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("this ran",))


def test_a_checkpoint_of_tensors_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "ok.ckpt"
    torch.save({"state_dict": {"w": torch.ones(2)}, "epoch": 3}, path)
    assert read_checkpoint(path)["epoch"] == 3


def test_a_pickle_payload_is_refused_by_name(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": {}, "payload": Payload()}, path)
    with pytest.raises(
        PriorkitError,
        match=r"best.ckpt: expected a priorkit checkpoint of tensors and plain values \(got UnpicklingError",
    ):
        read_checkpoint(path)
    assert "this ran" not in capsys.readouterr().out


def test_a_torn_checkpoint_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": {"w": torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(
        PriorkitError, match=r"last.ckpt: expected a priorkit checkpoint .* The file is torn or carries code"
    ):
        read_checkpoint(path)


def test_a_model_whose_text_encoder_folder_moved_says_where_to_write_its_new_place(
    tmp_path: Path, tiny_model_dir: Path, small_data: Path
) -> None:
    """A model trained on a local encoder folder names that folder; once it has moved, loading
    the run or the saved model names the config file and key to change, and works once changed."""
    import shutil

    import priorkit as pk
    from priorkit.encoders.text import ModelNotFoundError

    encoder = tmp_path / "encoder"
    shutil.copytree(tiny_model_dir, encoder)
    config = {
        "model": {"text_encoder": str(encoder), "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "train": {"epochs": 1, "batch_size": 16, "cache_dir": str(tmp_path / "cache"), "progress_bar": False},
    }
    data = {
        n: small_data / f"{f}.jsonl" for n, f in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }
    trained = pk.fit(config, data=data, out=tmp_path / "run")
    trained.save_pretrained(tmp_path / "saved")
    expected = pk.predict(trained, small_data / "test_ood.jsonl")
    encoder.rename(tmp_path / "moved")
    for folder, file, key in [
        (tmp_path / "saved", "config.json", "run.model.text_encoder.model"),
        (tmp_path / "run", "config.yaml", "model.text_encoder.model"),
    ]:
        with pytest.raises(
            ModelNotFoundError,
            match=rf"{file}: text encoder '.*encoder': expected the model this one was trained with at the "
            rf"place its config names \(got a path that does not exist\)\. Fix: .* as `{key}` in {file}",
        ):
            pk.load(folder)
        written = folder / file
        written.write_text(written.read_text().replace(str(encoder), str(tmp_path / "moved")))
        assert [p.to_dict() for p in pk.predict(pk.load(folder), small_data / "test_ood.jsonl")] == [
            p.to_dict() for p in expected
        ]


@pytest.mark.filterwarnings("ignore:.*modules.json is not in the local cache")
def test_a_saved_model_keeps_the_hub_commit_and_pooling_it_was_trained_with(
    fake_hub, tmp_path: Path, tiny_model_dir: Path, small_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """After the Hub's ``main`` moves to other weights, the saved model still reads the commit
    (and the pooling ``auto`` chose) that it was trained with, and predicts as it did."""
    import json

    import priorkit as pk

    commit = "a" * 40
    fake_hub.publish("org/tiny", commit, tiny_model_dir)
    config = {
        "model": {"text_encoder": "org/tiny", "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
        "train": {"epochs": 1, "batch_size": 16, "cache_dir": str(tmp_path / "cache"), "progress_bar": False},
    }
    data = {
        n: small_data / f"{f}.jsonl" for n, f in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }
    trained = pk.fit(config, data=data, out=tmp_path / "run")
    trained.save_pretrained(tmp_path / "saved")
    expected = [p.to_dict() for p in pk.predict(trained, small_data / "test_ood.jsonl")]
    fake_hub.publish("org/tiny", "b" * 40, tiny_model_dir, seed=1)
    saved = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert saved["text_encoder"] == {"model": "org/tiny", "revision": commit, "pooling": "mean"}
    monkeypatch.setenv("PRIORKIT_CACHE", str(tmp_path / "fresh"))  # texts encoded again, not cached
    for folder in (tmp_path / "saved", tmp_path / "run"):  # the run's config.yaml is pinned too
        loaded = pk.load(folder)
        assert loaded.encoder.commit == commit
        assert [p.to_dict() for p in pk.predict(loaded, small_data / "test_ood.jsonl")] == expected


def test_a_run_resumes_with_the_text_encoder_it_was_trained_with(
    fake_hub, tmp_path: Path, tiny_model_dir: Path, small_data: Path
) -> None:  # type: ignore[no-untyped-def]
    """The run's config.yaml settles what the config left open (the Hub commit, the pooling);
    the same config given again is no change, and resuming reads the stored commit; a stated
    pooling other than the stored one is a change."""
    from priorkit.runs.config import RunConfig
    from priorkit.runs.files import config_changes, stored_config
    from priorkit.training import train

    fake_hub.publish("org/tiny", "a" * 40, tiny_model_dir, **sentence_transformers_files(cls_token=True))
    data = {
        n: str(small_data / f"{f}.jsonl")
        for n, f in [("train", "train"), ("val", "val"), ("test", "test_id")]
    }
    config = RunConfig.from_dict(
        {
            "data": data,
            "model": {"text_encoder": "org/tiny", "hidden": 16, "tree": {"hidden": 16, "heads": 2}},
            "train": {
                "epochs": 1,
                "batch_size": 16,
                "cache_dir": str(tmp_path / "cache"),
                "progress_bar": False,
            },
        }
    )
    train(config, tmp_path / "run")
    assert (
        "text encoder: org/tiny at commit aaaaaaaaaaaa, cls pooling, frozen"
        in (tmp_path / "run" / "train.log").read_text()
    )
    stored = stored_config(tmp_path / "run")
    assert stored is not None and (stored.model.text_encoder.revision, stored.model.text_encoder.pooling) == (
        "a" * 40,
        "cls",
    )
    fake_hub.publish("org/tiny", "b" * 40, tiny_model_dir, seed=1)  # main moves on
    assert config_changes(tmp_path / "run", config) == []
    assert config.settled_by(stored).model.text_encoder == stored.model.text_encoder
    assert config_changes(tmp_path / "run", config.updated({"model.text_encoder.pooling": "mean"})) == [
        "model.text_encoder.pooling: 'cls' -> 'mean'"
    ]
    train(config, tmp_path / "run", resume=True)  # resumed: not refused, and still on commit a
    assert stored_config(tmp_path / "run") == stored
