r"""How label_shift's choices fare on held-out groups: each finished run of a study's
``label_shift`` arm is calibrated again on its fold's validation part and scored again on its
test part under every calibration and estimator (the network is not retrained), beside the
network alone and the true class mix (an oracle, for scale).

For each variant: accuracy, macro-F1, and the L1 distance between the mix it used and the true
test mix; per fold (mean over seeds) and over all folds.

    python recipes/label_shift_estimators.py --study recipes/real_shift_study.yaml \
        --out runs/real-shift [--dataset pheme]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score

import priorkit as pk

VARIANTS = {  # name -> label_shift arguments (None: the network alone)
    "network alone": None,
    "bcts + em": {"calibrate": "bcts", "method": "em"},
    "temperature + em": {"calibrate": "temperature", "method": "em"},
    "no calibration + em": {"calibrate": "none", "method": "em"},
    "bcts + bbse": {"calibrate": "bcts", "method": "bbse"},
    "temperature + bbse": {"calibrate": "temperature", "method": "bbse"},
    "bcts + em, shrink 0.5": {"calibrate": "bcts", "method": "em", "shrink": 0.5},
    "temperature + em, shrink 0.5": {"calibrate": "temperature", "method": "em", "shrink": 0.5},
    "temperature + bbse, shrink 0.5": {"calibrate": "temperature", "method": "bbse", "shrink": 0.5},
    "bcts, never re-weighted": {"calibrate": "bcts", "method": "em", "significance": 0.0},
    "bcts + em, test at 0.05": {"calibrate": "bcts", "method": "em", "significance": 0.05},
    "bcts + em, test at 0.01": {"calibrate": "bcts", "method": "em", "significance": 0.01},
    "temperature + em, test at 0.01": {"calibrate": "temperature", "method": "em", "significance": 0.01},
}


def label_shift(trained: pk.TrainedModel) -> pk.Prior:
    found = [p for p in trained.model.priors.priors if p.name == "label_shift"]
    if not found:
        raise pk.ConfigError(f"{trained.source}: expected a run with the label_shift prior (got none).")
    return found[0]


def network_alone(trained: pk.TrainedModel, samples: list[pk.TreeSample]) -> list[pk.SamplePrediction]:
    prior = label_shift(trained)
    prior.adapts = False  # the stack adapts nothing: the network's own logits
    try:
        return pk.predict(trained, samples)
    finally:
        del prior.adapts


def log_probabilities(trained: pk.TrainedModel, samples: list[pk.TreeSample]) -> torch.Tensor:
    """The network's own log-probabilities, columns in output order (logits up to a row constant).

    Shapes:
        -> (len(samples), classes).
    """
    names = [str(n) for n in trained.labels]
    rows = [[p.probabilities[n] for n in names] for p in network_alone(trained, samples)]
    return torch.tensor(rows).clamp_min(1e-12).log()


def rescored(
    trained: pk.TrainedModel,
    arguments: dict[str, object],
    val: list[pk.TreeSample],
    test: list[pk.TreeSample],
) -> list[pk.SamplePrediction]:
    """Test predictions with label_shift set to ``arguments`` and calibrated again on ``val``."""
    prior = label_shift(trained)
    if not hasattr(prior, "trained_config"):  # each variant changes the run's own arguments
        prior.trained_config = prior.config
    prior.config = pk.parse_prior({**prior.trained_config.model_dump(), **arguments})
    codes = torch.tensor([[str(n) for n in trained.labels].index(str(s.label)) for s in val])
    prior.calibrate(log_probabilities(trained, val), codes)
    return pk.predict(trained, test)


def scores(predictions: list[pk.SamplePrediction], truth: list[str]) -> tuple[float, float, np.ndarray]:
    predicted = [str(p.label) for p in predictions]
    names = sorted(predictions[0].probabilities)
    mean = np.mean([[p.probabilities[n] for n in names] for p in predictions], axis=0)
    return accuracy_score(truth, predicted), f1_score(truth, predicted, average="macro"), mean


def fold_rows(split: pk.Split, runs: list[Path], dataset: pk.TreeDataset) -> dict[str, tuple[float, ...]]:
    """Variant -> (accuracy, macro-F1, mix distance), means over the fold's runs (seeds); a
    variant that cannot score the fold (too few test samples to estimate a mix) is printed and
    left out."""
    samples = [dataset[int(i)] for i in split.test]
    truth = [str(s.label) for s in samples]
    val = [dataset[int(i)] for i in split.val]
    train_labels = [str(dataset[int(i)].label) for i in split.train]
    models = [pk.load(run) for run in runs]
    names = tuple(str(n) for n in models[0].labels)
    true_mix = {n: truth.count(n) / len(truth) for n in names}
    target = np.array([true_mix[n] for n in sorted(names)])
    for trained in models:  # runs of an earlier priorkit do not record their training mix
        label_shift(trained).train_mix.copy_(
            torch.tensor([train_labels.count(n) / len(train_labels) for n in names])
        )
    out = {}
    for name, arguments in {
        **VARIANTS,
        "true mix (oracle)": {"calibrate": "temperature", "target": true_mix},
    }.items():
        try:
            per_seed = [
                scores(
                    network_alone(m, samples) if arguments is None else rescored(m, arguments, val, samples),
                    truth,
                )
                for m in models
            ]
        except pk.ConfigError as error:  # e.g. too few test samples to estimate a mix
            print(f"| {split.name} | {len(samples)} | {name} | n/a: {str(error)[:90]} | | |")
            continue
        rows = [(accuracy, f1, float(np.abs(mean - target).sum())) for accuracy, f1, mean in per_seed]
        out[name] = tuple(float(v) for v in np.mean(rows, axis=0))
        print(
            f"| {split.name} | {len(samples)} | {name} | " + " | ".join(f"{v:.3f}" for v in out[name]) + " |"
        )
    return out


def print_summary(per_fold: dict[str, dict[str, tuple[float, ...]]]) -> None:
    """Mean +- std over the folds that every variant scored (the others named)."""
    variants = {name for rows in per_fold.values() for name in rows}
    complete = [fold for fold, rows in per_fold.items() if set(rows) == variants]
    left_out = sorted(set(per_fold) - set(complete))
    print(
        f"\nOver the {len(complete)} folds every variant scored"
        + (f" (left out: {', '.join(left_out)})" if left_out else "")
        + ":\n"
    )
    print("| variant | accuracy | macro-F1 | mix distance (L1) |")
    print("|---|---|---|---|")
    for name in per_fold[complete[0]] if complete else []:
        values = np.array([per_fold[fold][name] for fold in complete])
        cells = [f"{m:.3f} +- {s:.3f}" for m, s in zip(values.mean(0), values.std(0), strict=True)]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--study", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dataset", default=None, help="default: the study's first dataset")
    args = parser.parse_args()
    try:
        arm = pk.finished_arm(args.study, args.out, "label_shift", args.dataset)
    except pk.PriorkitError as error:
        raise SystemExit(f"error: {error}") from None
    print(f"{args.out}, {arm.dataset_name}: label_shift runs scored again on their test folds\n")
    print("| fold | test samples | variant | accuracy | macro-F1 | mix distance (L1) |")
    print("|---|---|---|---|---|---|")
    per_fold = {
        split.name: fold_rows(split, runs, arm.dataset)
        for split, runs in zip(arm.folds, arm.runs, strict=True)
    }
    print_summary(per_fold)


if __name__ == "__main__":
    main()
