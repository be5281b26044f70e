"""``StudyConfig``: the study file of ``priorkit ablate``: a base training config, arms, seeds,
folds, datasets and sweeps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from priorkit.config import Settings, load_config, path_of, validated
from priorkit.data.formats import FORMATS
from priorkit.data.split_plan import SplitConfig
from priorkit.data.synth import SynthConfig
from priorkit.errors import ConfigError
from priorkit.escaping import path_safe
from priorkit.priors.base import PRIORS
from priorkit.runs.config import SEED_MAX, RunConfig


class SweepConfig(Settings):
    """One prior argument varied over values, on top of an arm.

    Args:
        arm: the arm whose prior is varied (each value becomes an arm ``<arm>@<arg>=<value>``).
        prior: the name of the prior in that arm's ``priors`` list.
        arg: the argument to vary; values: its values.
    """

    arm: str
    prior: str
    arg: str
    values: list[Any] = Field(min_length=1)


class CollectionConfig(Settings):
    """Another collection that every trial of a dataset is scored on, read whole (never split,
    never trained on): ``evaluate: {pheme: {source: ../pheme6, format: pheme, labels:
    {non-rumour: non-rumor}}}`` tests models trained on one collection on another.

    Args:
        source, format: the collection and its loader (as a dataset's ``source``, ``format``).
        labels: old label -> new label, to the names the trained model knows.
        node_features: false drops the collection's node features (for a model trained
            without them, ``node_features: false`` on its dataset).
    """

    source: str
    format: str = "jsonl"
    labels: dict[str, str] = Field(default_factory=dict)
    node_features: bool = True

    @field_validator("format")
    @classmethod
    def _known(cls, value: str) -> str:
        return FORMATS.validated(value)


Evaluated = str | CollectionConfig  # a JSONL file, or another collection with its loader


class DatasetConfig(Settings):
    """Where one dataset of a study comes from.

    Args:
        train, val, test: JSONL files of a fixed split (when the study has no ``folds``).
        source, format: all samples of the dataset, split into folds (``format``: a loader
            of ``priorkit data convert``; ``jsonl`` for a JSONL file).
        labels: old label -> new label for a ``source`` dataset (labels not named stay), e.g.
            PHEME's veracity classes folded into ``rumour`` / ``non-rumour``.
        periods: set each sample's ``group`` to its post-time period, the samples cut by time
            into this many equal parts (for ``group_invariance`` on data without groups, e.g.
            Twitter15's collection periods); null: the groups the data have.
        node_features: false drops the samples' node features (a ``source`` dataset), so that
            a model trained here can score a collection whose nodes carry other ones.
        evaluate: further data every trial is scored on, by name: JSONL files (``{test_ood:
            ...}``) or other collections (:class:`CollectionConfig`).
        synth: a synthetic world (:class:`~priorkit.data.synth.SynthConfig` fields), written
            into the study folder when the study runs: trained on its ``train``/``val``,
            tested on ``test_id``, and scored on ``test_ood`` too.
        note: what the dataset is, for the tables (where its shortcut sits, ...).
        expect: per arm, what its prior should do here: ``away`` (the default: the shortcut
            sits where the prior points away from, so it should gain), ``neutral`` (the prior
            says nothing about where the shortcut sits) or ``wrong`` (the signal really is where
            the prior points away from: the family table shows the cost).
    """

    train: str | None = None
    val: str | None = None
    test: str | None = None
    source: str | None = None
    format: str = "jsonl"
    labels: dict[str, str] = Field(default_factory=dict)
    periods: int | None = Field(None, ge=2)
    node_features: bool = True
    evaluate: dict[str, Evaluated] = Field(default_factory=dict)
    synth: SynthConfig | None = None
    note: str = ""
    expect: dict[str, Literal["away", "neutral", "wrong"]] = Field(default_factory=dict)

    @field_validator("format")
    @classmethod
    def _known(cls, value: str) -> str:
        return FORMATS.validated(value)

    @model_validator(mode="after")
    def _complete(self) -> DatasetConfig:
        fixed = [self.train, self.val, self.test]
        given = [self.source is not None, all(p is not None for p in fixed), self.synth is not None]
        if sum(given) != 1 or (any(p is not None for p in fixed) and not given[1]):
            raise ValueError(
                "expected exactly one of `source` (split into folds), all of `train`, `val`, `test`, "
                "or `synth`"
            )
        if self.labels and self.source is None:
            raise ValueError("labels: renaming labels needs a `source` dataset (split into folds)")
        if self.periods is not None and self.source is None:
            raise ValueError("periods: grouping by period needs a `source` dataset (split into folds)")
        if not self.node_features and self.source is None:
            raise ValueError(
                "node_features: dropping node features needs a `source` dataset (split into folds)"
            )
        return self


class StudyConfig(Settings):
    """The study file.

    Args:
        base: a training config (a path relative to the study file, or a mapping).
        arms: arm name -> changes of the base config (``{priors: [...]}``, nested mappings
            or dotted keys such as ``model.fusion``), applied to the typed base config by
            :meth:`~priorkit.runs.config.RunConfig.updated`.
        seeds: one trial per seed.
        folds: how folded datasets are split: a :class:`~priorkit.data.split_plan.SplitConfig`
            mapping (``{kind: story, k: 5}``; kinds stratified, groups, story, temporal), an
            integer k (stratified k-fold), ``groups`` (leave one group out, e.g. PHEME events), or
            None for the fixed train/val/test files. The folds are made once per dataset and saved
            in the study folder (``splits/<dataset>.json``).
        datasets: name -> data; None: the base config's data files (plus ``evaluate``).
        datasets_from: instead of ``datasets``, another study file whose datasets this study
            runs (a path relative to this file): other arms on the same datasets, without
            copying them. Their ``expect`` marks name arms or priors: an arm not marked takes
            the mark of its prior (an arm of one prior).
        sweeps: prior arguments varied over values.
        evaluate: further data to score every trial on (for the base config's data): JSONL
            files or other collections, as a dataset's ``evaluate``.
        baseline: the arm the others are compared with.
        val_fraction: the share of each fold's training part used for validation (when
            ``folds`` does not set its own).
        redraw: added to the seed of every synthetic world (``synth``): the same worlds, drawn
            afresh, to check that a study's results do not hang on one draw of its data
            (``priorkit ablate STUDY --redraw 1000``).
    """

    base: str | dict[str, Any]
    arms: dict[str, dict[str, Any]] = Field(min_length=1)
    seeds: list[Annotated[int, Field(ge=0, le=SEED_MAX)]] = Field(default_factory=lambda: [0], min_length=1)
    folds: SplitConfig | None = None
    datasets: dict[str, DatasetConfig] | None = None
    datasets_from: str | None = None
    sweeps: list[SweepConfig] = Field(default_factory=list)
    evaluate: dict[str, Evaluated] = Field(default_factory=dict)
    baseline: str = "baseline"
    val_fraction: float = Field(0.1, gt=0.0, lt=1.0)
    redraw: int = Field(0, ge=0)

    @field_validator("folds", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``folds: 5`` is short for ``{kind: stratified, k: 5}``, ``folds: groups`` for
        ``{kind: groups}``."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            return value
        if isinstance(value, int) and value >= 2:
            return {"kind": "stratified", "k": value}
        if value == "groups":
            return {"kind": "groups"}
        raise ValueError(f"expected an integer >= 2, `groups` or a split mapping (got {value!r})")

    @model_validator(mode="before")
    @classmethod
    def _study_val_fraction(cls, data: Any) -> Any:
        """A split without its own ``val_fraction`` takes the study's."""
        if not isinstance(data, dict) or "val_fraction" not in data:
            return data
        folds = data.get("folds")
        try:
            folds = cls._shorthand(folds)
        except ValueError:
            return data  # the field's validation names the problem
        if isinstance(folds, dict) and "val_fraction" not in folds:
            return {**data, "folds": {**folds, "val_fraction": data["val_fraction"]}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> StudyConfig:
        _check_names(self)
        for sweep in self.sweeps:
            if sweep.arm not in self.arms:
                raise ValueError(f"sweeps: arm {sweep.arm!r} is not among the arms ({', '.join(self.arms)})")
        for name, data in (self.datasets or {}).items():
            if path_safe(name) != name or name.strip(".") == "":
                raise ValueError(
                    f"datasets: {name!r} cannot name a folder of the study; use letters, digits and -_.=@"
                )
            unknown = [key for key in data.expect if key not in self.arms and key not in PRIORS.names()]
            if unknown:
                raise ValueError(
                    f"datasets.{name}.expect: {', '.join(unknown)} not among the arms "
                    f"({', '.join(self.arms)}) or the priors"
                )
        if self.datasets is not None and self.datasets_from is not None:
            raise ValueError("datasets_from: expected either `datasets` or `datasets_from` (got both)")
        if self.folds is not None and self.datasets is not None:
            for name, data in self.datasets.items():
                if data.source is None:
                    raise ValueError(f"datasets.{name}: folds need a `source` with all samples")
        return self

    def prior_of(self, arm: str) -> str | None:
        """The name of an arm's one prior (None for an arm of none or several, or a sweep's)."""
        priors = self.arms.get(arm, {}).get("priors") or []
        if len(priors) != 1:
            return None
        return priors[0] if isinstance(priors[0], str) else priors[0].get("name")


RESERVED = ("train", "val", "test")  # reports every trial writes; an evaluation file may not take one


MAX_NAME_BYTES = 200


def _check_names(study: StudyConfig) -> None:
    """Seeds once each, arms that name a folder, a baseline among the arms, evaluation names
    that do not overwrite the trial's own reports."""
    repeated = sorted({seed for seed in study.seeds if study.seeds.count(seed) > 1})
    if repeated:
        raise ValueError(
            f"seeds: expected each seed once (got {repeated} more than once); a repeat adds no run"
        )
    for name in study.arms:
        if not name.strip() or name.strip(".") == "":
            raise ValueError(
                f"arms: {name!r} cannot name a folder of the study; use letters, digits and -_.=@"
            )
        if len(path_safe(name).encode()) > MAX_NAME_BYTES:  # a file system's limit is 255 bytes a name
            raise ValueError(
                f"arms: {name[:40]!r}... is too long to name a folder of the study ({len(name)} "
                f"characters); use a name of at most {MAX_NAME_BYTES} bytes"
            )
    if study.baseline not in study.arms:
        raise ValueError(
            f"baseline: expected one of the arms ({', '.join(study.arms)}) (got {study.baseline!r}); "
            "name the arm the others are compared with"
        )
    named = [*study.evaluate, *(n for d in (study.datasets or {}).values() for n in d.evaluate)]
    taken = sorted({name for name in named if name in RESERVED})
    if taken:
        raise ValueError(
            f"evaluate: {', '.join(taken)} names a report of every trial (train, val and test are "
            "taken); give the file another name, e.g. test_ood"
        )


def load_study(path: str | os.PathLike[str]) -> tuple[StudyConfig, RunConfig]:
    """The study and its base training config, with absolute data paths (so a trial runs from
    anywhere). Errors name the file and key."""
    file = path_of(path, "path", "a study YAML file")
    study = load_config(StudyConfig, file)
    folder = file.resolve().parent
    if isinstance(study.base, str):
        base = RunConfig.from_yaml(folder / study.base)
    else:
        base = RunConfig.from_dict(study.base, where=f"{file}: base.").resolve_paths(folder)
    if study.datasets_from is not None:
        study = _with_datasets_of(study, folder / study.datasets_from, file)
    study = study.model_copy(
        update={"datasets": _absolute(study, folder), "evaluate": _evaluated(study.evaluate, folder)}
    )
    _check_files(study, base, file)
    return study, base


def _with_datasets_of(study: StudyConfig, other: Path, file: Path) -> StudyConfig:
    """``study`` with the datasets of the study file ``other`` (paths made absolute there),
    validated again as one study."""
    if not other.is_file():
        raise ConfigError(
            f"{file}: datasets_from: expected a study file (got none at {other}). Fix the path."
        )
    source = load_study(other)[0]
    if not source.datasets:
        raise ConfigError(f"{file}: datasets_from: {other} names no datasets; give `datasets` here instead.")
    fields = study.model_dump(exclude={"datasets", "datasets_from"})
    fields["datasets"] = {
        name: {**data.model_dump(), "expect": _marks_by_prior(data.expect, source)}
        for name, data in source.datasets.items()
    }
    return validated(StudyConfig, fields, f"{file}: with the datasets of {other}: ")


def _marks_by_prior(expect: dict[str, str], source: StudyConfig) -> dict[str, str]:
    """``expect`` marks of ``source``'s arms as marks of their priors (a mark that names a prior
    stays; a mark of an arm of none or several priors has no meaning elsewhere and is left out)."""
    marks = {key: mark for key, mark in expect.items() if key in PRIORS.names()}
    for key, mark in expect.items():
        prior = source.prior_of(key)
        if prior is not None:
            marks.setdefault(prior, mark)
    return marks


def _check_files(study: StudyConfig, base: RunConfig, file: Path) -> None:
    """Every file and collection the trials will read exists (checked before any trial runs,
    so that a wrong path is not found once per trial); else one error names each by its key."""
    files: dict[str, str] = {}  # key -> a JSONL file
    sources: dict[str, str] = {}  # key -> a file or folder a loader reads
    for name, data in (study.datasets or {}).items():
        files.update({f"datasets.{name}.{k}": v for k in RESERVED if (v := getattr(data, k)) is not None})
        if data.source is not None:
            sources[f"datasets.{name}.source"] = data.source
        _sort_evaluated(data.evaluate, f"datasets.{name}.evaluate", files, sources)
    if study.datasets is None:
        files.update({f"base.data.{k}": v for k in RESERVED if (v := getattr(base.data, k)) is not None})
    _sort_evaluated(study.evaluate, "evaluate", files, sources)
    missing = [f"{key} ({path})" for key, path in files.items() if not Path(path).is_file()]
    missing += [f"{key} ({path})" for key, path in sources.items() if not Path(path).exists()]
    if missing:
        raise ConfigError(
            f"{file}: expected files and collections that exist (got none at {', '.join(missing)}). "
            "Fix the paths (a relative path is read from the folder of the file that gives it)."
        )


def _sort_evaluated(
    evaluate: dict[str, Evaluated], key: str, files: dict[str, str], sources: dict[str, str]
) -> None:
    for name, entry in evaluate.items():
        if isinstance(entry, str):
            files[f"{key}.{name}"] = entry
        else:
            sources[f"{key}.{name}.source"] = entry.source


def _path(value: str, folder: Path) -> str:
    return value if Path(value).is_absolute() else str((folder / value).resolve())


def _paths(files: dict[str, str], folder: Path) -> dict[str, str]:
    return {k: _path(v, folder) for k, v in files.items()}


def _evaluated(evaluate: dict[str, Evaluated], folder: Path) -> dict[str, Evaluated]:
    """``evaluate`` with its files and collections' sources made absolute."""
    return {
        name: _path(entry, folder)
        if isinstance(entry, str)
        else entry.model_copy(update={"source": _path(entry.source, folder)})
        for name, entry in evaluate.items()
    }


def _absolute(study: StudyConfig, folder: Path) -> dict[str, DatasetConfig] | None:
    if study.datasets is None:
        return None
    out = {}
    for name, data in study.datasets.items():
        fields = {k: v for k, v in data.model_dump().items() if k in ("train", "val", "test", "source") and v}
        out[name] = data.model_copy(
            update={**_paths(fields, folder), "evaluate": _evaluated(data.evaluate, folder)}
        )
    return out


__all__ = ["CollectionConfig", "DatasetConfig", "Evaluated", "StudyConfig", "SweepConfig", "load_study"]
