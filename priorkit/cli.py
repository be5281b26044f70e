"""The ``priorkit`` command line. Every error is one readable line per problem and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from priorkit.config import load_config
from priorkit.data.cache import load_cached
from priorkit.data.formats import FORMATS, load_format
from priorkit.data.jsonl import read_jsonl, validate_jsonl, write_jsonl
from priorkit.data.problems import DataValidationError
from priorkit.data.stats import dataset_stats
from priorkit.data.synth import SynthConfig, write_synthetic
from priorkit.errors import ConfigError, PriorkitError
from priorkit.locks import output_lock, refuse_overwriting
from priorkit.version import __version__

EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


def _say(lines: Sequence[str], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    for line in lines:
        print(line, file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    problems = [str(p) for path in args.files for p in validate_jsonl(path)]
    if problems:
        _say(problems, sys.stderr)
        print(f"{len(problems)} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: {len(args.files)} file(s) valid")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    options = {
        "rvnn": {"labels": args.labels, "texts": args.texts},
        "twitter_rvnn": {"rvnn": args.rvnn},
        "csv": {"edges": args.edges},
    }.get(args.format, {})
    inputs = {"source": args.source, **{f"--{name}": path for name, path in options.items() if path}}
    refuse_overwriting(Path(args.out), {name: Path(path) for name, path in inputs.items()})
    dataset = load_format(args.format, args.source, **{k: v for k, v in options.items() if v})
    with output_lock(Path(args.out)):
        count = write_jsonl(dataset, args.out)
    _say(dataset.report.lines(), sys.stderr)
    print(f"wrote {count} samples to {args.out}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    dataset = read_jsonl(args.file) if args.format == "jsonl" else load_cached(args.format, args.file)
    _say(dataset_stats(dataset).lines())
    _say(dataset.report.lines(), sys.stderr)
    return 0


def _split_options(args: argparse.Namespace) -> dict[str, object]:
    names = ("kind", "k", "val_fraction", "seed", "tfidf", "embedding", "test_fraction", "per_class")
    given = {name: getattr(args, name) for name in names}
    return {name: value for name, value in given.items() if value is not None}


def cmd_leakage(args: argparse.Namespace) -> int:
    from priorkit.analysis.leakage import checked_threshold, embedding_features, leakage_report
    from priorkit.atomic import write_json
    from priorkit.data.split_plan import SplitConfig, make_splits

    split = load_config(SplitConfig, _split_options(args), where="split options: ")
    threshold = checked_threshold(args.threshold if args.threshold is not None else split.near_duplicate)
    dataset = read_jsonl(args.source) if args.format == "jsonl" else load_cached(args.format, args.source)
    dataset.relabel(dict(args.relabel or []))
    embeddings, features = None, "TF-IDF of the text"
    if args.encoder is not None:
        from priorkit.data.cache import default_cache_dir
        from priorkit.encoders.text import TextEncoder, TextEncoderConfig
        from priorkit.encoders.text_table import encode_texts

        encoder = TextEncoder(TextEncoderConfig(model=args.encoder))
        embeddings = encode_texts([s.text for s in dataset], encoder, default_cache_dir())[0].numpy()
        features = embedding_features(args.encoder)
    plan = make_splits(dataset, split, embeddings if split.needs_embeddings else None)
    report = leakage_report(dataset, plan.splits, split.kind, threshold, embeddings, features)
    stories = f"; {len(set(plan.groups))} groups" if plan.groups is not None else ""
    print(f"{args.source}: {len(dataset)} samples, {len(plan.splits)} folds ({split.kind}){stories}")
    _say(report.lines())
    if args.json:
        write_json(Path(args.json), {"split": plan.to_dict(), "leakage": report.to_dict()})
        print(f"folds and report: {args.json}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    overrides = list(args.set or []) + ([f"seed={args.seed}"] if args.seed is not None else [])
    config = load_config(SynthConfig, args.config, overrides)
    paths = write_synthetic(args.out, config)
    for split, path in paths.items():
        print(f"{split}: {path}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from priorkit.runs.config import RunConfig
    from priorkit.training.run import train

    config = RunConfig.from_yaml(
        args.config, [*(args.set or []), *(["train.verbose=true"] if args.verbose else [])]
    )
    if args.seeds:
        return _train_ensemble(config, args)
    result = train(config, args.out, resume=not args.restart)
    test = result.metrics["test"]
    print(f"run: {result.run_dir}")
    print(
        f"best epoch {result.metrics['best_epoch']} ({result.metrics['monitor']} "
        f"{result.metrics['best_score']:.4f}); test accuracy {test['accuracy']:.4f}, "
        f"macro_f1 {test['macro_f1']:.4f}"
    )
    return 0


def _train_ensemble(config: Any, args: argparse.Namespace) -> int:
    from priorkit.api.fitting import fit_ensemble
    from priorkit.runs.files import member_folder

    ensemble = fit_ensemble(config, out=args.out, seeds=args.seeds, resume=not args.restart)
    print(f"ensemble: {args.out} ({len(ensemble.members)} runs: {', '.join(map(member_folder, args.seeds))})")
    for seed, member in zip(args.seeds, ensemble.metrics.get("members_test", []), strict=False):
        print(f"seed {seed}: test accuracy {member['accuracy']:.4f}, macro_f1 {member['macro_f1']:.4f}")
    test = ensemble.metrics.get("test")
    if test:
        print(f"ensemble: test accuracy {test['accuracy']:.4f}, macro_f1 {test['macro_f1']:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from priorkit.api.ensemble import as_model
    from priorkit.api.evaluation import evaluate

    report = evaluate(
        as_model(args.run_dir, args.trust_code), args.data, repeats=args.repeats, json_out=args.json
    )
    _say(report.lines())
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from priorkit.api.ensemble import Ensemble, as_model
    from priorkit.api.prediction import predict_file

    if args.html and Path(args.html).exists() and not Path(args.html).is_dir():
        raise ConfigError(
            f"--html {args.html}: expected a folder for the explanation pages (got a file). Give a folder; "
            "it is made if it does not exist."
        )
    trained = as_model(args.model, args.trust_code)
    if args.html and isinstance(trained, Ensemble):
        raise ConfigError(
            f"--html: expected one network (got an ensemble of {len(trained.members)}). Explanations are "
            f"per network: draw a member's, e.g. --html with {trained.members[0].source}."
        )
    result = predict_file(
        trained,
        args.data,
        args.out,
        explain=args.explain,
        top_k=args.top_k,
        progress=not args.quiet,
        neighbours=args.neighbours,  # a folder: predict_file loads it
        adapt_window=args.adapt_window,
    )
    print(f"wrote {result.count} predictions to {result.out}")
    if args.html:
        from priorkit.api.explanation import write_explanations

        pages = write_explanations(trained, args.data, args.html)
        print(f"wrote {len(pages)} explanation pages to {args.html} (open {Path(args.html) / 'index.html'})")
    return 0


def cmd_neighbours(args: argparse.Namespace) -> int:
    from priorkit.api.ensemble import as_model
    from priorkit.api.neighbours import fit_neighbours

    neighbours = fit_neighbours(as_model(args.model, args.trust_code), args.train, args.val)
    mix = neighbours.mix
    print(
        f"chosen on {args.val}: {mix.k} neighbours, temperature {mix.temperature}, the network's weight "
        f"{mix.weight:.2f} (validation log-loss {mix.val_nll:.4f}; the network alone {mix.model_val_nll:.4f})"
    )
    print(f"saved {len(neighbours.codes)} labelled texts to {neighbours.save(args.out)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from priorkit.runs.trained import export

    folder = export(args.run_dir, args.folder, args.trust_code)
    print(f"saved model: {folder} (load with priorkit.load({str(folder)!r}))")
    return 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from priorkit.ablation import run_study

    run = run_study(
        args.study, args.out, args.executor, args.workers, args.retry_failed, args.address, redraw=args.redraw
    )
    _say(run.family)  # a study of many datasets: the family table is its headline
    _say(
        [
            f"{len(run.trials)} trials: {run.done} finished, {run.failed} failed, {run.pending} not run "
            f"({run.ran} run now)",
            f"results: {run.out / 'results.csv'}",
            f"summary: {run.out / 'summary.md'}",
        ]
    )
    return 0 if run.failed == 0 else 1


def cmd_report(args: argparse.Namespace) -> int:
    from priorkit.ablation.report import write_report

    page = write_report(args.folder)
    _say([f"report: {page}", f"summary: {page.parent / 'summary.md'}", f"plots: {page.parent / 'plots'}"])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from priorkit.ablation.demo import run_demo

    result = run_demo(args.out, args.workers)
    _say([result.summary.read_text(encoding="utf-8"), f"report: {result.report}"])
    return 0 if result.run.failed == 0 else 1


def _ablation_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("ablate", help="run an ablation study: arms x seeds x folds x datasets")
    p.add_argument("study", help="study YAML: base, arms, seeds, folds, datasets, sweeps")
    p.add_argument("--out", required=True, help="study folder (rerun to resume: finished trials are kept)")
    p.add_argument("--executor", default="local", choices=["local", "ray"], help="where trials run")
    p.add_argument(
        "--workers", type=_positive, default=1, help="trials at once (threads per worker: cores / workers)"
    )
    p.add_argument(
        "--address", default=None, help="ray: address of an existing cluster (default: a local one)"
    )
    p.add_argument("--retry-failed", action="store_true", help="rerun the trials that failed before")
    p.add_argument(
        "--redraw",
        type=int,
        default=None,
        metavar="N",
        help="add N to every synthetic world's seed: the same worlds drawn afresh (use another --out)",
    )
    p.set_defaults(run=cmd_ablate)
    p = commands.add_parser("report", help="write a study's HTML report, summary.md and plots")
    p.add_argument("folder", help="a study folder written by `priorkit ablate`")
    p.set_defaults(run=cmd_report)
    p = commands.add_parser(
        "demo", help="run the synthetic study of every prior strategy and write its report"
    )
    p.add_argument("--out", default="runs/demo", help="study folder (default runs/demo; rerun to resume)")
    p.add_argument("--workers", type=_positive, default=2, help="trials at once")
    p.set_defaults(run=cmd_demo)


def _model_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("train", help="train a model from a YAML config into a run directory")
    p.add_argument("config", help="YAML with data, model, priors, train")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a key, e.g. train.epochs=5")
    p.add_argument("--out", required=True, help="run directory (resumes if it holds a killed run)")
    p.add_argument("--restart", action="store_true", help="ignore an existing last.ckpt")
    p.add_argument("--verbose", action="store_true", help="also show Lightning's own messages")
    p.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        metavar="SEED",
        help="train an ensemble: one run per seed in --out/seed-<seed>, predicting together",
    )
    p.set_defaults(run=cmd_train)
    p = commands.add_parser("evaluate", help="score a trained run on a JSONL file")
    p.add_argument("run_dir", help="a run directory or ensemble folder written by `priorkit train`")
    p.add_argument("--data", required=True, help="JSONL file with labels the run knows")
    p.add_argument("--json", help="also write the report as JSON here")
    p.add_argument("--repeats", type=_positive, default=5, help="shuffles per modality for reliance")
    _trust_option(p)
    p.set_defaults(run=cmd_evaluate)
    p = commands.add_parser("predict", help="predict labels of (unlabelled) samples into a JSONL file")
    p.add_argument("model", help="a run directory, ensemble folder or saved model folder (priorkit export)")
    p.add_argument("--data", required=True, help="JSONL samples; labels are not needed")
    p.add_argument("--out", required=True, help="output JSONL: id, label, probabilities per sample")
    p.add_argument(
        "--explain", action="store_true", help="add fusion weights, top nodes and per-prior measures"
    )
    p.add_argument("--top-k", type=_positive, default=5, help="--explain: nodes listed per sample")
    p.add_argument(
        "--html",
        metavar="DIR",
        help="also draw each sample's tree (attention, node reliance, the root) as an HTML page in DIR",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--neighbours", help="mix in the text neighbours saved by `priorkit neighbours`")
    p.add_argument(
        "--adapt-window",
        type=_positive,
        default=None,
        metavar="N",
        help="priors that adapt to the data (label_shift): adapt to the first N samples (default: all)",
    )
    _trust_option(p)
    p.set_defaults(run=cmd_predict)
    p = commands.add_parser(
        "neighbours", help="fit a model's text neighbours (chosen on --val) into a folder for predict"
    )
    p.add_argument("model", help="a run directory or a saved model folder (priorkit export)")
    p.add_argument("--train", required=True, help="labelled JSONL: the texts the neighbours come from")
    p.add_argument("--val", required=True, help="labelled JSONL: the samples the mixture is chosen on")
    p.add_argument("--out", required=True, help="folder for neighbours.npz and neighbours.json")
    _trust_option(p)
    p.set_defaults(run=cmd_neighbours)
    p = commands.add_parser("export", help="save a run's best model as a folder (config.json + safetensors)")
    p.add_argument("run_dir", help="a run directory written by `priorkit train`")
    p.add_argument("folder", help="the folder to write")
    _trust_option(p)
    p.set_defaults(run=cmd_export)


def _trust_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trust-code",
        action="store_true",
        help="import the modules the model's config lists under imports: (its author's code)",
    )


def _data_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    data = commands.add_parser("data", help="validate, convert, describe and synthesise datasets")
    sub = data.add_subparsers(dest="data_command", required=True)
    p = sub.add_parser("validate", help="check JSONL files; exit 2 and list every problem if invalid")
    p.add_argument("files", nargs="+", help="JSONL files")
    p.set_defaults(run=cmd_validate)
    p = sub.add_parser("convert", help="convert a public dataset to priorkit JSONL")
    p.add_argument("--format", required=True, choices=FORMATS.names())
    p.add_argument("source", help="dataset folder or file")
    p.add_argument("--out", required=True, help="output JSONL file")
    p.add_argument("--labels", help="rvnn: label file (default: *label*.txt beside the data)")
    p.add_argument("--texts", help="rvnn: source_tweets.txt for the sample texts")
    p.add_argument("--rvnn", help="twitter_rvnn: the RvNN/BiGCN folder (default: SOURCE/bigcn)")
    p.add_argument("--edges", help="csv: the edges CSV (sample, node, parent; default edges.csv beside)")
    p.set_defaults(run=cmd_convert)
    p = sub.add_parser("stats", help="print counts, labels, tree sizes and depths")
    p.add_argument("file", help="JSONL file (or a dataset folder with --format)")
    p.add_argument("--format", default="jsonl", choices=FORMATS.names())
    p.set_defaults(run=cmd_stats)
    _leakage_parser(sub)
    p = sub.add_parser("synth", help="write synthetic train/val/test_id/test_ood JSONL files")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="YAML file of SynthConfig fields")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field, repeatable")
    p.add_argument("--seed", type=int, help="shortcut for --set seed=N")
    p.set_defaults(run=cmd_synth)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 (got {text!r})")
    return value


def _rename(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old or not new:
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, e.g. false=rumour (got {text!r})")
    return old, new


def _leakage_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "leakage",
        help="per fold of a split: test samples with a near-duplicate in training, 1-NN, probe and majority",
    )
    p.add_argument("source", help="JSONL file (or a dataset folder with --format)")
    p.add_argument("--format", default="jsonl", choices=FORMATS.names())
    p.add_argument("--split", dest="kind", default="stratified", help="stratified, groups, story or temporal")
    p.add_argument("--k", type=int, help="folds (stratified, story: 5) or test blocks (temporal: 1)")
    p.add_argument("--val-fraction", type=float, help="share of each training part for validation (0.1)")
    p.add_argument("--seed", type=int, help="seeds the fold assignment (0)")
    p.add_argument("--tfidf", type=float, help="story: TF-IDF cosine linking two texts (0.5)")
    p.add_argument(
        "--embedding", type=float, help="story: embedding cosine linking two texts (needs --encoder)"
    )
    p.add_argument("--test-fraction", type=float, help="temporal: share of the samples per test block (0.2)")
    p.add_argument(
        "--per-class",
        action="store_const",
        const=True,
        help="temporal: cut each class at its own times (every class on every side)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        help="TF-IDF cosine of a near-duplicate (default: a story split's --tfidf, else 0.5)",
    )
    p.add_argument(
        "--encoder", help="text encoder (hub id or folder) for the 1-NN and probe (default: TF-IDF)"
    )
    p.add_argument(
        "--relabel", action="append", type=_rename, metavar="OLD=NEW", help="rename a label, repeatable"
    )
    p.add_argument("--json", help="write the folds (sample ids, groups) and the report here")
    p.set_defaults(run=cmd_leakage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="priorkit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"priorkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _data_parser(commands)
    _model_parsers(commands)
    _ablation_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 invalid input or config, 130
    interrupted by Ctrl-C)."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except DataValidationError as error:
        _say([str(p) for p in error.problems], sys.stderr)
        return EXIT_INVALID
    except (PriorkitError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
