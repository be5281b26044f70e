"""``train``: one training run from a config into a run directory, resumable."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader
from torch_geometric.data import Data

from priorkit.analysis.report import evaluate_model
from priorkit.atomic import write_json
from priorkit.data.batch import PriorBatch, collate, graph_loader
from priorkit.data.dataset import TreeDataset
from priorkit.data.jsonl_stream import JsonlStream
from priorkit.data.sample import TreeSample
from priorkit.data.splits import shared_ids
from priorkit.encoders.text import TextEncoder
from priorkit.errors import ConfigError, PriorkitError, first_line
from priorkit.heap import fix_mmap_threshold, trim
from priorkit.model import PriorModel
from priorkit.paths import resolved
from priorkit.runs.config import RunConfig, TrainConfig
from priorkit.runs.files import (
    BEST,
    CHECKPOINTS,
    CONFIG,
    ENSEMBLE,
    HISTORY,
    LOG,
    METRICS,
    SCHEMA,
    changes_from,
    listed_changes,
    stored_config,
    write_config,
)
from priorkit.runs.graphs import load_split, to_graphs
from priorkit.runs.lock import run_lock
from priorkit.runs.schema import DataSchema
from priorkit.runs.streamed import StreamedTrain, stream_training
from priorkit.runs.trained import read_checkpoint
from priorkit.training.checkpoint_io import AtomicCheckpointIO, resume_point
from priorkit.training.heap_trim import HeapTrim
from priorkit.training.history import EpochHistory
from priorkit.training.module import PriorModule
from priorkit.training.quiet import OneBar, quiet
from priorkit.training.random_states import RandomStates
from priorkit.training.spike_guard import SpikeGuard
from priorkit.version import __version__

log = logging.getLogger("priorkit.training")
SPLITS = ("train", "val", "test")
TrainingData = TreeDataset | JsonlStream  # a split in memory, or (training) a streamed file


@dataclass(frozen=True)
class TrainResult:
    """Args: run_dir: the run directory; metrics: what ``metrics.json`` holds."""

    run_dir: Path
    metrics: dict[str, Any]


def _log_to(run_dir: Path) -> list[logging.Handler]:
    """While the run runs, priorkit's messages go to its log file, and its warnings (a spike
    rolled back, validation samples that are training samples) to the terminal as well: the
    file handler would otherwise keep them from Python's default one."""
    file = logging.FileHandler(run_dir / LOG, encoding="utf-8")
    file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.setFormatter(logging.Formatter("warning: %(message)s"))
    for handler in (file, terminal):
        logging.getLogger("priorkit").addHandler(handler)
    logging.getLogger("priorkit").setLevel(logging.INFO)
    return [file, terminal]


def _callbacks(run_dir: Path, config: RunConfig) -> tuple[ModelCheckpoint, list[pl.Callback]]:
    c = config.train
    mode = "min" if c.monitor == "val/loss" else "max"
    checkpoint = ModelCheckpoint(
        dirpath=run_dir / CHECKPOINTS,
        filename=BEST.removesuffix(".ckpt"),
        monitor="val/monitor",
        mode=mode,
        save_last=True,
        auto_insert_metric_name=False,
        enable_version_counter=False,
        save_on_train_epoch_end=True,
    )
    callbacks: list[pl.Callback] = [
        checkpoint,
        EarlyStopping(monitor="val/monitor", mode=mode, patience=c.patience),
        EpochHistory(run_dir / HISTORY),
    ]
    if c.progress_bar:
        callbacks.append(OneBar())
    if c.heap_trim_steps > 0:
        callbacks.append(HeapTrim(c.heap_trim_steps))
    if c.spike_factor > 0:
        callbacks.append(
            SpikeGuard(
                factor=c.spike_factor,
                lr_factor=c.spike_lr_factor,
                min_rise=c.spike_min_rise,
                max_rollbacks=c.spike_max_rollbacks,
            )
        )
    return checkpoint, callbacks


