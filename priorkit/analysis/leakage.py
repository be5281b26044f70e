"""The leakage report of a split: does a fold's test part repeat its training part?

Per fold: the share of test samples with a near-duplicate text among the training samples
(TF-IDF cosine of the cleaned texts >= the threshold), and references fitted on the
training part (train + val) and scored on the test part: a 1-nearest-neighbour on the text
features, a linear probe (logistic regression) on them, the same probe on the text plus a bag
of the tree's users (when nodes have users; the users seen in training only), the majority
class and, when every sample has a ``created_at``, a 1-nearest-neighbour on the post time. When the 1-NN is
close to the trained model, the split measures memory more than generalisation; when the
post time alone predicts the label, the labels were collected in time blocks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import normalize

from priorkit.data.sources import DataSource, as_dataset
from priorkit.data.splits import Split
from priorkit.data.stories import tfidf_vectors
from priorkit.errors import ConfigError
from priorkit.escaping import markdown_text

REFERENCES = ("nearest", "probe", "users_probe", "majority", "posted")
_BLOCK = 1024
_SHOWN = {
    "near_duplicates": "test with a near-duplicate in train",
    "nearest": "1-NN text",
    "probe": "linear text probe",
    "users_probe": "linear probe text + users",
    "majority": "majority class",
    "posted": "1-NN post time",
}


@dataclass(frozen=True)
class LeakageFold:
    """One fold: sizes, the near-duplicate share, and accuracy / macro-F1 of each reference
    (``users_probe``: None without users; ``posted``: None when some sample has no
    ``created_at``)."""

    name: str
    n_train: int
    n_test: int
    near_duplicates: float
    nearest: float
    nearest_f1: float
    probe: float
    probe_f1: float
    majority: float
    majority_f1: float
    posted: float | None = None
    posted_f1: float | None = None
    users_probe: float | None = None
    users_probe_f1: float | None = None


@dataclass(frozen=True)
class LeakageReport:
    """Args: kind: the split kind; threshold: the TF-IDF cosine of a near-duplicate;
    features: what the 1-NN and the probe read; folds: one entry per fold."""

    kind: str
    threshold: float
    features: str
    folds: list[LeakageFold]

    def mean(self, field: str) -> tuple[float, float]:
        """Mean and standard deviation of one field over the folds."""
        values = np.asarray([getattr(f, field) for f in self.folds], dtype=np.float64)
        return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0

    @property
    def references(self) -> tuple[str, ...]:
        """The references every fold has."""
        return tuple(r for r in REFERENCES if all(getattr(f, r) is not None for f in self.folds))

    def to_dict(self) -> dict[str, object]:
        fields = ["near_duplicates", *(name for r in self.references for name in (r, f"{r}_f1"))]
        means = {field: dict(zip(("mean", "std"), self.mean(field), strict=True)) for field in fields}
        return {
            "kind": self.kind,
            "threshold": self.threshold,
            "features": self.features,
            "folds": [asdict(f) for f in self.folds],
            "mean": means,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LeakageReport:
        folds = [LeakageFold(**f) for f in data["folds"]]  # type: ignore[arg-type, union-attr]
        return cls(str(data["kind"]), float(data["threshold"]), str(data["features"]), folds)  # type: ignore[arg-type]

    def table(self) -> tuple[str, list[str], list[list[str]]]:
        """The report as text cells: its title, the column names, and one row per fold plus the
        mean +- std (accuracy, macro-F1 in brackets)."""
        references = self.references
        title = (
            f"Leakage of the {self.kind} split (near-duplicate: TF-IDF cosine >= {self.threshold:g}; "
            f"1-NN and probe on {self.features}; accuracy, macro-F1 in brackets):"
        )
        head = ["fold", "test n", _SHOWN["near_duplicates"], *(_SHOWN[r] for r in references)]
        rows = [
            [f.name, str(f.n_test), f"{f.near_duplicates:.3f}"]
            + [f"{getattr(f, r):.3f} ({getattr(f, r + '_f1'):.3f})" for r in references]
            for f in self.folds
        ]
        rows.append(
            ["mean +- std", "", _pm(*self.mean("near_duplicates"))]
            + [_pm(*self.mean(r)) + f" ({self.mean(r + '_f1')[0]:.3f})" for r in references]
        )
        return title, head, rows

    def lines(self) -> list[str]:
        """:meth:`table` as markdown lines."""
        title, head, rows = self.table()
        return [title, "", _row(head), "|" + "---|" * len(head), *(_row(r) for r in rows)]


def embedding_features(encoder: str) -> str:
    """How a report names the embeddings of ``encoder`` (a hub id or a folder)."""
    return f"{encoder.rstrip('/').rsplit('/', 1)[-1]} embeddings"


def _row(cells: list[str]) -> str:
    return "|" + "|".join(f" {markdown_text(c)} " if c else " " for c in cells) + "|"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f} +- {std:.3f}"


def checked_threshold(threshold: object) -> float:
    """``threshold`` when it is a TF-IDF cosine above 0 and at most 1; else a ConfigError (it
    would find no near-duplicate, or call every pair one)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ConfigError(
            f"threshold: expected a TF-IDF cosine above 0 and at most 1 (got {threshold!r}); 0.5 is the "
            "default, 0.8 counts only close copies."
        )
    return float(threshold)


