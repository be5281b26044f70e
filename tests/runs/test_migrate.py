"""Run folders and saved models of format 1 (before the typed configuration) load and predict as
they did; a config of format 1 is read in today's shape; a format from the future is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import priorkit as pk
from priorkit.errors import ConfigError, PriorkitError
from priorkit.runs.config import RunConfig
from priorkit.runs.migrate import upgrade


@pytest.mark.parametrize("kind", ["run", "export"])
def test_a_format_1_folder_loads_and_predicts_as_it_did(legacy: Path, kind: str) -> None:
    expected = json.loads((legacy / "expected.json").read_text())[kind]
    model = pk.load(legacy / kind)
    assert (
        model.config.model.text_encoder.model == "tiny-bert"
        and model.config.model.text_encoder.max_length == 32
    )
    assert [type(p).__name__ for p in model.config.priors] == ["DepthDecayConfig", "ModalityGateConfig"]
    assert model.config.priors[1].weight == 0.5 and model.config.model.fusion.name == "gated"
    assert model.config.priors[1].mode == "soft"  # the gate's mode then; bound is today's default
    got = [p.to_dict() for p in pk.predict(model, legacy / "samples.jsonl")]
    assert [p["label"] for p in got] == [p["label"] for p in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for label, value in theirs["probabilities"].items():
            assert mine["probabilities"][label] == pytest.approx(value, abs=1e-6)


def test_a_format_1_export_saved_again_is_format_2_and_predicts_the_same(legacy: Path) -> None:
    model = pk.load(legacy / "export")
    folder = model.save_pretrained(legacy / "again")
    saved = json.loads((folder / "config.json").read_text())
    assert saved["format_version"] == 2 and saved["run"]["model"]["text_encoder"]["model"] == "tiny-bert"
    assert "pooling" not in saved["run"]["model"]
    before = [p.to_dict() for p in pk.predict(model, legacy / "samples.jsonl")]
    assert [p.to_dict() for p in pk.predict(pk.load(folder), legacy / "samples.jsonl")] == before


def test_resuming_a_format_1_run_sees_no_change_of_config(legacy: Path) -> None:
    from priorkit.runs.files import config_changes

    config = RunConfig.from_yaml(legacy / "run" / "config.yaml")
    assert config_changes(legacy / "run", config) == []
    (changed,) = config_changes(legacy / "run", config.updated({"priors.0.decay": 3.0}))
    assert changed.startswith("priors: ") and "'decay': 2.0" in changed and "'decay': 3.0" in changed


def test_a_format_from_the_future_is_refused_by_name(legacy: Path) -> None:
    config = json.loads((legacy / "export" / "config.json").read_text())
    config["format_version"] = 99
    (legacy / "export" / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        PriorkitError, match=r"config.json: expected format_version 1 or 2 \(got 99\)\. A newer"
    ):
        pk.load(legacy / "export")


def test_flat_text_encoder_keys_move_into_the_nested_config() -> None:
    old = {"model": {"text_encoder": "a/b", "pooling": "cls", "text_learning_rate": 1e-4, "hidden": 8}}
    assert upgrade(old) == {
        "model": {"text_encoder": {"model": "a/b", "pooling": "cls", "learning_rate": 1e-4}, "hidden": 8}
    }
    assert upgrade({"model": {"text_encoder": {"model": "a/b"}}}) == {
        "model": {"text_encoder": {"model": "a/b"}}
    }
    # a --set of format 1 on a config of format 2 still reaches the text encoder
    config = RunConfig.from_dict({"model": {"text_encoder": {"model": "a/b"}}}, ["model.max_length=16"])
    assert config.model.text_encoder.max_length == 16 and config.model.text_encoder.model == "a/b"
    with pytest.raises(ConfigError, match=r"expected each text encoder setting once \(got pooling"):
        RunConfig.from_dict(
            {"model": {"text_encoder": {"model": "a/b", "pooling": "cls"}, "pooling": "mean"}}
        )


def test_a_format_1_modality_gate_keeps_the_mode_of_its_time() -> None:
    flat = {"text_encoder": "a/b", "pooling": "mean"}
    old = {"model": flat, "priors": ["modality_gate", {"name": "modality_gate", "target": {"text": 0.7}}]}
    assert [RunConfig.from_dict(old).priors[i].mode for i in (0, 1)] == ["soft", "soft"]
    stated = {"model": flat, "priors": [{"name": "modality_gate", "mode": "hard"}]}
    assert RunConfig.from_dict(stated).priors[0].mode == "hard"
    # format 2 (no flat keys): today's default, also with an override in format 1's spelling
    assert RunConfig.from_dict({"priors": ["modality_gate"]}).priors[0].mode == "bound"
    overridden = RunConfig.from_dict({"priors": ["modality_gate"]}, ["model.max_length=16"])
    assert overridden.priors[0].mode == "bound" and overridden.model.text_encoder.max_length == 16
    spelled = {"model": flat, "priors": [{"name": "Modality-Gate"}]}
    assert RunConfig.from_dict(spelled).priors[0].mode == "soft"