def train(
    config: RunConfig,
    out: str | os.PathLike[str],
    resume: bool = True,
    splits: dict[str, TrainingData] | None = None,
    callbacks: Sequence[pl.Callback] = (),
    scored_later: Mapping[str, Sequence[TreeSample]] | None = None,
) -> TrainResult:
    """Train, select the best checkpoint on validation data, evaluate it on the test data.

    The run directory receives ``config.yaml``, ``schema.json``, ``checkpoints/{best,last}.ckpt``,
    ``history.csv``, ``train.log`` and ``metrics.json``. Running again on the same directory
    resumes from ``last.ckpt`` with its history (a finished run just re-evaluates).

    Args:
        config: the run config.
        out: the run directory.
        resume: continue from ``last.ckpt`` when there is one.
        splits: ``{"train", "val", "test"}`` datasets already in memory (k-fold studies), the
            training part possibly a streamed file; by default they are read from ``config.data``.
        callbacks: more Lightning callbacks.
        scored_later: data the trained model will be scored on afterwards, by name: checked
            against the training data's labels and feature width before training starts (as the
            validation and test parts are), so that data it cannot score are found at once.
    """
    run_dir = resolved(out)
    new_folder = not run_dir.exists()
    try:
        return _locked(config, run_dir, resume, splits, list(callbacks), scored_later or {})
    except BaseException:
        if new_folder and not (run_dir / CONFIG).exists():  # refused before it started: leave no folder
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _locked(
    config: RunConfig,
    run_dir: Path,
    resume: bool,
    splits: dict[str, TrainingData] | None,
    callbacks: list[pl.Callback],
    scored_later: Mapping[str, Sequence[TreeSample]],
) -> TrainResult:
    with run_lock(run_dir):
        if (run_dir / ENSEMBLE).is_file():
            raise PriorkitError(
                f"{run_dir}: expected a folder for one run (got a seed ensemble's folder, with "
                f"{ENSEMBLE}: loading it would give the ensemble, not this run). Train into another --out."
            )
        if resume and _has_checkpoints(run_dir) and not (run_dir / CONFIG).is_file():
            raise PriorkitError(
                f"{run_dir}: expected the {CONFIG} of the run its checkpoints come from (got "
                f"{CHECKPOINTS}/ without it, so no config can be checked against them). Put the run's "
                f"{CONFIG} back, train into another --out, or pass --restart (resume=False) to start "
                "over here."
            )
        stored = stored_config(run_dir) if resume and _has_checkpoints(run_dir) else None
        changed = changes_from(stored, config) if stored is not None else []
        if changed:
            raise PriorkitError(
                f"{run_dir}: expected the config this run was trained with (got changes: "
                f"{listed_changes(changed, 8)}). Resume with the same "
                "config, train into another --out, or pass --restart (resume=False) to start over here."
            )
        if stored is not None:  # it goes on with the text encoder it was trained with
            config = config.settled_by(stored)
        handlers = _log_to(run_dir)
        try:
            with quiet(config.train.verbose):
                return _train(config, run_dir, resume, splits, callbacks, scored_later)
        finally:
            for handler in handlers:
                logging.getLogger("priorkit").removeHandler(handler)
                handler.close()
            _release()


def _release() -> None:
    """Free what a finished run held. Its trainer, callbacks, module and data loaders refer to
    one another in cycles that only the cyclic collector frees, whenever it next runs: in a
    loop over folds or trials one run's model, optimiser state and graphs would still be in
    memory while the next one trains."""
    gc.collect()
    trim()


def _clear(run_dir: Path) -> None:
    """A restart: the previous run's checkpoints and results go, so none can be mixed with the new run's."""
    for path in [*(run_dir / CHECKPOINTS).glob("*"), run_dir / METRICS, run_dir / HISTORY]:
        if path.is_file():
            path.unlink()
            log.info("restart: removed %s", path.relative_to(run_dir))


def _has_checkpoints(run_dir: Path) -> bool:
    return any((run_dir / CHECKPOINTS).glob("*.ckpt"))


