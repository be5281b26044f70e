"""``fit``: train a model from a config and data (files or memory) into a run directory."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from priorkit.api.ensemble import Ensemble, write_ensemble
from priorkit.api.evaluation import ensemble_scores
from priorkit.config import path_of, whole_number
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.data.sources import DataSource, as_dataset
from priorkit.errors import ConfigError, PriorkitError
from priorkit.runs.config import ConfigSource, RunConfig
from priorkit.runs.files import is_run, member_folder
from priorkit.runs.trained import TrainedModel
from priorkit.training.run import SPLITS, train


def fit(
    config: ConfigSource,
    data: Mapping[str, DataSource] | None = None,
    out: str | os.PathLike[str] = "runs/fit",
    overrides: list[str] | None = None,
    resume: bool = True,
    verbose: bool | None = None,
) -> TrainedModel:
    """Train, select the best epoch on validation data, score it on the test data, and return it.

    Args:
        config: a :class:`RunConfig`, a mapping of its sections (``model``, ``priors``,
            ``train``, ``data``), or a YAML path (relative data paths resolved against its folder).
        data: ``{"train", "val", "test"}``, each a JSONL path, a dataset, or a list of samples or
            records; None: the files named in ``config.data``.
        out: the run directory (checkpoints, ``history.csv``, ``metrics.json``; rerun to resume).
        overrides: ``key=value`` changes of the config, as ``--set`` on the command line.
        resume: continue from the run directory's last checkpoint when there is one.
        verbose: show Lightning's own messages too (None: the config's ``train.verbose``,
            default off: training prints nothing but its progress bar).

    Returns:
        the trained model (its ``metrics`` hold the test report).
    """
    path_of(out, "out", "a run folder")  # before any work
    run_config = RunConfig.of(config, _overrides(overrides))
    if verbose is not None:
        run_config = run_config.updated({"train.verbose": verbose})
    splits = None if data is None else _splits(data, run_config.data.stream)
    result = train(run_config, out, resume=resume, splits=splits)
    return TrainedModel.from_run(result.run_dir, trust_code=True)  # its config is the caller's own


def fit_ensemble(
    config: ConfigSource,
    data: Mapping[str, DataSource] | None = None,
    out: str | os.PathLike[str] = "runs/ensemble",
    seeds: Sequence[int] = (0, 1, 2),
    overrides: list[str] | None = None,
    resume: bool = True,
    verbose: bool | None = None,
) -> Ensemble:
    """Train the config once per seed (``out/seed-<seed>``, each a run of :func:`fit`) and
    return the networks as one :class:`~priorkit.api.ensemble.Ensemble`, written to
    ``out/ensemble.json`` with its test scores (the averaged probabilities' accuracy and
    macro-F1, beside each member's). Rerun to resume: finished members are only re-evaluated.

    Args:
        seeds: one run per seed (distinct integers, at least one); the config's ``train.seed``
            is replaced by each.
        config, data, overrides, resume, verbose: as for :func:`fit`.
    """
    seeds = _seeds(seeds)
    path_of(out, "out", "a run folder")  # before any work
    run_config = RunConfig.of(config, _overrides(overrides))
    folder = Path(out)
    if is_run(folder):
        raise PriorkitError(
            f"{folder}: expected a folder for a seed ensemble (got the folder of one run, with its "
            "config.yaml: loading it would give that run, not the ensemble). Train into another out."
        )
    members = tuple(
        fit(
            run_config.updated({"train.seed": seed}),
            data,
            folder / member_folder(seed),
            resume=resume,
            verbose=verbose,
        )
        for seed in seeds
    )
    ensemble = Ensemble(members, folder)
    test = data["test"] if data is not None else run_config.data.test
    metrics = {"seeds": list(seeds), **_test_scores(ensemble, test)}
    write_ensemble(folder, [member_folder(seed) for seed in seeds], metrics)
    return replace(ensemble, metrics=metrics)


def _test_scores(ensemble: Ensemble, test: DataSource | None) -> dict[str, Any]:
    """The ensemble's test accuracy and macro-F1 and each member's (none without test data)."""
    if test is None:
        return {}
    metrics = ensemble_scores(ensemble, as_dataset(test, "data['test']"), "data['test']")
    scores = {key: metrics[key] for key in ("accuracy", "macro_f1", "n")}
    members = [
        {"accuracy": m.metrics["test"]["accuracy"], "macro_f1": m.metrics["test"]["macro_f1"]}
        for m in ensemble.members
    ]
    return {"test": scores, "members_test": members}


def _seeds(seeds: object) -> list[int]:
    """``seeds`` as a list of distinct integers (numpy's too), at least one; else a clear error."""
    values = (
        list(seeds) if isinstance(seeds, Iterable) and not isinstance(seeds, (str, bytes, Mapping)) else None
    )
    numbers = [whole_number(s) for s in values or []]
    if numbers and None not in numbers and len(set(numbers)) == len(numbers):
        return numbers  # type: ignore[return-value]
    shown = repr(seeds if values is None else (numbers if None not in numbers else values))[:120]
    raise ConfigError(
        f"seeds: expected a list of distinct integers, at least one (got {shown}), e.g. [0, 1, 2]."
    )


def _overrides(overrides: object) -> list[str]:
    """``overrides`` as a list of ``key=value`` strings (None: none)."""
    if overrides is None:
        return []
    if isinstance(overrides, (list, tuple)) and all(isinstance(item, str) for item in overrides):
        return list(overrides)
    raise ConfigError(
        f"overrides: expected a list of key=value strings (got {type(overrides).__name__} "
        f"{repr(overrides)[:80]}), e.g. ['train.epochs=5']."
    )


def _splits(data: Mapping[str, DataSource], stream: bool = False) -> dict[str, Any]:
    if not isinstance(data, Mapping) or set(data) != set(SPLITS):
        got = sorted(data) if isinstance(data, Mapping) else type(data).__name__
        raise ConfigError(
            f"data: expected a mapping with exactly the keys {', '.join(SPLITS)} (got {got}). "
            "Split your samples first, e.g. with pk.make_splits(dataset, pk.SplitConfig(k=5))."
        )
    in_memory = [name for name in SPLITS if not (stream and name == "train")]
    out = {name: as_dataset(data[name], f"data[{name!r}]") for name in in_memory}
    return {"train": _stream(data["train"]), **out} if stream else out


def _stream(train: DataSource) -> JsonlStream:
    """The training file, streamed (``data.stream``)."""
    if not isinstance(train, (str, os.PathLike)):
        raise ConfigError(
            f"data.stream: expected the training data as a JSONL path (got {type(train).__name__}, "
            "already in memory). Pass the file's path, or set data.stream to false."
        )
    return JsonlStream(train)
