"""The trials of a study: one per (dataset, arm, seed, fold), sweeps expanded into arms."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from priorkit.ablation.study import Evaluated, StudyConfig
from priorkit.errors import ConfigError
from priorkit.escaping import path_safe
from priorkit.registry import normalise_name
from priorkit.runs.config import RunConfig

FIXED = "fixed"


@dataclass(frozen=True)
class Trial:
    """One training run of a study, with everything a worker needs (picklable).

    Args:
        dataset, arm, seed: where it sits in the grid; fold: the fold's index (None: fixed split).
        config: the full training config (typed, data paths absolute).
        source, format: the data to split into folds (None: fixed files).
        split_file: the study's saved folds of that data (``splits/<dataset>.json``).
        labels: label renames of that data (old -> new).
        periods: group the data's samples into this many post-time periods (None: keep groups).
        node_features: false: the data's node features are dropped.
        evaluate: further data to score the run on, by name (JSONL files, other collections).
        sweep: ``{prior, arg, value}`` when the arm comes from a sweep.
    """

    dataset: str
    arm: str
    seed: int
    fold: int | None
    config: RunConfig
    source: str | None = None
    format: str = "jsonl"
    split_file: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    periods: int | None = None
    node_features: bool = True
    evaluate: dict[str, Evaluated] = field(default_factory=dict)
    sweep: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """A path-safe unique name: ``dataset/arm/seed0/fold1``."""
        return trial_key(self.dataset, self.arm, self.seed, self.fold)


def trial_key(dataset: str, arm: str, seed: int, fold: int | None) -> str:
    """The folder of a trial under ``trials/``: ``dataset/arm/seed0/fold1`` (``fixed``: no folds)."""
    return f"{dataset}/{path_safe(arm)}/seed{seed}/{FIXED if fold is None else f'fold{fold}'}"


def arms(study: StudyConfig, base: RunConfig) -> dict[str, tuple[RunConfig, dict[str, Any] | None]]:
    """Arm name -> (its training config, its sweep point or None); sweeps add arms. Each arm is
    the base config with the arm's changes, validated as it is made, before any trial runs."""
    out: dict[str, tuple[RunConfig, dict[str, Any] | None]] = {
        name: (base.updated(changes, where=f"arms.{name}: "), None) for name, changes in study.arms.items()
    }
    for sweep in study.sweeps:
        config = out[sweep.arm][0]
        wanted = normalise_name(sweep.prior)
        positions = [i for i, prior in enumerate(config.priors) if prior.name == wanted]
        if not positions:
            raise ConfigError(
                f"sweeps: arm {sweep.arm!r} has no prior {sweep.prior!r}. Add it to the arm's priors."
            )
        if len(positions) > 1:  # which one would vary is not said: the sweep would pick the first
            raise ConfigError(
                f"sweeps: arm {sweep.arm!r} has {len(positions)} priors {sweep.prior!r} (at priors "
                f"{', '.join(map(str, positions))}), so the sweep cannot tell which to vary. Sweep an "
                "arm with one of them, or make one arm per setting."
            )
        settings: dict[str, str] = {}  # the swept argument as validated -> the arm that has it
        made: set[str] = set()  # the arms this sweep made
        for value in sweep.values:
            name = f"{sweep.arm}@{sweep.arg}={value}"
            swept = config.updated({f"priors.{positions[0]}.{sweep.arg}": value}, where=f"sweeps ({name}): ")
            setting = repr(getattr(swept.priors[positions[0]], sweep.arg, value))
            earlier = settings.setdefault(setting, name)
            if earlier != name or name in made:
                raise ConfigError(
                    f"sweeps: {sweep.arm}.{sweep.arg}: expected each value once (got {value!r}, which sets "
                    f"{sweep.arg} to {setting} as {earlier!r} does). Give each value once."
                )
            if name in out:
                raise ConfigError(
                    f"sweeps: the arm {name!r} is made twice (another arm or sweep has that name, e.g. two "
                    "priors of one arm swept over the same argument). Rename the arm or sweep one of them."
                )
            out[name] = (swept, {"prior": sweep.prior, "arg": sweep.arg, "value": value})
            made.add(name)
    _distinct_folders(list(out))
    return out


def _distinct_folders(names: list[str]) -> None:
    """Refuse two arm names that would share a trial folder (``a b`` and ``a_b``)."""
    first: dict[str, str] = {}
    for name in names:
        other = first.setdefault(path_safe(name), name)
        if other != name:
            raise ConfigError(
                f"arms: {other!r} and {name!r} would share the trial folder {path_safe(name)!r}. "
                "Rename one of them (letters, digits and -_.=@ are kept as they are)."
            )


def expand(
    study: StudyConfig, base: RunConfig, folds: dict[str, tuple[int, str]] | None = None
) -> list[Trial]:
    """Every trial, in a stable order (dataset, arm, seed, fold).

    Args:
        folds: for a folded study, dataset -> (its number of folds, the file of its saved folds).
    """
    datasets = study.datasets or {}
    names = list(datasets) or [default_name(base)]
    trials = []
    for name in names:
        data = datasets.get(name)
        count, split_file = _folds(study, name, folds)
        for arm, (config, sweep) in arms(study, base).items():
            for seed in study.seeds:
                changes: dict[str, Any] = {"train.seed": seed}
                if data is not None and data.source is None:
                    changes.update({"data.train": data.train, "data.val": data.val, "data.test": data.test})
                config_seeded = config.updated(changes)
                evaluate = dict(data.evaluate) if data is not None else dict(study.evaluate)
                for fold in range(count) if count else [None]:
                    trials.append(
                        Trial(
                            dataset=name,
                            arm=arm,
                            seed=seed,
                            fold=fold,
                            config=config_seeded,
                            source=None if data is None else data.source,
                            format="jsonl" if data is None else data.format,
                            split_file=split_file,
                            labels={} if data is None else dict(data.labels),
                            periods=None if data is None else data.periods,
                            node_features=True if data is None else data.node_features,
                            evaluate=evaluate,
                            sweep=sweep,
                        )
                    )
    return trials


def default_name(base: RunConfig) -> str:
    """The dataset name of a study without ``datasets``: the folder of the base config's
    training file (``synthetic`` for ``datasets/synthetic/train.jsonl``)."""
    name = path_safe(Path(base.data.path("train")).parent.name)
    return name if name.strip(".") else "data"


def _folds(
    study: StudyConfig, dataset: str, folds: dict[str, tuple[int, str]] | None
) -> tuple[int, str | None]:
    if study.folds is None:
        return 0, None
    if not folds or dataset not in folds:
        raise ConfigError(f"folds: the saved folds of {dataset!r} are needed to expand the grid.")
    return folds[dataset]
