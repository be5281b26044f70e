"""``RunConfig``: the validated training config (the YAML of ``priorkit train``)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, SerializeAsAny, field_validator, model_validator

from priorkit.config import (
    SEED_MAX,
    Settings,
    apply_overrides,
    parse_overrides,
    read_yaml,
    registered_config,
    updated,
    validated,
)
from priorkit.data.budget import NodeOrder, apply_node_budget, first_nodes
from priorkit.data.dataset import TreeDataset
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.encoders.text import TextEncoderConfig
from priorkit.errors import ConfigError, PriorkitError
from priorkit.model import ModelConfig
from priorkit.priors.base import PRIORS, PriorConfig
from priorkit.registry import import_object
from priorkit.runs.migrate import upgrade

TreeData = TypeVar("TreeData", TreeDataset, JsonlStream)


FilePath = Annotated[str, Field(min_length=1)]  # "" would name the config's own folder


class DataConfig(Settings):
    """Args:
    train, val, test: JSONL paths (relative paths are resolved against the config file); may be
        left out when the data are given in memory (``pk.fit(config, data=...)``).
    max_nodes: keep the first ``max_nodes`` nodes of every tree (None: all), in every split and
        whenever the run scores new data, as early-detection work reads the start of a cascade.
    node_order: which nodes come first: ``time`` (earliest) or ``depth`` (breadth first); see
        :mod:`priorkit.data.budget`.
    stream: read the training file from disk sample by sample, every epoch, instead of holding
        it in memory (for training data larger than memory; validation and test data are still
        read whole). Needs the training data as a JSONL file; see :mod:`priorkit.runs.streamed`.
    """

    train: FilePath | None = None
    val: FilePath | None = None
    test: FilePath | None = None
    max_nodes: int | None = Field(None, ge=1)
    node_order: NodeOrder = "time"
    stream: bool = False

    def path(self, split: str) -> str:
        """The file of ``split`` (``train``, ``val``, ``test``); a clear error when there is none."""
        value = getattr(self, split)
        if value is None:
            raise PriorkitError(
                f"data.{split}: expected a JSONL path (got none). Give it in the config, or pass the "
                f"data in memory: pk.fit(config, data={{'train': ..., 'val': ..., 'test': ...}})."
            )
        return value

    def budgeted(self, dataset: TreeData) -> TreeData:
        """``dataset`` under this node budget (a streamed file: applied to each sample read)."""
        if isinstance(dataset, JsonlStream):
            if self.max_nodes is None:
                return dataset
            return dataset.mapped(partial(first_nodes, max_nodes=self.max_nodes, order=self.node_order))
        return apply_node_budget(dataset, self.max_nodes, self.node_order)


class TrainConfig(Settings):
    """Args:
    epochs: maximum epochs.  batch_size: samples per batch.  seed: seeds everything.
    learning_rate, weight_decay: AdamW.  embedding_learning_rate: for embedding tables (user
        ids), which see a row only when its user occurs and so need larger steps; None: the
        model's rate. Embedding tables get no weight decay.
    label_smoothing: the task loss in training spreads this share of each sample's target
        evenly over the classes (cross-entropy's label smoothing, Szegedy et al. 2016; 0: the
        label alone). Validation and test losses are scored against the label alone.
    patience: early-stopping patience (epochs, on ``monitor``).
    monitor: validation metric that selects the best checkpoint and stops early (worsened by
        any violation of an enforced prior rule: see ``PriorModule``).
    lr_schedule: ``plateau`` (multiply the learning rate by ``lr_factor`` when ``val/loss`` has
        not improved for ``lr_patience`` epochs) or ``cosine`` (decay it to zero along a cosine
        over the ``epochs``, step by step, after ``warmup_epochs`` of linear warm-up: a run of
        known length that anneals by itself).
    spike_factor, spike_min_rise: a training loss above ``spike_factor`` x its recent mean and
        above that mean by ``spike_min_rise`` x the run's initial loss level is a spike (as is a
        non-finite loss): roll back and lower the learning rate by ``spike_lr_factor``, at most
        ``spike_max_rollbacks`` times in a run (``spike_factor: 0`` disables the guard).
    accelerator, devices, strategy: passed to Lightning (``gpu`` ...); on one device, since
        training is one process (several are refused when the trainer is built).
    cache_dir: the embedding and data cache (default ``$PRIORKIT_CACHE`` or ~/.cache/priorkit).
    progress_bar: show Lightning's progress bar (one line, updated in place).
    verbose: also show Lightning's own messages (its banners, tips and notices; off: training
        prints nothing but the progress bar).
    heap_trim_steps: on Linux with glibc, give the C heap's free pages back to the system every
        this many training steps and after each validation pass (:mod:`priorkit.heap`;
        0: never). Without it resident memory climbs epoch after epoch on inputs of varying size
        (sparse bags of words, trees of every size), as freed blocks leave holes in the heap.
        ``benchmarks/twitter15_5fold.py``: 0 peaks at 1323 MiB in 126.4 s; 16: 1114 MiB, 131.7 s;
        8: 1015 MiB, 135.9 s; 4 (default): 914 MiB, 143.7 s (each trim's pages are faulted in
        again when the heap reuses them).
    heap_mmap_kib: on Linux with glibc, allocations of at least this many KiB are mapped from
        the system and given back when freed, for the rest of the process (see
        :mod:`priorkit.heap`: otherwise the heap grows epoch after epoch on inputs of
        varying size). It trades time for memory: one Twitter15 fold with every reply's words,
        64 KiB: peak 1088 -> 794 MiB, training pass 22.7 -> 38.6 s; 1024 KiB: 1043 MiB, 28.9 s.
        None (default) leaves the allocator as it is; elsewhere it does nothing.
    reliance_repeats: shuffles per modality and per node group when the run scores its test
        part and a study its further files (each shuffle is a pass over the data: 5 gives 36
        passes in all, about a fifth of a Twitter15 fold's time; 1 gives 8, for noisier
        reliance shares). ``pk.evaluate`` and ``priorkit evaluate`` take their own ``repeats``.
    """

    epochs: int = Field(30, ge=1)
    batch_size: int = Field(32, ge=1, le=2**31 - 1)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    embedding_learning_rate: float | None = Field(None, gt=0)
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)
    patience: int = Field(8, ge=1)
    monitor: Literal["val/loss", "val/accuracy", "val/macro_f1"] = "val/loss"
    lr_schedule: Literal["plateau", "cosine"] = "plateau"
    lr_patience: int = Field(3, ge=1)
    lr_factor: float = Field(0.5, gt=0, lt=1)
    warmup_epochs: float = Field(0.0, ge=0)
    spike_factor: float = Field(5.0, ge=0)
    spike_lr_factor: float = Field(0.5, gt=0, lt=1)
    spike_min_rise: float = Field(0.5, ge=0)
    spike_max_rollbacks: int = Field(3, ge=0)
    accelerator: str = "cpu"
    devices: int | str | list[int] = 1
    strategy: str = "auto"
    cache_dir: str | None = None
    progress_bar: bool = True
    verbose: bool = False
    heap_trim_steps: int = Field(4, ge=0)
    heap_mmap_kib: int | None = Field(None, ge=0, le=32 * 1024)
    reliance_repeats: int = Field(5, ge=1, le=1000)


_TRUSTED: ContextVar[bool] = ContextVar("priorkit_trusted_imports", default=True)


@contextlib.contextmanager
def code_trust(trusted: bool) -> Iterator[None]:
    """While the body runs, configs read import their ``imports:`` only if ``trusted`` (a
    module already imported runs no code and is always allowed). Loading a model or run folder
    reads its config under ``code_trust(trust_code)``; the user's own configs are trusted.
    Only ``True`` trusts: any other value than a bool is refused, not read for its truth (the
    string "no" would be true)."""
    if not isinstance(trusted, bool):
        raise ConfigError(
            f"trust_code: expected True or False (got {trusted!r}); pass trust_code=True only for "
            "a model whose code you trust"
        )
    token = _TRUSTED.set(trusted)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def _refuse_untrusted(modules: list[str]) -> None:
    new = [m for m in modules if m.partition(":")[0] not in sys.modules]
    if new and not _TRUSTED.get():
        raise ValueError(
            f"imports: the config asks to import {', '.join(map(repr, new))}, which runs code; a "
            "loaded model runs none unless you trust its source (expected trust_code=True, "
            "pk.load(path, trust_code=True) or --trust-code; or import the module yourself first)"
        )


class RunConfig(Settings):
    """The whole training config: ``data``, ``model``, ``priors``, ``train``; typed all the way
    down (each prior is its own ``Config``, the fusion too), validated once where it is read.

    Args:
        imports: modules imported before the rest is read, so that the priors, fusions and
            formats they register can be named (``imports: [my_package.priors]``; looked up on the
            Python path, then in the current folder); packages that
            declare entry points in the groups ``priorkit.priors`` / ``priorkit.fusions`` need none.
        priors: the priors, in order: each a mapping of ``name`` and the prior's arguments
            (``{name: depth_decay, decay: 2.0}``), held as that prior's typed config.
    """

    imports: list[str] = Field(default_factory=list)
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    priors: list[SerializeAsAny[PriorConfig]] = Field(default_factory=list)
    train: TrainConfig = Field(default_factory=TrainConfig)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> RunConfig:
        """The config of a YAML file with ``key=value`` overrides (``--set``), its relative data
        paths taken from the file's folder. Errors name the file and the key."""
        mapping = apply_overrides(_upgraded(read_yaml(path), f"{path}: "), list(overrides))
        return validated(cls, mapping, where=f"{path}: ", from_file=True).resolve_paths(Path(path).parent)

    @classmethod
    def from_dict(
        cls, mapping: Mapping[str, Any], overrides: Sequence[str] = (), where: str = ""
    ) -> RunConfig:
        """The config of a mapping (sections ``data``, ``model``, ``priors``, ``train``) with
        ``key=value`` overrides; ``where`` starts each error line (``config: ``)."""
        if not isinstance(mapping, Mapping):
            raise ConfigError(
                f"{where or 'config: '}expected a mapping of the sections data, model, priors, train (got "
                f"{type(mapping).__name__}). A YAML file: pk.RunConfig.from_yaml(path)."
            )
        return validated(cls, apply_overrides(_upgraded(mapping, where), list(overrides)), where=where)

    @classmethod
    def of(cls, config: ConfigSource, overrides: Sequence[str] = ()) -> RunConfig:
        """A config from what a caller passes: a :class:`RunConfig`, a mapping of its sections or
        a YAML path, with ``key=value`` overrides (``--set``).

        Raises:
            ConfigError: anything else, or an invalid config (naming the key).
        """
        if isinstance(config, RunConfig):
            return config.updated(list(overrides), where="overrides: ") if overrides else config
        if isinstance(config, (str, os.PathLike)):
            return cls.from_yaml(config, overrides)
        if isinstance(config, Mapping):
            return cls.from_dict(config, overrides, where="config: ")
        raise ConfigError(
            f"config: expected a RunConfig, a mapping or a YAML path (got {type(config).__name__})."
        )

    def updated(self, changes: Mapping[str, Any] | Sequence[str], where: str = "") -> RunConfig:
        """A copy with ``changes`` applied: ``{"train.seed": 1, "priors.0.weight": 2.0}`` (dotted
        keys or nested mappings, see :func:`priorkit.config.updated`) or ``["train.seed=1"]``
        (``--set`` strings); only the changed parts are validated."""
        if not isinstance(changes, Mapping):
            changes = parse_overrides(list(changes))
        return updated(self, changes, where=where)

    def with_text_encoder(self, text: TextEncoderConfig) -> RunConfig:
        """A copy whose ``model.text_encoder`` is ``text`` (settings already validated)."""
        return self.model_copy(update={"model": self.model.model_copy(update={"text_encoder": text})})

    def settled_by(self, stored: RunConfig) -> RunConfig:
        """This config with the text encoder settings it leaves open as ``stored`` (the config
        a run was trained with) pinned them (:meth:`TextEncoderConfig.settled_by`)."""
        return self.with_text_encoder(self.model.text_encoder.settled_by(stored.model.text_encoder))

    @model_validator(mode="before")
    @classmethod
    def _import_first(cls, data: Any) -> Any:
        data = upgrade(data, as_written=False)  # _upgraded read the file as written
        modules = data.get("imports") if isinstance(data, dict) else None
        modules = modules if isinstance(modules, list) else []
        _refuse_untrusted([m for m in modules if isinstance(m, str)])
        if modules and os.getcwd() not in sys.path:
            sys.path.append(os.getcwd())  # a module beside the user, as `python -m` would find it
        for i, module in enumerate(modules):
            if not isinstance(module, str):
                continue  # the field's own validation names it
            try:
                import_object(module)
            except Exception as error:  # any failure of user code: name the module and the cause
                raise ValueError(
                    f"imports[{i}]: expected an importable module (got {module!r}: {type(error).__name__}: "
                    f"{error}). Install it or put its folder on PYTHONPATH"
                ) from None
        return data

    @field_validator("priors", mode="before")
    @classmethod
    def _typed_priors(cls, entries: Any) -> Any:
        if not isinstance(entries, list):
            return entries  # the field's own validation names it
        return [
            registered_config(PRIORS, entry, PriorConfig, f"priors[{i}]") for i, entry in enumerate(entries)
        ]

    @model_validator(mode="after")
    def _remote_code_trusted(self) -> RunConfig:
        if self.model.text_encoder.trust_remote_code and not _TRUSTED.get():
            raise ValueError(
                "model.text_encoder.trust_remote_code: the config runs the code its text encoder ships "
                "with; a loaded model runs none unless you trust its source (expected trust_code=True, "
                "pk.load(path, trust_code=True) or --trust-code)"
            )
        return self

    def resolve_paths(self, base: str | os.PathLike[str]) -> RunConfig:
        """A copy whose relative data paths are taken relative to ``base`` (the config's folder)."""
        folder = Path(base)

        def resolve(path: str | None) -> str | None:
            if path is None or Path(path).is_absolute():
                return path
            return str((folder / path).resolve())

        data = self.data.model_copy(
            update={
                "train": resolve(self.data.train),
                "val": resolve(self.data.val),
                "test": resolve(self.data.test),
            }
        )
        return self.model_copy(update={"data": data})


def _upgraded(mapping: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``mapping`` in today's shape (:func:`~priorkit.runs.migrate.upgrade`), before overrides
    reach inside it; a config it cannot read is a :class:`ConfigError` naming ``where``."""
    try:
        return dict(upgrade(mapping))
    except ValueError as error:
        raise ConfigError(f"{where}{error}.") from None


ConfigSource = RunConfig | Mapping[str, Any] | str | os.PathLike[str]
"""What the API takes as a config: a :class:`RunConfig`, a mapping of its sections or a YAML path."""
