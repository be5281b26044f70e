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
import json
from collections import Counter
from pathlib import Path

import numpy as np

from priorkit.ablation import load_study
from priorkit.ablation.folds import collection, pool
from priorkit.analysis.leakage import embedding_features, leakage_report
from priorkit.data.dataset import TreeDataset
from priorkit.data.split_plan import SplitPlan
from priorkit.data.splits import Split
from priorkit.errors import ConfigError
from priorkit.runs.graphs import text_features

HERE = Path(__file__).resolve().parent
STUDY = HERE / "cross_collection_study.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=HERE.parent / "runs" / "cross-collection")
    args = parser.parse_args()
    study, base = load_study(STUDY)
    assert study.datasets is not None
    name, data = next(iter(study.datasets.items()))
    folds = args.out / "splits" / f"{name}.json"
    if not folds.is_file():
        raise ConfigError(f"{folds}: expected the study's saved folds; run the study into {args.out} first.")
    trained = pool(data.source, data.format, data.labels, base, data.periods, data.node_features)
    plan = SplitPlan.from_dict(json.loads(folds.read_text()), trained)
    for other, entry in data.evaluate.items():
        if isinstance(entry, str):
            continue
        scored = collection(entry, base)
        both = TreeDataset([*trained, *scored])
        tested = np.arange(len(trained), len(both))
        splits = [Split(s.name, s.train, s.val, tested) for s in plan.splits]
        encoder = base.model.text_encoder.model
        report = leakage_report(
            both,
            splits,
            f"{name} -> {other}",
            embeddings=text_features(both, base),
            features=embedding_features(encoder),
        )
        print("\n".join(report.lines()))
        mix = Counter(str(s.label) for s in scored)
        shares = ", ".join(f"{label} {count / len(scored):.3f}" for label, count in mix.most_common())
        print(
            f"\n{other}: {len(scored)} samples; class mix {shares}; its own majority class: "
            f"{mix.most_common(1)[0][1] / len(scored):.3f} accuracy"
        )


if __name__ == "__main__":
    main()