def _train(
    config: RunConfig,
    run_dir: Path,
    resume: bool,
    splits: dict[str, TrainingData] | None,
    extra: list[pl.Callback],
    scored_later: Mapping[str, Sequence[TreeSample]],
) -> TrainResult:
    c = config.train
    started = time.time()
    pl.seed_everything(c.seed, workers=True, verbose=False)
    fix_mmap_threshold(c.heap_mmap_kib)
    encoder = TextEncoder(config.model.text_encoder)
    config = config.with_text_encoder(encoder.pinned)  # as written: its Hub commit, the pooling chosen
    log.info("text encoder: %s", encoder.described)
    data = _data(config, splits, encoder, scored_later)
    schema, graphs, sizes = data.schema, data.graphs, data.sizes
    log.info("data: %s", ", ".join(f"{k} {v['samples']} ({v['nodes']} nodes)" for k, v in sizes.items()))
    model = PriorModel.from_config(config.model, config.priors, schema, encoder)
    if model.priors.remembers:
        texts = training_texts(
            data.train_loader(c, in_order=True), encoder, config, model.priors.remembering()
        )
        model.priors.remember("train", *texts)
    module = PriorModule(model, c)
    train_loader = data.train_loader(c)
    checkpoint, callbacks = _callbacks(run_dir, config)
    callbacks += [RandomStates(train_loader), *extra]
    trainer = _trainer(c, callbacks, run_dir)
    if not resume:
        _clear(run_dir)
    write_config(run_dir, config)  # only now: the run can start
    write_json(run_dir / SCHEMA, schema.to_dict())
    point = resume_point(run_dir, module) if resume else None
    resume_from = None if point is None else str(point)
    if resume_from:
        log.info("resuming from %s", resume_from)
    with warnings.catch_warnings():
        # resuming writes into the run's own checkpoint folder on purpose
        warnings.filterwarnings("ignore", message="Checkpoint directory .* exists and is not empty")
        trainer.fit(
            module,
            train_loader,
            graph_loader(graphs["val"], c.batch_size),
            ckpt_path=resume_from,
            weights_only=True,
        )
    best = Path(checkpoint.best_model_path or run_dir / CHECKPOINTS / BEST)
    state = read_checkpoint(best)
    model.load_state_dict({k.removeprefix("model."): v for k, v in state["state_dict"].items()})
    test = evaluate_model(
        model, graphs["test"], schema.labels, c.reliance_repeats, seed=c.seed, batch_size=c.batch_size
    )
    history = next(cb for cb in callbacks if isinstance(cb, EpochHistory)).rows
    metrics = {
        "priorkit_version": __version__,
        "seed": c.seed,
        "best_checkpoint": str(best.relative_to(run_dir)),
        "best_epoch": int(state["epoch"]),
        "monitor": c.monitor,
        "best_score": float(checkpoint.best_model_score) if checkpoint.best_model_score is not None else None,
        "epochs_run": len(history),
        "data": sizes,
        "history": history,
        "test": test.to_dict(),
        "compliance": test.compliance,
        "spike_rollbacks": next((cb.rollbacks for cb in callbacks if isinstance(cb, SpikeGuard)), []),
        "seconds": time.time() - started,
    }
    write_json(run_dir / METRICS, metrics)
    log.info("test: %s", "; ".join(test.lines()))
    data.close()  # (a failed run's file closes when _release collects it)
    return TrainResult(run_dir, metrics)


