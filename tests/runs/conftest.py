"""A copy of the run folder and the saved model that priorkit 9faf274 wrote (format 1), with the
tiny text encoder they name, in a scratch folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

LEGACY = Path(__file__).resolve().parent / "legacy_v1"


@pytest.fixture
def legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "legacy_v1"
    shutil.copytree(LEGACY, folder)
    monkeypatch.chdir(folder)  # the saved configs name their text encoder as the folder `tiny-bert`
    monkeypatch.setenv("PRIORKIT_CACHE", str(tmp_path / "cache"))
    return folder
