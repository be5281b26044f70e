"""Stories: samples whose source texts are near-duplicates, joined into connected components.

Rumour datasets repeat one story across many trees (the same claim retweeted from several
accounts). A split that puts two trees of a story on both sides of train/test measures
memory; ``story`` splits keep each story on one side. Two samples are linked when their texts
are the same (case and spacing aside), when the cosine
of their TF-IDF vectors (of the cleaned text) reaches ``tfidf``, or, when text embeddings are
given, when their embeddings' cosine reaches ``embedding``; a story is a connected component.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from priorkit.errors import ConfigError

_NOISE = re.compile(r"https?://\S+|\burl\b|@\w+|\brt\b|&amp;|[^\w\s]", re.IGNORECASE)
_CHUNK = 2048


def clean_text(text: str) -> str:
    """Lower case without links (``URL`` placeholders too), @mentions, ``rt`` and punctuation."""
    return " ".join(_NOISE.sub(" ", text.lower()).split())


def tfidf_vectors(texts: Sequence[str]) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows of the cleaned texts (words and word pairs).

    Shapes:
        -> (n, vocabulary) sparse.
    """
    cleaned = [clean_text(t) for t in texts]
    if not any(cleaned):
        return sp.csr_matrix((len(cleaned), 1), dtype=np.float64)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    return normalize(vectorizer.fit_transform(cleaned)).tocsr()


def similar_pairs(vectors: sp.csr_matrix | np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)``, ``i < j``, whose rows (L2-normalised) have cosine >= ``threshold``.

    Computed in row blocks, so memory grows with the number of linked pairs, not with n².

    Shapes:
        vectors: (n, d) -> two (pairs,) int64 arrays.
    """
    rows_out, cols_out = [], []
    dense = not sp.issparse(vectors)
    for start in range(0, vectors.shape[0], _CHUNK):
        block = vectors[start : start + _CHUNK] @ vectors.T
        block = sp.coo_matrix(block) if dense else block.tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        rows_out.append(block.row[keep].astype(np.int64) + start)
        cols_out.append(block.col[keep].astype(np.int64))
    if not rows_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows_out), np.concatenate(cols_out)


def same_text_pairs(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, linking every non-empty text to the next identical one (case
    and spacing aside): identical texts are one story even when nothing is left once they are
    cleaned, so TF-IDF cannot see them.

    Shapes:
        -> two (pairs,) int64 arrays.
    """
    last: dict[str, int] = {}
    rows, cols = [], []
    for j, text in enumerate(texts):
        key = " ".join(text.lower().split())
        if key in last:
            rows.append(last[key])
            cols.append(j)
        if key:
            last[key] = j
    return np.asarray(rows, np.int64), np.asarray(cols, np.int64)


def check_texts(texts: object) -> None:
    """A clear error unless ``texts`` is a list (or sequence) of strings, naming the first item
    that is not one."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ConfigError(f"texts: expected a list of texts, one per sample (got {type(texts).__name__}).")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ConfigError(
                f"texts[{i}]: expected a text (got {type(text).__name__}); give each sample's source "
                "text, e.g. [s.text for s in dataset]."
            )


def story_groups(
    texts: Sequence[str],
    tfidf: float | None = 0.5,
    embeddings: np.ndarray | None = None,
    embedding: float | None = None,
) -> np.ndarray:
    """The story of each sample: connected components of the near-duplicate links.

    Args:
        texts: each sample's source text.
        tfidf: link two samples whose TF-IDF cosine reaches it (None: no TF-IDF links).
        embeddings: one text embedding per sample, when ``embedding`` is set.
        embedding: link two samples whose embedding cosine reaches it (None: no such links).

    Shapes:
        embeddings: (n, d) -> (n,) int64 story ids, numbered by first appearance.
    """
    check_texts(texts)
    n = len(texts)
    if tfidf is None and embedding is None:
        raise ConfigError("story: expected `tfidf` or `embedding` (a cosine threshold); both are null.")
    r, c = same_text_pairs(texts)  # also those that clean to nothing (emoji, links only)
    rows, cols = [r], [c]
    if tfidf is not None:
        r, c = similar_pairs(tfidf_vectors(texts), tfidf)
        rows.append(r)
        cols.append(c)
    if embedding is not None:
        if embeddings is None or len(embeddings) != n:
            raise ConfigError("story: `embedding` needs one text embedding per sample.")
        r, c = similar_pairs(normalize(np.asarray(embeddings, dtype=np.float64)), embedding)
        rows.append(r)
        cols.append(c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    _, first = np.unique(component, return_index=True)
    order = np.argsort(np.argsort(first))  # component -> rank of its first sample
    return order[component].astype(np.int64)