def leakage_report(
    dataset: DataSource,
    splits: list[Split],
    kind: str,
    threshold: float = 0.5,
    embeddings: np.ndarray | None = None,
    features: str = "TF-IDF of the text",
) -> LeakageReport:
    """The leakage report of ``splits`` of ``dataset``.

    Args:
        kind: the split kind, for the report's title.
        threshold: TF-IDF cosine at which two texts count as near-duplicates.
        embeddings: text features for the 1-NN and the probe (None: the TF-IDF vectors).
        features: what ``embeddings`` are, for the report.

    Shapes:
        embeddings: (len(dataset), t).

    Raises:
        ConfigError: a threshold that :func:`checked_threshold` refuses.
    """
    checked_threshold(threshold)
    listed = isinstance(splits, list | tuple)
    if not listed or not all(isinstance(split, Split) for split in splits):
        shown = "a list holding other things" if listed else type(splits).__name__
        raise ConfigError(
            f"splits: expected a list of folds, pk.make_splits(dataset, config).splits (got {shown})."
        )
    dataset = as_dataset(dataset, "dataset")
    tfidf = tfidf_vectors([s.text for s in dataset])
    vectors = tfidf if embeddings is None else normalize(np.asarray(embeddings, dtype=np.float64))
    labels = np.asarray([str(v) for v in dataset.labels])
    times = np.asarray([np.nan if s.created_at is None else s.created_at for s in dataset], np.float64)
    posted = None if np.isnan(times).any() else times
    users = user_documents(dataset)
    bags = users if any(users) else None
    folds = [_fold(split, tfidf, vectors, labels, threshold, posted, bags) for split in splits]
    return LeakageReport(kind, threshold, features, folds)


def _fold(
    split: Split,
    tfidf: sp.csr_matrix,
    vectors: sp.csr_matrix | np.ndarray,
    labels: np.ndarray,
    threshold: float,
    times: np.ndarray | None,
    users: list[str] | None,
) -> LeakageFold:
    fit = np.concatenate([split.train, split.val])
    test = split.test
    y_fit, y_test = labels[fit], labels[test]
    nearest = y_fit[_best_match(vectors[test], vectors[fit])[0]]
    probe = _probe(vectors[fit], y_fit, vectors[test])
    majority = np.full(len(test), Counter(y_fit.tolist()).most_common(1)[0][0])
    return LeakageFold(
        name=split.name,
        n_train=len(fit),
        n_test=len(test),
        near_duplicates=float((_best_match(tfidf[test], tfidf[fit])[1] >= threshold).mean()),
        **_scores("nearest", y_test, nearest),
        **_scores("probe", y_test, probe),
        **_scores("majority", y_test, majority),
        **({} if times is None else _scores("posted", y_test, y_fit[_closest_time(times[test], times[fit])])),
        **(
            {}
            if users is None
            else _scores("users_probe", y_test, _users_probe(vectors, users, y_fit, fit, test))
        ),
    )


