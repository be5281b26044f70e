"""Choose the Twitter15 baseline's settings on validation data only.

Runs every candidate of ``recipes/twitter15_candidates.yaml`` (a list of ``--set`` changes to
``recipes/twitter15_raw.yaml``, the raw-release configuration) on the same 5 stratified folds,
and chooses the one with the highest validation accuracy: each fold's best validation accuracy
(the checkpoint the run keeps, selected on that fold's validation part), averaged over the
folds. A difference smaller than one validation sample per fold (1 / the smallest mean
validation size) is no evidence: the candidates that close to the best are tied, and of them the
one with the fewest changes (then the fastest) is chosen, so the recipe changes only on
evidence. Test accuracy is printed beside it, never used to choose. Prints one row per candidate
and the choice; writes every run into ``--out`` (``CANDIDATE/foldN``) and
``--out/selection.json``. Run again on the same ``--out``, it resumes: finished runs are
re-evaluated, not trained again.

    python recipes/twitter15_select.py [--data ../shared/datasets/twitter15] [--out runs/twitter15-select]
        [--candidates recipes/twitter15_candidates.yaml] [--only hidden_512 ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from twitter15_baseline import DEFAULT, ROOT, fold_row, folds, print_table  # the sibling recipe

import priorkit as pk

HERE = Path(__file__).resolve().parent
COLUMNS = {"val_accuracy": "val accuracy", "accuracy": "test accuracy", "macro_f1": "test macro-F1"}


def read_candidates(path: Path) -> dict[str, list[str]]:
    """The candidates of a YAML file: ``{candidates: {name: [KEY=VALUE, ...]}}``."""
    loaded = yaml.safe_load(path.read_text())
    candidates = loaded.get("candidates") if isinstance(loaded, dict) else None
    if not isinstance(candidates, dict) or not all(isinstance(v, list) for v in candidates.values()):
        raise SystemExit(f"{path}: expected 'candidates: {{name: [KEY=VALUE, ...]}}'")
    return {str(name): [str(change) for change in changes] for name, changes in candidates.items()}


def candidate_config(sets: list[str]) -> pk.RunConfig:
    """The Twitter15 baseline's config with ``sets`` applied (a wrong key: a ConfigError naming it).
    Candidates are compared on validation accuracy, so each must keep its checkpoints by it."""
    config = pk.RunConfig.from_yaml(HERE / "twitter15_raw.yaml", sets)
    if config.train.monitor != "val/accuracy":
        raise SystemExit(
            f"candidate {' '.join(sets)}: train.monitor is {config.train.monitor!r}; the choice is made "
            "on validation accuracy, so every candidate keeps train.monitor=val/accuracy"
        )
    return config


def run_candidate(config: pk.RunConfig, sets: list[str], data: Path, out: Path) -> dict:
    """Train ``config`` on the 5 stratified folds; the folds' rows and their summary."""
    dataset, splits = folds(config, data, "stratified", None, "twitter")
    rows = [fold_row(config, dataset, split, out, (None, None, None, None)) for split in splits]
    return {"sets": sets, "folds": rows, "summary": print_table(rows, COLUMNS)}


def choose(results: dict[str, dict]) -> tuple[str, list[str], float]:
    """The chosen candidate, the candidates tied with the best on validation accuracy (closer
    to it than one validation sample per fold) and that margin: of the tied, the one with the
    fewest ``--set`` changes, then the fastest."""
    val = {name: r["summary"]["val_accuracy"][0] for name, r in results.items()}
    margin = 1.0 / min(r["summary"]["val_samples"][0] for r in results.values())
    tied = [name for name in results if val[name] > max(val.values()) - margin]

    def cost(name: str) -> tuple[int, float]:
        return len(results[name]["sets"]), results[name]["summary"]["train_seconds"][0]

    return min(tied, key=cost), tied, margin


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "twitter15-select")
    parser.add_argument("--candidates", type=Path, default=HERE / "twitter15_candidates.yaml")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these")
    args = parser.parse_args()
    candidates = read_candidates(args.candidates)
    unknown = sorted(set(args.only) - set(candidates))
    if unknown:
        parser.error(f"--only: no candidate {unknown} in {args.candidates} (valid: {sorted(candidates)})")
    candidates = {name: sets for name, sets in candidates.items() if not args.only or name in args.only}
    configs = {name: candidate_config(sets) for name, sets in candidates.items()}  # all checked first
    results = {}
    for name, sets in candidates.items():
        print(f"\n## {name}: {' '.join(sets) or '(the recipe as it is)'}")
        results[name] = run_candidate(configs[name], sets, args.data, args.out / name)
    print("\n| candidate | --set | " + " | ".join(COLUMNS.values()) + " | training seconds (5 folds) |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for name, result in results.items():
        s = result["summary"]
        cells = " | ".join(f"{s[k][0]:.3f} +- {s[k][1]:.3f}" for k in COLUMNS)
        seconds = s["train_seconds"][0] * len(result["folds"])
        print(f"| {name} | {' '.join(result['sets']) or '-'} | {cells} | {seconds:.0f} |")
    chosen, tied, margin = choose(results)
    print(
        f"\ntied on validation accuracy (within {margin:.4f}, one validation sample per fold, of the best): "
        f"{', '.join(tied)}\nchosen (the fewest changes, then the fastest, of them): {chosen} "
        f"({' '.join(results[chosen]['sets']) or 'the recipe as it is'})"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "selection.json").write_text(json.dumps({"chosen": chosen, "candidates": results}, indent=2))


if __name__ == "__main__":
    main()
