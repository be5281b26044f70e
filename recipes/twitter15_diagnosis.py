r"""What a finished folded study's arm gets right and wrong, against a nearest neighbour on the text.

Reads the trained runs of one arm of a study (every seed and fold, nothing is retrained) and prints:

1. per fold, the test scores of the single runs (mean over seeds), of the seeds' ensemble (their
   class probabilities averaged), of each run mixed with its text neighbours
   (``pk.fit_neighbours``: chosen on the fold's validation part, as in
   ``recipes/twitter15_baseline.py``) and of a 1-nearest-neighbour on the frozen text embedding
   (cosine, fitted on the fold's training and validation trees);
2. the test trees grouped by how close their text is to the nearest training or validation text
   (cosine of the embeddings: the 1-NN's pool), with the accuracy of the runs and of the 1-NN in
   each group.

    python recipes/twitter15_diagnosis.py --study recipes/twitter15_study.yaml \
        --out runs/twitter15-study [--arm baseline]
    python recipes/twitter15_diagnosis.py --study recipes/twitter15_story_study.yaml \
        --out runs/twitter15-story
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

import priorkit as pk

BINS = (-1.01, 0.8, 0.9, 0.95, 0.99, 1.01)  # float32 cosines of equal texts may pass 1.0


def run_probabilities(predictions: list[pk.SamplePrediction], num_classes: int, run: Path) -> np.ndarray:
    """Class probabilities of a run's predictions, columns in the sorted order of the label names.

    Shapes:
        -> (len(predictions), num_classes).
    """
    names = sorted(predictions[0].probabilities)
    if len(names) != num_classes:
        raise pk.ConfigError(f"{run}: a model of {len(names)} classes, the data have {num_classes}.")
    return np.array([[p.probabilities[name] for name in names] for p in predictions])


def nearest(embeddings: np.ndarray, fit: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (into ``fit``) and cosine of each test row's nearest fitted row.

    Shapes:
        embeddings: (N, t); fit: (F,); test: (T,) -> (T,), (T,).
    """
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    cosine = unit[test] @ unit[fit].T
    return cosine.argmax(axis=1), cosine.max(axis=1)


COLUMNS = (
    "single runs: accuracy (mean over seeds)",
    "macro-F1",
    "seeds' ensemble: accuracy",
    "with text neighbours: accuracy (mean over seeds)",
    "macro-F1",
    "network's weight",
    "1-NN text: accuracy",
)


def fold_scores(
    runs: list[Path], dataset: pk.TreeDataset, split: pk.Split, embeddings: np.ndarray, codes: np.ndarray
) -> tuple[list[float], tuple[np.ndarray, ...]]:
    """One fold's row of :data:`COLUMNS`, and per test tree: the cosine of its nearest training or
    validation text, the share of the runs that got it right, whether the 1-NN did.

    Shapes:
        embeddings: (N, t); codes: (N,) int labels of the whole dataset.
    """
    num_classes = int(codes.max()) + 1
    fit = np.concatenate([split.train, split.val])
    truth = codes[split.test]
    test_samples = [dataset[int(i)] for i in split.test]
    single, mixed, weights, tests = [], [], [], []
    for run in runs:
        trained = pk.load(run)
        neighbours = pk.fit_neighbours(trained, dataset[split.train], dataset[split.val])
        test = run_probabilities(pk.predict(trained, test_samples), num_classes, run)
        mixture = run_probabilities(
            pk.predict(trained, test_samples, neighbours=neighbours), num_classes, run
        )
        single.append(test.argmax(axis=1))
        mixed.append(mixture.argmax(axis=1))
        weights.append(neighbours.mix.weight)
        tests.append(test)
    index, cosine = nearest(embeddings, fit, split.test)
    neighbour = codes[fit][index] == truth

    def scores(predicted: list[np.ndarray]) -> tuple[float, float]:
        accuracy = np.mean([accuracy_score(truth, p) for p in predicted])
        return float(accuracy), float(np.mean([f1_score(truth, p, average="macro") for p in predicted]))

    ensemble = np.mean(tests, axis=0).argmax(axis=1)
    row = [*scores(single), scores([ensemble])[0], *scores(mixed), float(np.mean(weights)), neighbour.mean()]
    right = np.mean([p == truth for p in single], axis=0)
    return row, (cosine, right, neighbour)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", type=Path, required=True, help="the study file that was run")
    parser.add_argument("--out", type=Path, required=True, help="its study folder")
    parser.add_argument("--arm", default="baseline")
    parser.add_argument("--dataset", default=None, help="default: the study's first dataset")
    args = parser.parse_args()
    try:
        arm = pk.finished_arm(args.study, args.out, args.arm, args.dataset)
    except pk.PriorkitError as error:
        raise SystemExit(f"error: {error}") from None
    dataset = arm.dataset
    names = np.array([str(s.label) for s in dataset])
    codes = np.searchsorted(sorted(set(names.tolist())), names)
    embeddings = pk.text_features(dataset, arm.config)

    print(f"{args.out}, arm {args.arm}, {arm.dataset_name}: {sum(map(len, arm.runs))} runs")
    print("\n| fold | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    rows, groups = [], []
    for split, runs in zip(arm.folds, arm.runs, strict=True):
        row, group = fold_scores(runs, dataset, split, embeddings, codes)
        rows.append(row)
        groups.append(group)
        print(f"| {split.name} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    mean, std = np.mean(rows, axis=0), np.std(rows, axis=0)
    cells = [f"{m:.3f} +- {s:.3f}" for m, s in zip(mean, std, strict=True)]
    print("| mean +- std | " + " | ".join(cells) + " |")

    cosine, right, neighbour = (np.concatenate(parts) for parts in zip(*groups, strict=True))
    header = "cosine of the nearest training or validation text | test trees | runs' accuracy"
    print(f"\n| {header} | 1-NN text accuracy |")
    print("|---|---|---|---|")
    for low, high in itertools.pairwise(BINS):
        inside = (cosine >= low) & (cosine < high)
        if inside.any():
            shown = f"[{max(low, -1.0):.2f}, {min(high, 1.0):.2f}{']' if high > 1 else ')'}"
            accuracies = f"{right[inside].mean():.3f} | {neighbour[inside].mean():.3f}"
            print(f"| {shown} | {inside.sum()} | {accuracies} |")


if __name__ == "__main__":
    main()
