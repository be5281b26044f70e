"""Every Python snippet of the README runs as written (in a scratch folder beside which the
repository's datasets, recipes and ../shared/datasets are reachable by the same paths)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATASETS, real_data

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_its_python_snippets() -> None:
    assert len(SNIPPETS) >= 3 and "pk.fit(" in SNIPPETS[0] and "pk.predict(" in SNIPPETS[0]


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_a_readme_snippet_runs_as_written(index: int, tmp_path: Path) -> None:
    code = SNIPPETS[index]
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
    assert done.returncode == 0, f"README snippet {index} failed:\n{done.stderr[-3000:]}"