def _users_probe(
    vectors: sp.csr_matrix | np.ndarray,
    users: list[str],
    y_fit: np.ndarray,
    fit: np.ndarray,
    test: np.ndarray,
) -> np.ndarray:
    """The linear probe on [text features, L2-normalised binary bag of the tree's users]."""
    fit_users, test_users = user_bags(users, fit, test)
    x_fit = sp.hstack([sp.csr_matrix(vectors[fit]), fit_users]).tocsr()
    x_test = sp.hstack([sp.csr_matrix(vectors[test]), test_users]).tocsr()
    return _probe(x_fit, y_fit, x_test)


def user_documents(dataset: DataSource) -> list[str]:
    """Each sample's user ids joined by spaces (the input of :func:`user_bags`); ``dataset``: a
    dataset, a JSONL path, or a list of samples or records."""
    dataset = as_dataset(dataset, "dataset")
    return [" ".join(u for u in (s.user or []) if u) for s in dataset]


def user_bags(users: Sequence[str], fit: np.ndarray, test: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Binary bags of user ids, each row L2-normalised; the vocabulary comes from ``fit`` only.

    Args:
        users: :func:`user_documents` of the dataset; fit, test: sample indices.

    Shapes:
        -> (len(fit), u) and (len(test), u) sparse, u users seen in the fitting part.
    """
    bag = CountVectorizer(tokenizer=str.split, token_pattern=None, binary=True, lowercase=False)
    fit_users = bag.fit_transform([users[i] for i in fit])
    return normalize(fit_users), normalize(bag.transform([users[i] for i in test]))


def _closest_time(query: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Index in ``pool`` of the time closest to each query time (shapes (q,), (p,) -> (q,))."""
    order = np.argsort(pool, kind="stable")
    ordered = pool[order]
    right = (
        np.clip(np.searchsorted(ordered, query), 1, len(ordered) - 1)
        if len(ordered) > 1
        else np.zeros(len(query), np.int64)
    )
    left = np.maximum(right - 1, 0)
    closer_left = np.abs(query - ordered[left]) <= np.abs(ordered[right] - query)
    return order[np.where(closer_left, left, right)]


def _scores(name: str, truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        name: float(accuracy_score(truth, predicted)),
        f"{name}_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
    }


def _best_match(
    query: sp.csr_matrix | np.ndarray, pool: sp.csr_matrix | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row (rows L2-normalised): the index of its most similar pool row and that
    cosine, computed in blocks of query rows.

    Shapes:
        query: (q, d), pool: (p, d) -> (q,) int64 and (q,) float64.
    """
    index, best = [np.zeros(0, np.int64)], [np.zeros(0)]
    for start in range(0, query.shape[0], _BLOCK):
        similarity = query[start : start + _BLOCK] @ pool.T
        similarity = similarity.toarray() if sp.issparse(similarity) else np.asarray(similarity)
        index.append(similarity.argmax(axis=1).astype(np.int64))
        best.append(similarity.max(axis=1))
    return np.concatenate(index), np.concatenate(best)


def _probe(
    x_fit: sp.csr_matrix | np.ndarray, y_fit: np.ndarray, x_test: sp.csr_matrix | np.ndarray
) -> np.ndarray:
    if len(set(y_fit.tolist())) < 2:
        return np.full(x_test.shape[0], y_fit[0])
    model = LogisticRegression(max_iter=2000, C=1.0)
    return model.fit(x_fit, y_fit).predict(x_test)
