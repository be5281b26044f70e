"""A processed-data cache: a loaded dataset packed into a few tensors, keyed by its sources.

The key covers the format, its options, priorkit's cache version and the path, size and
modification time of every source file, so an edited file is reloaded. Files are written
atomically and read with ``torch.load(weights_only=True)``: no pickle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from priorkit.atomic import atomic_path
from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.formats import dataset_source, load_format
from priorkit.data.memory import paused_gc
from priorkit.data.problems import Problem
from priorkit.data.sample import TreeSample
from priorkit.errors import PriorkitError, first_line

log = logging.getLogger("priorkit.data")

CACHE_VERSION = 3
_SEP = "\x1f"  # joins node-level strings; strings that contain it are stored as lists


def default_cache_dir() -> Path:
    """``$PRIORKIT_CACHE`` or ``~/.cache/priorkit`` (an empty variable counts as unset: it
    would put the cache in the current folder)."""
    given = os.environ.get("PRIORKIT_CACHE")
    if given and Path(given).exists() and not Path(given).is_dir():
        raise PriorkitError(
            f"$PRIORKIT_CACHE: expected a folder for priorkit's cache (got the file {given}). Point it at a "
            "folder, or unset it for ~/.cache/priorkit."
        )
    return Path(given or Path.home() / ".cache" / "priorkit")


def _fingerprint(source: Path) -> list[tuple[str, int, int]]:
    """(path, size, mtime) of the source file, or of every file below a source folder."""
    if not source.is_dir():
        stat = source.stat()
        return [(str(source.resolve()), stat.st_size, stat.st_mtime_ns)]
    found: list[tuple[str, int, int]] = []
    for folder, _, names in os.walk(source.resolve()):
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            found.append((os.path.join(folder, name), stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def cache_key(fmt: str, source: str | os.PathLike[str], options: dict[str, Any]) -> str:
    """Hex digest naming the cache file of one (format, source files, options)."""
    files = [_fingerprint(Path(str(v))) for v in options.values() if isinstance(v, (str, Path))]
    payload = json.dumps(
        [CACHE_VERSION, fmt, _fingerprint(Path(source)), sorted(options.items(), key=str), files], default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def load_cached(
    fmt: str,
    source: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> TreeDataset:
    """Load ``source`` with the ``fmt`` loader, through the processed cache.

    A first load runs the loader and packs the result; later loads of unchanged files
    unpack it, which is several times faster. A cache file that cannot be read is
    rebuilt, never trusted.
    """
    source = dataset_source(fmt, source)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / "datasets" / f"{fmt}-{cache_key(fmt, source, options)}.pt"
    if path.is_file():
        try:
            return unpack(torch.load(path, weights_only=True))
        except Exception:  # a torn or foreign file: rebuild it below
            path.unlink(missing_ok=True)
    dataset = load_format(fmt, source, **options)
    try:
        with atomic_path(path) as partial:
            torch.save(pack(dataset), partial)
    except (OSError, RuntimeError) as error:  # a full disk: the cache is an optimisation only
        log.warning(
            "%s: the processed cache was not written (%s); loading goes on without it",
            path,
            first_line(error),
        )
    return dataset


def _encode_strings(per_sample: list[list[str | None] | None]) -> dict[str, Any]:
    """A node-level string column: joined into one string when possible (fastest to load)."""
    if any(values is None for values in per_sample):
        return {"kind": "per_sample", "value": per_sample}
    flat = [v for values in per_sample for v in values]  # type: ignore[union-attr]
    if any(v is None or _SEP in v for v in flat):
        return {"kind": "flat", "value": flat}
    return {"kind": "joined", "value": _SEP.join(flat), "empty": not flat}


def _decode_strings(column: dict[str, Any], offsets: list[int]) -> list[Any]:
    if column["kind"] == "per_sample":
        return column["value"]
    flat = column["value"]
    if column["kind"] == "joined":
        flat = [] if column["empty"] else flat.split(_SEP)
    return [flat[a:b] for a, b in pairwise(offsets)]


def _column(samples: list[TreeSample], name: str) -> dict[str, Any] | None:
    present = [getattr(s, name) is not None for s in samples]
    if not any(present):
        return None
    rows = [
        getattr(s, name) if p else np.full(s.num_nodes, np.nan, np.float32)
        for s, p in zip(samples, present, strict=True)
    ]
    return {
        "values": torch.from_numpy(np.concatenate(rows).astype(np.float32)),
        "present": torch.tensor(present),
    }


def _features(samples: list[TreeSample]) -> dict[str, Any] | None:
    if not samples or samples[0].features is None:
        return None
    first = samples[0].features
    if isinstance(first, np.ndarray):
        return {"dense": torch.from_numpy(np.concatenate([s.features for s in samples]))}  # type: ignore[misc]
    stacked = sp.vstack([s.features for s in samples], format="csr")
    return {
        "indptr": torch.from_numpy(stacked.indptr.astype(np.int64)),
        "indices": torch.from_numpy(stacked.indices.astype(np.int64)),
        "data": torch.from_numpy(stacked.data.astype(np.float32)),
        "width": int(first.shape[1]),
    }


def pack(dataset: TreeDataset) -> dict[str, Any]:
    """A dataset as a dict of tensors, strings and lists (what ``weights_only`` loads allow)."""
    samples = dataset.samples
    sizes = [s.num_nodes for s in samples]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    return {
        "version": CACHE_VERSION,
        "offsets": torch.from_numpy(offsets),
        "parent_index": torch.from_numpy(
            np.concatenate([s.parent_index for s in samples]) if samples else np.zeros(0, np.int64)
        ),
        "depth": torch.from_numpy(
            np.concatenate([s.depth for s in samples]) if samples else np.zeros(0, np.int64)
        ),
        "user_hash": torch.from_numpy(
            np.concatenate([s.user_hash for s in samples]) if samples else np.zeros(0, np.int64)
        ),
        "features": _features(samples),
        "time": _column(samples, "time"),
        "importance": _column(samples, "importance"),
        "node_ids": _encode_strings([s.node_ids for s in samples]),
        "node_text": _encode_strings([s.node_text for s in samples]),
        "user": _encode_strings([s.user for s in samples]),
        "meta": [
            [s.id, s.text, s.label, s.group, s.counterfactual_of, s.source, s.created_at] for s in samples
        ],
        "report": {
            "source": dataset.report.source,
            "changes": dict(dataset.report.changes),
            "dropped": [
                [d.id, d.line, [list(p.__dict__.values()) for p in d.problems]]
                for d in dataset.report.dropped
            ],
        },
    }


def unpack(packed: dict[str, Any]) -> TreeDataset:
    """Inverse of :func:`pack`."""
    if packed.get("version") != CACHE_VERSION:
        raise ValueError("cache version mismatch")
    offsets = packed["offsets"].tolist()
    spans = list(pairwise(offsets))
    with paused_gc():
        node_ids = _decode_strings(packed["node_ids"], offsets)
        node_text = _decode_strings(packed["node_text"], offsets)
        user = _decode_strings(packed["user"], offsets)
        samples = []
        for i, ((a, b), meta) in enumerate(zip(spans, packed["meta"], strict=True)):
            sample = TreeSample(
                id=meta[0],
                text=meta[1],
                label=meta[2],
                group=meta[3],
                counterfactual_of=meta[4],
                source=meta[5],
                created_at=meta[6],
                node_ids=node_ids[i],
                parent_index=packed["parent_index"][a:b].numpy(),
                features=_unpack_features(packed["features"], a, b),
                time=_unpack_column(packed["time"], i, a, b),
                importance=_unpack_column(packed["importance"], i, a, b),
                node_text=node_text[i],
                user=user[i],
            )
            # warm the cached properties
            sample.__dict__["depth"] = packed["depth"][a:b].numpy()
            sample.__dict__["user_hash"] = packed["user_hash"][a:b].numpy()
            samples.append(sample)
    report = packed["report"]
    dropped = [DroppedSample(d[0], d[1], [Problem(*p) for p in d[2]]) for d in report["dropped"]]
    return TreeDataset(samples, LoadReport(report["source"], dropped, dict(report["changes"])))


def _unpack_column(column: dict[str, Any] | None, i: int, a: int, b: int) -> np.ndarray | None:
    if column is None or not bool(column["present"][i]):
        return None
    return column["values"][a:b].numpy()


def _unpack_features(features: dict[str, Any] | None, a: int, b: int) -> Any:
    if features is None:
        return None
    if "dense" in features:
        return features["dense"][a:b].numpy()
    indptr = features["indptr"][a : b + 1]
    lo, hi = int(indptr[0]), int(indptr[-1])
    return sp.csr_matrix(
        (features["data"][lo:hi].numpy(), features["indices"][lo:hi].numpy(), (indptr - lo).numpy()),
        shape=(b - a, features["width"]),
    )
