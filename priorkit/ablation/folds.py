"""The folds of a study's datasets: made once per dataset when the study starts, saved in the
study folder, and read back by every trial.

``splits/<dataset>.json`` holds the split config, every fold's sample ids and each sample's group
(its story or event), so a rerun or another machine trains on exactly the same folds and a
reader can check them; ``splits/<dataset>.leakage.json`` holds the split's leakage report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from priorkit.ablation.grid import Trial, default_name
from priorkit.ablation.study import CollectionConfig, StudyConfig
from priorkit.analysis.leakage import LeakageReport, embedding_features, leakage_report
from priorkit.atomic import write_json
from priorkit.data.cache import load_cached
from priorkit.data.dataset import TreeDataset
from priorkit.data.split_plan import SplitConfig, SplitPlan, make_splits
from priorkit.data.splits import Split
from priorkit.errors import ConfigError
from priorkit.runs.config import RunConfig
from priorkit.runs.graphs import load_split, text_features


def pool(
    source: str | None,
    fmt: str,
    labels: dict[str, str],
    config: RunConfig,
    periods: int | None = None,
    node_features: bool = True,
) -> TreeDataset:
    """All samples of a folded dataset: its ``source``, or the base config's three files;
    relabelled, grouped by post-time period when ``periods`` is given, without node features
    when ``node_features`` is false."""
    cache = config.train.cache_dir
    if source is not None:
        dataset = load_cached(fmt, source, cache_dir=cache)
    else:
        parts = [load_split(getattr(config.data, name), cache) for name in ("train", "val", "test")]
        dataset = TreeDataset([s for part in parts for s in part])
    dataset.relabel(labels)
    if not node_features:
        dataset.drop_features()
    return dataset if periods is None else dataset.group_by_period(periods)


def collection(entry: CollectionConfig, config: RunConfig) -> TreeDataset:
    """Another collection to score trials on (a dataset's ``evaluate`` entry), read whole."""
    return pool(entry.source, entry.format, entry.labels, config, node_features=entry.node_features)


def split_file(folder: Path, dataset: str) -> Path:
    return folder / "splits" / f"{dataset}.json"


def save_folds(study: StudyConfig, config: RunConfig, folder: Path) -> dict[str, tuple[int, str]]:
    """Make (or read back) the folds of every dataset of a folded study, with their leakage
    reports (a missing report is made again from the saved folds); returns dataset ->
    (number of folds, the saved file).

    Raises:
        ConfigError: the study folder holds folds made under another split config.
    """
    if study.folds is None:
        return {}
    datasets = study.datasets or {}
    out = {}
    for name in datasets or [default_name(config)]:
        data = datasets.get(name)
        file = split_file(folder, name)
        saved = json.loads(file.read_text()) if file.is_file() else None
        _check_same(saved, study.folds, file)
        if saved is None or not file.with_suffix(".leakage.json").is_file():
            if data is None:
                dataset = pool(None, "jsonl", {}, config)
            else:
                dataset = pool(
                    data.source, data.format, data.labels, config, data.periods, data.node_features
                )
            saved = _save(dataset, study.folds, config, file, saved)
        out[name] = (len(saved["folds"]), str(file))
    return out


def _check_same(saved: dict[str, Any] | None, split: SplitConfig, file: Path) -> None:
    if saved is not None and SplitConfig.from_saved(saved["config"]).model_dump() != split.model_dump():
        raise ConfigError(
            f"{file}: this study folder was split with {saved['config']}, the study now asks for "
            f"{split.model_dump(mode='json')}. Use a new --out folder for the new folds."
        )


def _save(
    dataset: TreeDataset, split: SplitConfig, config: RunConfig, file: Path, saved: dict[str, Any] | None
) -> dict[str, Any]:
    """Write the folds (unless ``saved``: kept as they are) and their leakage report."""
    embeddings = text_features(dataset, config)
    if saved is None:
        plan = make_splits(dataset, split, embeddings if split.needs_embeddings else None)
    else:
        plan = SplitPlan.from_dict(saved, dataset)
    features = embedding_features(config.model.text_encoder.model)
    file.parent.mkdir(parents=True, exist_ok=True)
    report = leakage_report(dataset, plan.splits, split.kind, split.near_duplicate, embeddings, features)
    write_json(file.with_suffix(".leakage.json"), report.to_dict())
    if saved is None:
        saved = plan.to_dict()
        write_json(file, saved)
    return saved


def load_leakage(folder: Path) -> dict[str, LeakageReport]:
    """The saved leakage report of each dataset of a study folder, by dataset name."""
    return {
        path.name.removesuffix(".leakage.json"): LeakageReport.from_dict(json.loads(path.read_text()))
        for path in sorted((folder / "splits").glob("*.leakage.json"))
    }


def trial_split(trial: Trial, dataset: TreeDataset) -> Split:
    """The fold of ``trial``, read from the study's saved folds."""
    if trial.split_file is None or trial.fold is None:
        raise ConfigError(f"{trial.key}: not a folded trial")
    plan = SplitPlan.from_dict(json.loads(Path(trial.split_file).read_text()), dataset)
    return plan.splits[trial.fold]
