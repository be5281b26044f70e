"""Every Python snippet of the README and of the documentation site runs as written (in a
scratch folder beside which the repository's datasets, recipes and ../shared/datasets are
reachable by the same paths), and the README stays a README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATASETS, real_data

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SNIPPETS = [
    (page.relative_to(ROOT).as_posix(), k, code)
    for page in PAGES
    for k, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S))
]


def test_the_readme_fits_a_screen_and_shows_the_whole_loop() -> None:
    readme = [code for page, _, code in SNIPPETS if page == "README.md"]
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
    assert readme and all(f"pk.{step}(" in readme[0] for step in ("fit", "evaluate", "predict", "load"))
    assert len(SNIPPETS) >= 5  # the docs' API pages carry the longer examples


@pytest.mark.parametrize(("page", "index", "code"), SNIPPETS, ids=[f"{p}#{k}" for p, k, _ in SNIPPETS])
def test_a_snippet_runs_as_written(page: str, index: int, code: str, tmp_path: Path) -> None:
    if "../shared/" in code:
        real_data("twitter15")
    work = tmp_path / "clone"
    work.mkdir()
    for name in ("datasets", "recipes"):
        (work / name).symlink_to(ROOT / name)
    if SHARED_DATASETS.exists():
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "datasets").symlink_to(SHARED_DATASETS)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PRIORKIT_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, f"{page} snippet {index} failed:\n{done.stderr[-3000:]}"
