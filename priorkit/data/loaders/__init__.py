"""Loaders of public datasets into :class:`~priorkit.data.TreeDataset` (the ``twitter``, ``rvnn``,
``twitter_rvnn`` and ``pheme`` formats of :data:`priorkit.data.formats.FORMATS`)."""

from priorkit.data.loaders.pheme import load_pheme
from priorkit.data.loaders.rvnn import load_rvnn
from priorkit.data.loaders.twitter import load_twitter
from priorkit.data.loaders.twitter_rvnn import load_twitter_rvnn

__all__ = ["load_pheme", "load_rvnn", "load_twitter", "load_twitter_rvnn"]
