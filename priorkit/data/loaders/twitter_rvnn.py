"""Loader of a Twitter15/16 release joined with its RvNN/BiGCN bag-of-words file.

The raw release (:func:`~priorkit.data.loaders.twitter.load_twitter`) has who spread each source
tweet and when, but words for the source tweet only; the RvNN/BiGCN file
(:func:`~priorkit.data.loaders.rvnn.load_rvnn`) has a bag of words for every tweet of a pruned
tree of replies, but no user or tweet ids. The two are joined by tree id with
:func:`~priorkit.data.graft.graft_dataset`: the raw tree as it is, the source tweet's bag of
words on its root, and the pruned tree's replies under the root as content nodes. Node
features: the raw loader's three columns, then the 5,000 word counts.
"""

from __future__ import annotations

import os
from pathlib import Path

from priorkit.data.dataset import TreeDataset
from priorkit.data.graft import graft_dataset
from priorkit.data.loaders.base import require_file
from priorkit.data.loaders.rvnn import load_rvnn
from priorkit.data.loaders.twitter import load_twitter


def load_twitter_rvnn(
    folder: str | os.PathLike[str], rvnn: str | os.PathLike[str] | None = None
) -> TreeDataset:
    """Load a Twitter15/16 release folder and graft its RvNN/BiGCN bags of words onto it.

    Args:
        folder: holds ``label.txt``, ``source_tweets.txt`` and ``tree/``.
        rvnn: the folder holding ``data.TD_RvNN.vol_5000.txt`` and its label file (default:
            ``folder/bigcn``).

    Returns:
        one sample per labelled raw tree (its label and text kept); the report counts
        ``samples_without_contents`` (trees the RvNN file lacks: zero word counts),
        ``contents_without_tree``, ``contents_label_differs`` and ``content_nodes_added``.
    """
    contents = Path(rvnn) if rvnn is not None else Path(folder) / "bigcn"
    require_file(
        contents / "data.TD_RvNN.vol_5000.txt",
        "RvNN/BiGCN data file (name its folder: rvnn=FOLDER in Python, --rvnn FOLDER on the command line)",
    )
    return graft_dataset(load_twitter(folder), load_rvnn(contents))
