"""Loader of PHEME threads as one JSON file per event (the BiGCN release's layout).

Each file maps a thread id to ``{"label": int|null, "root_tweetid": ..., "event_name": ...,
tweet_id: {"text", "userid", "tweet_time", "parent_tweetid"}, ...}``. Every tweet has text.
Policies, counted in ``dataset.report.changes``:

- ``missing_parents_attached_to_root``: a reply whose parent is not in the thread (a
  deleted tweet) is attached to the root; its ancestry led to the root anyway.
- ``unlabelled_threads_dropped``: threads with a null label cannot be trained or scored;
  each is also listed in ``report.dropped``.
- ``cycles_broken``: a tweet whose parents never lead to the root is attached to the root.
- ``unreadable_times_left_unknown``: a ``tweet_time`` that does not read as Twitter's time
  format becomes an unknown time.

Labels are named ``non-rumour, false, true, unverified`` (0-3); ``group`` is the event.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.jsonl import DuplicateKey, unique_keys
from priorkit.data.loaders.base import reachable_from, read_text_file, require_file
from priorkit.data.memory import paused_gc
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.sample import TreeSample

LABEL_NAMES = ("non-rumour", "false", "true", "unverified")
_META = ("label", "root_tweetid", "event_name")
_TIME = "%a %b %d %H:%M:%S %z %Y"
_FIX = "see the layout in priorkit/data/loaders/pheme.py; re-download the event file"


def _minutes(stamp: Any) -> float:
    try:
        return datetime.strptime(str(stamp), _TIME).timestamp() / 60.0
    except ValueError:
        return float("nan")


def _shape_problems(path: Path, thread_id: str, thread: Any) -> list[Problem]:
    """What is wrong with the shape of one thread: not an object, a label outside 0-3, a
    tweet that is not an object."""
    if not isinstance(thread, dict):
        return [Problem(str(path), 0, thread_id, "-", "expected a thread object", show_value(thread), _FIX)]
    problems = []
    label = thread.get("label")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(LABEL_NAMES):
        labels = ", ".join(f"{k} {name}" for k, name in enumerate(LABEL_NAMES))
        problems.append(
            Problem(str(path), 0, thread_id, "label", f"expected one of {labels}", show_value(label), _FIX)
        )
    problems += [
        Problem(str(path), 0, thread_id, f"{key}", "expected a tweet object", show_value(value), _FIX)
        for key, value in thread.items()
        if key not in _META and not isinstance(value, dict)
    ]
    return problems


def thread_sample(path: Path, thread_id: str, thread: dict[str, Any], report: LoadReport) -> TreeSample:
    """One thread as a sample (see the module docstring for the policies)."""
    problems = _shape_problems(path, thread_id, thread)
    if problems:
        raise DataValidationError(problems)
    tweets = {key: value for key, value in thread.items() if key not in _META}
    root_id = str(thread.get("root_tweetid"))
    if root_id not in tweets:
        raise DataValidationError(
            [
                Problem(
                    str(path),
                    0,
                    thread_id,
                    "root_tweetid",
                    "names no tweet of the thread",
                    show_value(root_id),
                    "fix root_tweetid",
                )
            ]
        )
    ids = list(tweets)
    position = {tweet: i for i, tweet in enumerate(ids)}
    root = position[root_id]
    parents = np.full(len(ids), -1, dtype=np.int64)
    for i, tweet in enumerate(ids):
        parent = tweets[tweet].get("parent_tweetid")
        if i == root:
            continue
        if parent is None or str(parent) not in position:
            report.count("missing_parents_attached_to_root")
            parents[i] = root
        else:
            parents[i] = position[str(parent)]
    broken = ~reachable_from(root, parents)
    report.count("cycles_broken", int(broken.sum()))
    parents[broken] = root
    parents[root] = root
    minutes = np.asarray([_minutes(tweets[t].get("tweet_time")) for t in ids], dtype=np.float64)
    stated = np.asarray([tweets[t].get("tweet_time") is not None for t in ids])
    report.count("unreadable_times_left_unknown", int((stated & np.isnan(minutes)).sum()))
    return TreeSample(
        id=thread_id,
        text=str(tweets[root_id].get("text") or ""),
        label=LABEL_NAMES[int(thread["label"])],
        node_ids=ids,
        parent_index=parents,
        time=(minutes - minutes[root]).astype(np.float32),
        node_text=[str(tweets[t].get("text") or "") for t in ids],
        user=[None if tweets[t].get("userid") is None else str(tweets[t]["userid"]) for t in ids],
        group=str(thread.get("event_name") or path.stem),
        created_at=None if np.isnan(minutes[root]) else float(minutes[root]) * 60.0,
        source=str(path),
    )


def _event_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = sorted(source.glob("*.json"))
        if not files:
            require_file(source / "<event>.json", "PHEME event files (*.json)")
        return files
    return [require_file(source, "PHEME event file (.json)")]


def _read_event(path: Path) -> dict[str, Any]:
    """The event file's JSON; invalid JSON, a key given twice in one object (a thread or a
    tweet that JSON would keep only once) and nesting too deep to read are named."""
    try:
        return json.loads(read_text_file(path), object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        line, what = getattr(error, "lineno", 0), f"not a valid JSON file: {error}"
    except DuplicateKey as error:
        line, what = 0, f"the key {error.key!r} given twice in one object (JSON keeps only the last)"
    except RecursionError:
        line, what = 0, "JSON nested too deeply to read"
    raise DataValidationError(
        [Problem.whole_line(str(path), line, "-", what, None, "re-download the event file")]
    )


def _threads(path: Path) -> dict[str, Any]:
    event = _read_event(path)
    if not isinstance(event, dict):
        problem = Problem.whole_line(
            str(path), 0, "-", "expected a JSON object of thread id -> thread", show_value(event), _FIX
        )
        raise DataValidationError([problem])
    return event


def _refuse_repeated(thread_id: str, path: Path, first_file: dict[str, Path]) -> None:
    """A thread id in two event files would be two samples of one id: named."""
    if thread_id in first_file:
        problem = Problem.whole_line(
            str(path),
            0,
            thread_id,
            f"a thread id already in {first_file[thread_id]}",
            show_value(thread_id),
            "keep each thread in one event file",
        )
        raise DataValidationError([problem])
    first_file[thread_id] = path


def load_pheme(source: str | os.PathLike[str]) -> TreeDataset:
    """Load PHEME threads from one event file or a folder of them (one group per event)."""
    report = LoadReport(source=str(source))
    samples = []
    first_file: dict[str, Path] = {}  # thread id -> the event file that holds it
    with paused_gc():
        for path in _event_files(Path(source)):
            for thread_id, thread in _threads(path).items():
                _refuse_repeated(thread_id, path, first_file)
                if isinstance(thread, dict) and thread.get("label") is None:
                    report.count("unlabelled_threads_dropped")
                    report.dropped.append(
                        DroppedSample(
                            thread_id,
                            0,
                            [
                                Problem(
                                    str(path),
                                    0,
                                    thread_id,
                                    "label",
                                    "null label",
                                    None,
                                    "unlabelled threads cannot be trained or scored",
                                )
                            ],
                        )
                    )
                    continue
                samples.append(thread_sample(path, thread_id, thread, report))
    return TreeDataset(samples, report)
