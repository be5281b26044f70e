"""Shared fixtures: tiny literal samples, a tiny offline Hugging Face encoder (hidden 32, 2 layers,
a tokenizer from a small vocab) and the location of the real datasets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def real_data(relative: str) -> Path:
    """Path of a real dataset under ``../shared/datasets``.

    Missing data skips the test on a user's machine, but fails it where
    ``PRIORKIT_REQUIRE_REAL_DATA=1`` (CI sets it), so CI can never pass by skipping.
    """
    path = SHARED_DATASETS / relative
    if not path.exists():
        if os.environ.get("PRIORKIT_REQUIRE_REAL_DATA") == "1":
            pytest.fail(f"real dataset missing: {path}")
        pytest.skip(f"real dataset not available: {path}")
    return path


def record(sample_id: str = "r1", label: Any = "negative", **extra: Any) -> dict[str, Any]:
    """A valid three-node record: u0 is the root, u1 its child, u2 u1's child."""
    out: dict[str, Any] = {
        "id": sample_id,
        "text": "the pasta was cold",
        "label": label,
        "nodes": [
            {"id": "u0", "parent": None, "features": [0.1, 2.0], "time": 0.0},
            {"id": "u1", "parent": "u0", "features": [0.5, 1.0], "time": 3.5, "importance": 1.0},
            {"id": "u2", "parent": "u1", "features": [0.0, -1.0], "text": "agreed"},
        ],
    }
    out.update(extra)
    return out


def assert_same_samples(a, b) -> None:  # type: ignore[no-untyped-def]
    """Every field of two sequences of samples is equal (NaN equal to NaN)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.id, x.text, x.label, x.group, x.created_at, x.node_ids, x.node_text, x.user) == (
            y.id,
            y.text,
            y.label,
            y.group,
            y.created_at,
            y.node_ids,
            y.node_text,
            y.user,
        )
        assert np.array_equal(x.parent_index, y.parent_index) and np.array_equal(x.depth, y.depth)
        for name in ("time", "importance"):
            u, v = getattr(x, name), getattr(y, name)
            assert (u is None and v is None) or np.array_equal(u, v, equal_nan=True)
        if x.features is None or y.features is None:
            assert x.features is None and y.features is None
        elif isinstance(x.features, np.ndarray):
            assert np.array_equal(x.features, y.features)
        else:
            assert (x.features != y.features).nnz == 0


@pytest.fixture
def write_lines(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write JSONL lines (dicts are dumped, strings written verbatim) and return the path."""

    def write(lines: list[Any], name: str = "data.jsonl") -> Path:
        path = tmp_path / name
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    return write


VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "the",
    "pasta",
    "was",
    "cold",
    "lovely",
    "soup",
    "and",
    "service",
    "slow",
    "great",
    "bad",
    "good",
    "food",
    "very",
    "waiter",
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    BertTokenizer(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


MODULES = [
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
]


def sentence_transformers_files(**flags: bool) -> dict[str, str]:
    """The files a sentence-transformers model states its pooling in, with ``flags`` set."""
    modes = [
        "cls_token",
        "mean_tokens",
        "max_tokens",
        "mean_sqrt_len_tokens",
        "weightedmean_tokens",
        "lasttoken",
    ]
    settings = {"word_embedding_dimension": 32, **{f"pooling_mode_{m}": flags.get(m, False) for m in modes}}
    return {"modules.json": json.dumps(MODULES), "1_Pooling/config.json": json.dumps(settings)}


class FakeHub:
    """A Hugging Face Hub cache (``models--org--name/refs`` and ``snapshots/<commit>``) in a
    scratch folder, read offline: what ``from_pretrained`` of a Hub id finds once downloaded."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def publish(self, name: str, commit: str, source: Path, seed: int | None = None, **files: str) -> Path:
        """Make ``commit`` of ``name`` the model in ``source`` (with its weights re-drawn from
        ``seed``) plus ``files`` (relative path: text), and point ``main`` at it."""
        repo = self.root / f"models--{name.replace('/', '--')}"
        snapshot = repo / "snapshots" / commit
        shutil.copytree(source, snapshot)
        if seed is not None:
            from transformers import AutoModel

            torch.manual_seed(seed)
            model = AutoModel.from_config(AutoModel.from_pretrained(source).config)
            model.save_pretrained(snapshot)
        for relative, text in files.items():
            (snapshot / relative).parent.mkdir(parents=True, exist_ok=True)
            (snapshot / relative).write_text(text)
        self.point(name, "main", commit)
        return snapshot

    def point(self, name: str, ref: str, commit: str) -> None:
        refs = self.root / f"models--{name.replace('/', '--')}" / "refs"
        refs.mkdir(parents=True, exist_ok=True)
        (refs / ref).write_text(commit)


@pytest.fixture
def fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    import huggingface_hub.constants as constants

    root = tmp_path / "hub"
    root.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(root))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return FakeHub(root)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic dataset: train 48, val 16, test_id and test_ood 24 samples, 4 features."""
    from priorkit.data.synth import SynthConfig, write_synthetic

    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic(folder, SynthConfig(n_train=48, n_val=16, n_test=24, max_nodes=12, seed=5))
    return folder


def rendered_dom(page: Path, budget_ms: int = 5000) -> str:
    """The DOM of ``page`` once headless Chromium has loaded it (its scripts run)."""
    browser = chromium()
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--virtual-time-budget={budget_ms}"]
    done = subprocess.run(
        [*command, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def chromium() -> str:
    """The headless browser's command; skips without one, unless PRIORKIT_REQUIRE_BROWSER=1 (CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("PRIORKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required here (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found
