"""The references of recipes/cross_collection_study.yaml on the other collection: for each of the
study's saved Twitter15 folds, what needs no network, fitted on the fold's training part (train
and validation, as the trials train and select on) and scored on all of PHEME: the training
part's majority class, a 1-nearest-neighbour and a linear probe on the text embedding (the
study's encoder), a probe on text + users, and the share of PHEME's own majority class (the
accuracy of always guessing it, which only knowledge of PHEME's class mix can reach).

    python recipes/cross_collection_references.py [--out runs/cross-collection]

Run it after the study (it reads ``splits/twitter15.json`` from ``--out``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

import priorkit as pk

HERE = Path(__file__).resolve().parent
STUDY = HERE / "cross_collection_study.yaml"


def scored(entry: pk.CollectionConfig, cache_dir: str | None) -> pk.TreeDataset:
    """The other collection as the study's trials read it: whole, relabelled, its node
    features dropped where the entry says so."""
    dataset = pk.load_cached(entry.format, entry.source, cache_dir=cache_dir).relabel(entry.labels)
    return dataset if entry.node_features else dataset.drop_features()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=HERE.parent / "runs" / "cross-collection")
    args = parser.parse_args()
    study, base = pk.load_study(STUDY)
    arm = pk.finished_arm(STUDY, args.out, study.baseline)  # the trained collection and its saved folds
    trained = arm.dataset
    data = (study.datasets or {})[arm.dataset_name]
    encoder = base.model.text_encoder.model
    for other, entry in data.evaluate.items():
        if isinstance(entry, str):
            continue
        collection = scored(entry, base.train.cache_dir)
        both = pk.TreeDataset([*trained, *collection])
        tested = np.arange(len(trained), len(both))
        splits = [pk.Split(s.name, s.train, s.val, tested) for s in arm.folds]
        report = pk.leakage_report(
            both,
            splits,
            f"{arm.dataset_name} -> {other}",
            embeddings=pk.text_features(both, base),
            features=f"{encoder.rsplit('/', 1)[-1]} embeddings",
        )
        print("\n".join(report.lines()))
        mix = Counter(str(s.label) for s in collection)
        shares = ", ".join(f"{label} {count / len(collection):.3f}" for label, count in mix.most_common())
        print(
            f"\n{other}: {len(collection)} samples; class mix {shares}; its own majority class: "
            f"{mix.most_common(1)[0][1] / len(collection):.3f} accuracy"
        )


if __name__ == "__main__":
    main()
