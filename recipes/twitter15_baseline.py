"""The Twitter15 recipe: 5 folds (stratified, or ``--split story`` / ``temporal``), model
selection on each fold's validation part.

The data are the raw release joined with the RvNN/BiGCN file's bags of words
(``--format twitter_rvnn``, the default: every reply's words as content nodes under the root,
see :mod:`priorkit.data.graft`); ``--format twitter`` reads the raw release alone. The config
(``twitter15_baseline.yaml``) adds a bag of the whole tree and one prior, text dropout;
``--format twitter --config recipes/twitter15_raw.yaml`` is the recipe before all three.

Each fold's network is then mixed with its text neighbours (``--no-neighbours`` skips it): its
class probabilities averaged with a vote of the training trees whose source-tweet embeddings lie
nearest, the number of neighbours and the network's weight chosen on the fold's validation part
(``pk.fit_neighbours``); ``accuracy`` is the mixture's, ``network_accuracy`` the
network's alone. Also fits the reference named in the issue on the same folds (``--no-reference`` skips it):
logistic regression on the text embedding plus a bag of user ids, on the same nodes the model
sees (the config's node budget), and a stronger linear reference: the tree's summed node
features (every reply's words; sublinear TF-IDF fitted on the training part) plus the bag of
user ids; and a 1-nearest-neighbour on the text embedding (cosine), the reference the network
alone must beat on new stories. Prints one row per fold and the mean +- std, and writes every
run into ``--out`` (one run directory per fold plus ``results.json``).

    python recipes/twitter15_baseline.py [--data ../shared/datasets/twitter15] [--out runs/twitter15]
        [--split story] [--set model.fusion=gated ...] [--fold fold1 --fold fold2]

Each fold trains a seed ensemble (``--seeds``, default 0 1 2; ``pk.fit_ensemble``: three
networks of the config, their class probabilities averaged, then mixed with the text neighbours
like one network's) and also prints one seed's accuracy, the members' mean; ``--seeds 0``
trains one network (a third of the time). On collections of a few hundred trees a network's
seed decides several points (docs/benchmarks.md: on two story-disjoint halves of Twitter15 the
ensemble of three is 3 points above its members' mean, for two sets of seeds).

``--set`` changes one config key (the README's ablation of the baseline uses it); ``--fold``
runs only the named folds of the same 5-fold split; ``--half 0`` (or 1) runs on one of two
story-disjoint halves of the collection, a smaller collection of other stories.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

import priorkit as pk

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "datasets" / "twitter15"


def reference(
    inputs: csr_matrix,
    users: tuple[csr_matrix, csr_matrix],
    labels: np.ndarray,
    fit: np.ndarray,
    test: np.ndarray,
) -> np.ndarray:
    """Predictions for ``test`` of a logistic regression on [inputs, bag of user ids] fitted on
    ``fit`` (``users``: the bags of :func:`priorkit.analysis.leakage.user_bags` for the same parts).

    Shapes:
        inputs: (N, t) (a text embedding, or word bags); labels: (N,) -> (len(test),).
    """
    x_fit = hstack([inputs[fit], users[0]]).tocsr()
    x_test = hstack([inputs[test], users[1]]).tocsr()
    return LogisticRegression(max_iter=2000, C=10.0).fit(x_fit, labels[fit]).predict(x_test)


def word_bags(dataset: pk.TreeDataset) -> csr_matrix:
    """Each tree's node features summed over its nodes (with ``twitter_rvnn``: the counts of
    every reply's words), one row per tree; a column with a negative value anywhere is not a
    count (the raw release's signed log time) and is left out.

    Shapes:
        -> (N, f') with f' <= f.
    """
    features = [csr_matrix(sample.features) for sample in dataset]
    sums = np.vstack([np.asarray(f.sum(axis=0)).reshape(1, -1) for f in features])
    lowest = np.min([f.min(axis=0).toarray().ravel() for f in features], axis=0)
    return csr_matrix(sums[:, lowest >= 0])


def tfidf(bags: csr_matrix, fit: np.ndarray) -> csr_matrix:
    """Sublinear TF-IDF of ``bags``, its document frequencies from the ``fit`` rows only.

    Shapes:
        bags: (N, f) -> (N, f).
    """
    return TfidfTransformer(sublinear_tf=True).fit(bags[fit]).transform(bags).tocsr()


COLUMNS = {
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "network_accuracy": "network alone accuracy",
    "single_accuracy": "one seed's accuracy (mean)",
    "network_weight": "network's weight (val)",
    "val_accuracy": "val accuracy (selection)",
    "reference_accuracy": "reference LR accuracy",
    "reference_macro_f1": "reference LR macro-F1",
    "words_reference_accuracy": "words + users LR accuracy",
    "nearest_accuracy": "1-NN text accuracy",
}


def folds(
    config: pk.RunConfig,
    data: Path,
    kind: str,
    k: int | None,
    fmt: str = "twitter_rvnn",
    half: int | None = None,
) -> tuple[pk.TreeDataset, list[pk.Split]]:
    """Twitter15 (read with the ``fmt`` loader) under the config's node budget and its folds
    (validation: 10% of each training part); with ``half`` (0 or 1), only that half of two
    story-disjoint halves (the test parts of a 2-fold story split): a smaller collection of
    other stories, to check a result beyond the collection it was tuned on."""
    # the node budget once, up front: the whole trees are not kept in memory beside the trimmed ones
    dataset = config.data.budgeted(pk.load_cached(fmt, data))
    if half is not None:
        # seed 0 whatever the training seed: a half is one collection, the same for every run
        halves = pk.make_splits(dataset, pk.SplitConfig(kind="story", k=2, seed=0)).splits
        dataset = dataset[halves[half].test]
    split = pk.SplitConfig(kind=kind, k=k, val_fraction=0.1, seed=config.train.seed)
    return dataset, pk.make_splits(dataset, split).splits


def fold_row(
    config: pk.RunConfig,
    dataset: pk.TreeDataset,
    split: pk.Split,
    out: Path,
    reference_inputs: tuple,
    neighbours: bool = False,
    seeds: list[int] | None = None,
) -> dict:
    """Train and test one fold (``out / split.name``: one network, with the config's seed or the
    one of ``seeds``, or with several ``seeds`` an ensemble of one run per seed there, its
    members' probabilities averaged); with ``neighbours``, the network's probabilities mixed
    with its text neighbours' votes (chosen on validation data), and the reference's scores
    when ``reference_inputs`` has ``users``.

    ``reference_inputs`` is ``(texts, users, words, labels)``: the text embeddings, the user
    documents (None: no reference), the trees' summed node features (:func:`word_bags`) and the
    labels of the whole dataset.
    """
    texts, users, words, labels = reference_inputs
    parts = {"train": dataset[split.train], "val": dataset[split.val], "test": dataset[split.test]}
    ensemble = seeds is not None and len(seeds) > 1
    if ensemble:
        trained = pk.fit_ensemble(config, data=parts, out=out / split.name, seeds=seeds)
        runs = [m.metrics for m in trained.members]
        test = trained.metrics["test"]
    else:
        one = config if not seeds else config.updated({"train.seed": seeds[0]})
        runs = [pk.fit(one, data=parts, out=out / split.name).metrics]
        test = runs[0]["test"]
    row = {
        "fold": split.name,
        "accuracy": test["accuracy"],
        "macro_f1": test["macro_f1"],
        "val_" + config.train.monitor.removeprefix("val/"): float(np.mean([r["best_score"] for r in runs])),
        "val_samples": runs[0]["data"]["val"]["samples"],
        "best_epoch": runs[0]["best_epoch"],
        "epochs_run": runs[0]["epochs_run"],
        # the epochs' own times: a finished run that is run again only re-evaluates
        "train_seconds": sum(epoch["epoch_seconds"] for r in runs for epoch in r["history"]),
    }
    if ensemble:
        row["single_accuracy"] = float(np.mean([r["test"]["accuracy"] for r in runs]))
    else:
        row["reliance_text"] = test["reliance"]["text"]
    if neighbours:
        row = {**row, **neighbour_scores(out / split.name, dataset, split, ensemble)}
    if users is not None:
        fit = np.concatenate([split.train, split.val])
        bags = pk.user_bags(users, fit, split.test)
        predicted = reference(csr_matrix(texts), bags, labels, fit, split.test)
        truth = labels[split.test]
        row["reference_accuracy"] = accuracy_score(truth, predicted)
        row["reference_macro_f1"] = f1_score(truth, predicted, average="macro")
        predicted = reference(tfidf(words, fit), bags, labels, fit, split.test)
        row["words_reference_accuracy"] = accuracy_score(truth, predicted)
    return row


def neighbour_scores(run: Path, dataset: pk.TreeDataset, split: pk.Split, ensemble: bool = False) -> dict:
    """The trained network's test predictions mixed with its text neighbours
    (``pk.fit_neighbours``: k, temperature and the network's weight chosen on the fold's
    validation part, the neighbours drawn from its training part; on test, from training and
    validation). Returns the mixture's scores as ``accuracy``/``macro_f1`` and the network's
    own as ``network_accuracy``/``network_macro_f1``."""
    trained = pk.load_ensemble(run) if ensemble else pk.load(run)
    neighbours = pk.fit_neighbours(trained, dataset[split.train], dataset[split.val])
    test = dataset[split.test]
    truth = [str(s.label) for s in test]
    mixed = [str(p.label) for p in pk.predict(trained, test, neighbours=neighbours)]
    alone = [str(p.label) for p in pk.predict(trained, test)]
    return {
        "accuracy": accuracy_score(truth, mixed),
        "macro_f1": f1_score(truth, mixed, average="macro"),
        "network_accuracy": accuracy_score(truth, alone),
        "network_macro_f1": f1_score(truth, alone, average="macro"),
        "network_weight": neighbours.mix.weight,
        "neighbours_k": neighbours.mix.k,
    }


def print_table(rows: list[dict], columns: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Print one markdown row per fold and the mean +- std of ``columns`` (those the rows have);
    return the mean and std of every numeric key."""
    keys = [k for k in columns if k in rows[0]]
    print("\n| fold | " + " | ".join(columns[k] for k in keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for row in rows:
        print(f"| {row['fold']} | " + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")
    numeric = [k for k, v in rows[0].items() if isinstance(v, (int, float))]
    values = {k: [r[k] for r in rows] for k in numeric}
    summary = {k: (float(np.mean(v)), float(np.std(v))) for k, v in values.items()}
    print("| mean +- std | " + " | ".join(f"{summary[k][0]:.3f} +- {summary[k][1]:.3f}" for k in keys) + " |")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("twitter15_baseline.yaml"))
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "twitter15-baseline")
    parser.add_argument(
        "--split",
        default="stratified",
        choices=["stratified", "story", "temporal"],
        help="stratified folds (the default), story-disjoint folds (TF-IDF cosine >= 0.5), or temporal",
    )
    parser.add_argument(
        "--format",
        default="twitter_rvnn",
        choices=["twitter_rvnn", "twitter"],
        help="the raw release with its RvNN/BiGCN bags of words (the default), or the raw release alone",
    )
    parser.add_argument("--folds", type=int, default=None, help="folds (default 5; temporal: 1 test block)")
    parser.add_argument(
        "--half",
        type=int,
        choices=[0, 1],
        default=None,
        help="only one of two story-disjoint halves of the collection (a smaller collection of other "
        "stories), split into folds as the whole would be",
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--fold", action="append", default=[], metavar="NAME", help="e.g. fold0")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        metavar="SEED",
        help="an ensemble per fold: one run per seed, probabilities averaged (pk.fit_ensemble; "
        "default 0 1 2); one seed trains one network with that seed",
    )
    parser.add_argument(
        "--neighbours",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mix the network with its text neighbours, chosen on validation data (default: yes)",
    )
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also fit the logistic-regression references and the 1-NN text reference on the same "
        "folds (default: yes)",
    )
    args = parser.parse_args()

    config = pk.RunConfig.from_yaml(args.config, args.set)
    dataset, splits = folds(config, args.data, args.split, args.folds, args.format, args.half)
    unknown = sorted(set(args.fold) - {split.name for split in splits})
    if unknown:
        parser.error(f"--fold: no fold {unknown} (valid: {[split.name for split in splits]})")
    splits = [split for split in splits if not args.fold or split.name in args.fold]
    labels = np.asarray([str(s.label) for s in dataset])
    texts = pk.text_features(dataset, config) if args.reference else None
    users = pk.user_documents(dataset) if args.reference else None
    words = word_bags(dataset) if args.reference else None
    rows = []
    # the leakage report's 1-NN on the text embedding (training and validation parts as its
    # memory): the reference the network alone must beat on new stories
    nearest = (
        {f.name: f.nearest for f in pk.leakage_report(dataset, splits, args.split, embeddings=texts).folds}
        if texts is not None
        else {}
    )
    for split in splits:
        inputs = (texts, users, words, labels)
        row = fold_row(config, dataset, split, args.out, inputs, args.neighbours, args.seeds)
        rows.append({**row, **({"nearest_accuracy": nearest[split.name]} if nearest else {})})
        print(json.dumps(rows[-1]))
    summary = print_table(rows, COLUMNS)
    if "nearest_accuracy" in summary:
        alone = "network_accuracy" if "network_accuracy" in summary else "accuracy"  # no neighbours
        gap = summary[alone][0] - summary["nearest_accuracy"][0]
        side = "above" if gap > 0 else "not above"
        print(f"\nthe network alone against 1-NN on its text embedding, same folds: {gap:+.3f} ({side})")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(
        json.dumps(
            {
                "folds": rows,
                "summary": summary,
                "format": args.format,
                "half": args.half,
                "seeds": args.seeds,
                "config": config.model_dump(mode="json"),
            },
            indent=2,
        )
    )
    (args.out / "config.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))


if __name__ == "__main__":
    main()