def training_texts(
    loader: Iterable[PriorBatch], encoder: TextEncoder, config: RunConfig, named: Sequence[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The frozen text embedding and class index of every training sample, in one pass over
    ``loader`` (:meth:`_RunData.train_loader` in order: a streamed training part stays on disk), for
    priors that remember texts (``text_neighbours``).

    Shapes:
        -> (p, t), (p,).
    """
    if not encoder.frozen:
        raise ConfigError(
            f"priors: {', '.join(named)}: expected a frozen text encoder, whose embeddings are kept "
            f"(got model.text_encoder.trainable_layers: {config.model.text_encoder.trainable_layers}). "
            "Set trainable_layers: 0, or drop the prior."
        )
    texts, labels = [], []
    for batch in loader:
        assert batch.text_embedding is not None and batch.y is not None  # a frozen encoder's, labelled
        texts.append(batch.text_embedding)
        labels.append(batch.y)
    if not texts:
        return torch.zeros(0, encoder.dim), torch.zeros(0, dtype=torch.long)
    return torch.cat(texts), torch.cat(labels)


@dataclass
class _RunData:
    """A run's data ready to train on: its schema, the graphs of each split (the training part's
    made on demand when streamed), their sizes, and what batches the training part."""

    schema: DataSchema
    graphs: dict[str, Sequence[Data]]
    sizes: dict[str, dict[str, int]]
    streamed: StreamedTrain | None = None

    def close(self) -> None:
        """Close a streamed training file."""
        if self.streamed is not None:
            self.streamed.graphs.stream.close()

    def train_loader(self, c: TrainConfig, in_order: bool = False) -> DataLoader[PriorBatch]:
        """The training batches (text embeddings attached): shuffled, counterfactual pairs kept
        together; ``in_order``: the training part once, in its order (what priors that remember
        texts read)."""
        if self.streamed is None:
            graphs, groups, collate_fn = self.graphs["train"], True, collate
        else:
            s = self.streamed
            graphs, groups, collate_fn = s.graphs, s.groups, s.collate or collate
        if in_order:
            return graph_loader(graphs, c.batch_size, groups=None, collate_fn=collate_fn)
        return graph_loader(graphs, c.batch_size, True, c.seed, groups, collate_fn)


def _data(
    config: RunConfig,
    splits: dict[str, TrainingData] | None,
    encoder: TextEncoder,
    scored_later: Mapping[str, Sequence[TreeSample]],
) -> _RunData:
    """The splits (given, or read from ``config.data``; the training file streamed with
    ``data.stream``) under the node budget, the schema of the training part (the other parts
    and ``scored_later`` checked against it), and graphs."""
    c = config.train
    if splits is None:
        splits = {name: _read(config, name) for name in SPLITS}
    splits = {name: config.data.budgeted(data) for name, data in splits.items()}
    train = splits["train"]
    if config.data.stream and not isinstance(train, JsonlStream):
        raise PriorkitError(
            "data.stream: expected the training data as a file to stream (got samples already in "
            "memory, as studies and pk.run_trial give their folds). Set data.stream to false, or train "
            "with pk.fit(config, data={'train': 'train.jsonl', ...}) or `priorkit train`."
        )
    streamed = None
    if isinstance(train, JsonlStream):
        streamed = stream_training(train, config.model.user_min_count(), encoder, c.cache_dir)
        schema = streamed.schema
    else:
        schema = DataSchema.of(train, config.model.user_min_count())
        warn_shared_ids(splits)
    for name in ("val", "test"):
        schema.check(splits[name], f"data.{name}")
    for name, later in scored_later.items():
        schema.check(later, name)
    held = [name for name in SPLITS if streamed is None or name != "train"]
    graphs = {name: to_graphs(splits[name], schema, encoder, c.cache_dir) for name in held}
    sizes = {name: {"samples": len(g), "nodes": sum(x.num_nodes for x in g)} for name, g in graphs.items()}
    if streamed is not None:
        graphs["train"] = streamed.graphs
        sizes = {"train": {"samples": len(streamed.graphs), "nodes": streamed.nodes}, **sizes}
    return _RunData(schema, graphs, sizes, streamed)


def warn_shared_ids(splits: Mapping[str, TrainingData]) -> None:
    """Warn (in the run's log) when validation or test samples have the id of a training sample:
    the same file given twice, or a split that leaked; their scores would measure memory."""
    for name in ("val", "test"):
        shared = shared_ids(splits[name], splits["train"])
        if shared:
            log.warning(
                "data.%s: %d of its %d samples have the id of a training sample (first: %r); its scores "
                "would measure what the model memorised. Check the split (priorkit data leakage).",
                name,
                len(shared),
                len(splits[name]),
                shared[0],
            )


def _read(config: RunConfig, name: str) -> TrainingData:
    """One split's file: through the processed cache, or streamed (training, ``data.stream``)."""
    path = Path(config.data.path(name))
    if not path.is_file():
        got = "a folder" if path.is_dir() else "not a regular file" if path.exists() else "no such file"
        raise PriorkitError(
            f"data.{name}: expected a JSONL file (got {got} at {path}). Fix the path: a relative "
            "path in a config file is read from that file's folder."
        )
    if name == "train" and config.data.stream:
        return JsonlStream(path)
    return load_split(str(path), config.train.cache_dir)


def _trainer(c: TrainConfig, callbacks: list[pl.Callback], run_dir: Path) -> pl.Trainer:
    """The Lightning trainer on one device; settings Lightning refuses, and settings that it
    resolves to several devices, become one line naming the config keys."""
    trainer = _lightning_trainer(c, callbacks, run_dir)
    if trainer.world_size > 1:
        raise PriorkitError(
            f"train.devices: expected one device (got devices={c.devices!r}, strategy={c.strategy!r}, which "
            f"Lightning resolves to {trainer.world_size} processes). priorkit trains in one process: the "
            "batches that keep pairs together, the multipliers of enforced rules, the spike guard's "
            "rollbacks and the run folder's files are not shared between processes. Set train.devices: 1 "
            "(one GPU: accelerator gpu, devices 1); for several seeds at once, run a study with workers."
        )
    return trainer


def _lightning_trainer(c: TrainConfig, callbacks: list[pl.Callback], run_dir: Path) -> pl.Trainer:
    try:
        return pl.Trainer(
            max_epochs=c.epochs,
            accelerator=c.accelerator,
            devices=c.devices,
            strategy=c.strategy,
            deterministic=True,
            callbacks=callbacks,
            logger=False,
            default_root_dir=run_dir,
            enable_progress_bar=c.progress_bar,
            enable_model_summary=False,
            log_every_n_steps=1,
            plugins=[AtomicCheckpointIO()],
        )
    except (MisconfigurationException, ValueError, TypeError) as error:
        raise PriorkitError(
            f"train.accelerator / train.devices / train.strategy: expected settings Lightning accepts (got "
            f"accelerator={c.accelerator!r}, devices={c.devices!r}, strategy={c.strategy!r}: "
            f"{first_line(error)}). On a CPU machine: accelerator cpu, devices 1, strategy auto."
        ) from None
