"""Loader of the raw Twitter15/16 release: ``label.txt``, ``source_tweets.txt``, ``tree/<id>.txt``.

Each tree line is an edge ``['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', 'delay']``; a
node is the whole triple (the same user may retweet twice). Only the source tweet has
text. Repair policies, each counted in ``dataset.report.changes``:

- ``self_loop_edges_removed``: an edge from a node to itself carries no structure; dropped.
- the root is the node that the ``ROOT`` edge points to, even where other edges lead into it
  (``edges_into_root_dropped``). Where it is an earlier tweet of the same account with a
  negative delay, every time of the tree is shifted so that the root is at 0
  (``trees_with_negative_root_delay_shifted``).
- ``extra_parent_edges_dropped``: a node listed under several parents keeps the first
  listed one (files are in time order).
- ``unreachable_nodes_dropped``: nodes that still do not lead to the root (parents that never
  appear as children, cycles) are dropped with their subtrees; no tree is ever dropped whole.
- ``negative_delays_kept``: other nodes older than the source keep their negative time.

Node features are ``[signed log1p(delay minutes), is_retweet_of_parent, depth]``.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from priorkit.data.dataset import LoadReport, TreeDataset
from priorkit.data.loaders.base import (
    LabelFile,
    keep_nodes,
    reachable_from,
    read_text_file,
    require_file,
    signed_log1p,
)
from priorkit.data.memory import paused_gc
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.sample import TreeSample
from priorkit.data.times import snowflake_seconds

_NODE = r"\['([^']*)', '([^']*)', '([^']*)'\]"
_EDGE_LINE = re.compile(r"^" + _NODE + "->" + _NODE + r"\s*$")
_PAIR = re.compile(r"^(\[[^\]\n]*\])->(\[[^\]\n]*\])[ \t\r]*$", re.MULTILINE)
_FIELDS = re.compile(_NODE)
_ROOT = "['ROOT', 'ROOT', '0.0']"
FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_labels(path: Path) -> dict[str, str]:
    """``label:tweet_id`` lines -> {tweet_id: label}."""
    found = LabelFile(path, "tweet")
    for number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, tweet = line.strip().rpartition(":")
        if not sep or not label or not tweet.isdigit():
            found.broken(number, line, "expected `label:tweet_id`")
        else:
            found.add(number, tweet, label)
    return found.labels()


def read_source_texts(path: Path) -> dict[str, str]:
    """``tweet_id<TAB>text`` lines -> {tweet_id: text}."""
    texts: dict[str, str] = {}
    for line in read_text_file(path).splitlines():
        tweet, sep, text = line.partition("\t")
        if sep:
            texts[tweet.strip()] = text
    return texts


def _bad_lines(path: Path, text: str) -> list[Problem]:
    return [
        Problem.whole_line(
            str(path),
            number,
            path.stem,
            "not an edge `['uid', 'tweet', 'delay']->[...]`",
            show_value(line),
            "fix or remove the line",
        )
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not _EDGE_LINE.match(line)
    ]


def parse_tree(path: Path, report: LoadReport) -> tuple[list[tuple[str, str, str]], np.ndarray, int]:
    """Nodes ``(uid, tweet_id, delay)``, parent index (-1 where unknown) and root of one tree
    file, with the policies of the module docstring applied.

    Shapes:
        parent_index: (n,) int64.
    """
    text = read_text_file(path, path.stem)
    pairs = _PAIR.findall(text)
    if len(pairs) != sum(1 for line in text.splitlines() if line.strip()):
        raise DataValidationError(_bad_lines(path, text))
    index: dict[str, int] = {}
    parents: list[int] = []
    root = -1
    for parent, child in pairs:
        c = index.get(child)
        if c is None:
            c = index[child] = len(parents)
            parents.append(-1)
        if parent == _ROOT:
            root = c
        elif parent == child:
            report.count("self_loop_edges_removed")
        elif parents[c] != -1:
            report.count("extra_parent_edges_dropped")
        else:
            p = index.get(parent)
            if p is None:
                p = index[parent] = len(parents)
                parents.append(-1)
            parents[c] = p
    if root < 0:
        raise DataValidationError(
            [
                Problem.whole_line(
                    str(path),
                    0,
                    path.stem,
                    "no `['ROOT', 'ROOT', ...]` edge",
                    None,
                    "add the ROOT edge that names the source tweet",
                )
            ]
        )
    if parents[root] != -1:
        report.count("edges_into_root_dropped")
    nodes = _FIELDS.findall("\n".join(index))
    if len(nodes) != len(parents):
        raise DataValidationError(_bad_lines(path, text))
    return nodes, np.asarray(parents, dtype=np.int64), root


def _delays(nodes: list[tuple[str, str, str]], path: Path) -> np.ndarray:
    """Each node's delay (minutes after the root) as float32; one that is not a finite number
    within float32 range is a problem of the tree file, named with its node.

    Shapes:
        -> (n,) float32.
    """
    values, problems = [], []
    for uid, tweet, raw in nodes:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and abs(value) <= FLOAT32_MAX):
            problems.append(
                Problem(
                    str(path),
                    0,
                    path.stem,
                    f"node {uid}/{tweet}: delay",
                    "expected a finite number of minutes within float32 range",
                    show_value(raw),
                    "fix the delay in the tree file, or remove the edge",
                )
            )
        values.append(value)
    if problems:
        raise DataValidationError(problems)
    return np.asarray(values, dtype=np.float32)


def tree_sample(tweet: str, label: str, text: str, path: Path, report: LoadReport) -> TreeSample:
    """One Twitter tree as a sample (see the module docstring for the policies)."""
    nodes, parents, root = parse_tree(path, report)
    keep = reachable_from(root, parents)
    parents[root] = root
    report.count("unreachable_nodes_dropped", int((~keep).sum()))
    nodes = [node for node, k in zip(nodes, keep, strict=True) if k]
    parent_index = keep_nodes(keep, parents)
    delay = _delays(nodes, path)
    new_root = int(np.cumsum(keep)[root] - 1)
    if delay[new_root] < 0:
        report.count("trees_with_negative_root_delay_shifted")
    time = delay - delay[new_root]
    report.count("negative_delays_kept", int((time < 0).sum()))
    tweet_ids = np.asarray([node[1] for node in nodes])
    sample = TreeSample(
        id=tweet,
        text=text,
        label=label,
        node_ids=["/".join(node) for node in nodes],
        parent_index=parent_index,
        time=time,
        user=[node[0] for node in nodes],
        created_at=snowflake_seconds(tweet),
        source=str(path),
    )
    is_retweet = (tweet_ids == tweet_ids[parent_index]).astype(np.float32)
    is_retweet[new_root] = 0.0
    sample.features = np.stack([signed_log1p(time), is_retweet, sample.depth.astype(np.float32)], 1)
    return sample


def load_twitter(folder: str | os.PathLike[str]) -> TreeDataset:
    """Load a Twitter15 or Twitter16 release folder.

    Args:
        folder: holds ``label.txt``, ``source_tweets.txt`` and ``tree/``.

    Returns:
        one sample per labelled tree; labelled tweets without a tree file or text are
        counted in the report (``labels_without_tree``, ``trees_without_text``).
    """
    root = Path(folder)
    labels = read_labels(require_file(root / "label.txt", "label.txt (lines `label:tweet_id`)"))
    texts = read_source_texts(require_file(root / "source_tweets.txt", "source_tweets.txt"))
    report = LoadReport(source=str(root))
    with paused_gc():
        samples = [
            sample
            for tweet, label in labels.items()
            if (sample := _labelled_tree(root, tweet, label, texts, report)) is not None
        ]
    return TreeDataset(samples, report)


def _labelled_tree(
    root: Path, tweet: str, label: str, texts: dict[str, str], report: LoadReport
) -> TreeSample | None:
    path = root / "tree" / f"{tweet}.txt"
    if not path.is_file():
        report.count("labels_without_tree")
        return None
    if tweet not in texts:
        report.count("trees_without_text")
    return tree_sample(tweet, label, texts.get(tweet, ""), path, report)
