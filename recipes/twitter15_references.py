"""Non-neural references on the Twitter15 folds of recipes/twitter15_baseline.py: what the
frozen text embeddings and the user ids carry on their own.

Per fold (same stratified folds, train + validation parts used for fitting): logistic
regression on the text embedding plus a bag of user ids (the issue's reference), logistic
regression on the bag of user ids alone, and the 1-nearest neighbour (cosine) on the text
embeddings alone. First it prints the scale of the text embeddings.

    python recipes/twitter15_references.py [--data ../shared/datasets/twitter15]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from twitter15_baseline import reference  # the sibling recipe (this folder is on sys.path)

import priorkit as pk

ROOT = Path(__file__).resolve().parents[1]


def references(
    dataset: pk.TreeDataset, texts: np.ndarray, labels: np.ndarray, fit: np.ndarray, test: np.ndarray
) -> list[float]:
    """Test accuracy of: the baseline script's reference, LR on the user bags alone, 1-NN on the texts."""
    users = pk.user_bags(pk.user_documents(dataset), fit, test)
    predictions = [
        reference(csr_matrix(texts), users, labels, fit, test),
        LogisticRegression(max_iter=2000, C=10.0).fit(users[0], labels[fit]).predict(users[1]),
        KNeighborsClassifier(1, metric="cosine").fit(texts[fit], labels[fit]).predict(texts[test]),
    ]
    return [float((p == labels[test]).mean()) for p in predictions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "twitter15")
    args = parser.parse_args()
    dataset = pk.load_cached("twitter", args.data)
    texts = pk.TextEncoder(pk.TextEncoderConfig()).encode([s.text for s in dataset]).numpy()
    labels = np.asarray([str(s.label) for s in dataset])
    norm, spread = np.linalg.norm(texts, axis=1).mean(), texts.std(axis=1).mean()
    print(f"text embeddings: mean norm {norm:.2f} over {texts.shape[1]} dimensions, element std {spread:.3f}")
    print("| fold | LR text + users (reference) | LR users only | 1-NN text only |")
    print("|---|---|---|---|")
    rows = []
    for split in pk.stratified_kfold(dataset.labels, k=5, val_fraction=0.1, seed=0):
        rows.append(references(dataset, texts, labels, np.concatenate([split.train, split.val]), split.test))
        print(f"| {split.name} | " + " | ".join(f"{v:.3f}" for v in rows[-1]) + " |")
    mean, std = np.mean(rows, axis=0), np.std(rows, axis=0)
    print(
        "| mean +- std | " + " | ".join(f"{m:.3f} +- {s:.3f}" for m, s in zip(mean, std, strict=True)) + " |"
    )


if __name__ == "__main__":
    main()
