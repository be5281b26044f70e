"""Loaders into :class:`~priorkit.data.TreeDataset`, registered by format name (``jsonl`` too)."""

from priorkit.data.formats import FORMATS, load_format
from priorkit.data.jsonl import read_jsonl
from priorkit.data.loaders.pheme import load_pheme
from priorkit.data.loaders.rvnn import load_rvnn
from priorkit.data.loaders.twitter import load_twitter

__all__ = ["FORMATS", "load_format", "load_pheme", "load_rvnn", "load_twitter", "read_jsonl"]
