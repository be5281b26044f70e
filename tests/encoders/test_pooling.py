from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from priorkit.encoders.pooling import pool, stated_pooling
from priorkit.errors import ConfigError
from tests.conftest import MODULES, sentence_transformers_files


def reader(folder: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return lambda name: folder / name if (folder / name).is_file() else None


HIDDEN = torch.tensor([[[1.0, -4.0], [3.0, 2.0], [9.0, 9.0]], [[2.0, 0.0], [-1.0, 5.0], [0.0, -7.0]]])
MASK = torch.tensor([[1, 1, 0], [1, 1, 1]])  # the first text is padded at its third position


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("mean", [[2.0, -1.0], [1 / 3, -2 / 3]]),
        ("cls", [[1.0, -4.0], [2.0, 0.0]]),
        ("max", [[3.0, 2.0], [2.0, 5.0]]),
        ("last", [[3.0, 2.0], [0.0, -7.0]]),
    ],
)
def test_each_pooling_reads_the_texts_tokens_and_never_the_padding(how: str, expected: list) -> None:
    assert torch.allclose(pool(HIDDEN, MASK, how), torch.tensor(expected))


def test_a_text_of_no_tokens_pools_to_zeros_with_mean_and_max() -> None:
    empty = torch.tensor([[0, 0, 0], [1, 1, 1]])
    for how in ("mean", "max"):
        out = pool(HIDDEN, empty, how)
        assert torch.isfinite(out).all() and torch.equal(out[0], torch.zeros(2))


def test_an_unknown_pooling_is_refused() -> None:
    with pytest.raises(ValueError, match=r"expected one of \('mean', 'cls', 'max', 'last'\) \(got 'sum'\)"):
        pool(HIDDEN, MASK, "sum")


@pytest.mark.parametrize(
    ("flag", "expected"),
    [("cls_token", "cls"), ("mean_tokens", "mean"), ("max_tokens", "max"), ("lasttoken", "last")],
)
def test_the_pooling_a_sentence_transformers_model_states(tmp_path: Path, flag: str, expected: str) -> None:
    assert stated_pooling(reader(tmp_path, sentence_transformers_files(**{flag: True})), "org/m") == expected


def test_a_model_that_states_no_pooling_is_mean_pooled(tmp_path: Path) -> None:
    assert stated_pooling(reader(tmp_path, {}), "org/m") == "mean"  # a plain transformers model
    only = [MODULES[0]]  # a sentence-transformers model without a pooling module
    assert stated_pooling(reader(tmp_path, {"modules.json": json.dumps(only)}), "org/m") == "mean"


@pytest.mark.parametrize(
    ("flags", "got"),
    [
        ({"mean_sqrt_len_tokens": True}, r"\['pooling_mode_mean_sqrt_len_tokens'\]"),
        (
            {"cls_token": True, "mean_tokens": True},
            r"\['pooling_mode_cls_token', 'pooling_mode_mean_tokens'\]",
        ),
        ({}, "none set"),
    ],
)
def test_a_pooling_priorkit_does_not_compute_is_named_with_the_setting_to_give(
    tmp_path: Path, flags: dict, got: str
) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"1_Pooling/config.json: expected one of the poolings .* for text encoder 'org/m' \(got {got}\)"
        r".*Set model\.text_encoder\.pooling to one of mean, cls, max, last\.",
    ):
        stated_pooling(reader(tmp_path, sentence_transformers_files(**flags)), "org/m")


def test_damaged_or_missing_pooling_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"modules\.json: expected the JSON that sentence-transformers writes"
    ):
        stated_pooling(reader(tmp_path / "a", {"modules.json": "[{"}), "org/m")
    with pytest.raises(ConfigError, match=r"modules\.json: expected a list of modules \(got dict\)"):
        stated_pooling(reader(tmp_path / "b", {"modules.json": "{}"}), "org/m")
    with pytest.raises(
        ConfigError, match=r"modules\.json: expected the pooling module's config\.json in '1_Pooling'"
    ):
        stated_pooling(reader(tmp_path / "c", {"modules.json": json.dumps(MODULES)}), "org/m")
