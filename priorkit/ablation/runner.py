"""``run_study``: expand a study into trials, run those not finished yet, aggregate."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from priorkit.ablation.executors import EXECUTORS, checked_workers
from priorkit.ablation.family import family_table
from priorkit.ablation.folds import save_folds
from priorkit.ablation.grid import Trial, expand
from priorkit.ablation.results import write_results
from priorkit.ablation.store import TrialStore
from priorkit.ablation.study import StudyConfig, load_study
from priorkit.ablation.worlds import write_worlds
from priorkit.atomic import write_json
from priorkit.config import validated
from priorkit.errors import ConfigError
from priorkit.locks import folder_lock
from priorkit.runs.config import RunConfig
from priorkit.runs.files import config_changes, listed_changes


@dataclass(frozen=True)
class StudyRun:
    """Args: out: the study folder; trials: the grid; ran: trials run this time;
    done, failed, pending: counts after this run; family: the family table (markdown lines;
    empty for a study of one dataset)."""

    out: Path
    trials: list[Trial]
    ran: int
    done: int
    failed: int
    pending: int
    family: list[str]


def run_study(
    study_file: str | os.PathLike[str],
    out: str | os.PathLike[str],
    executor: str = "local",
    workers: int = 1,
    retry_failed: bool = False,
    address: str | None = None,
    progress: bool = True,
    redraw: int | None = None,
) -> StudyRun:
    """Run every unfinished trial of the study in ``study_file`` into ``out``.

    Running it again after an interruption skips finished trials (their ``result.json``)
    and redoes the rest; a half-trained trial resumes from its last checkpoint. A failed
    trial is recorded in ``error.json`` and the grid goes on; ``retry_failed`` reruns those.
    Writes ``results.csv`` and ``summary.md`` at the end. ``redraw`` replaces the study's
    ``redraw`` (draw its synthetic worlds afresh).
    """
    workers = checked_workers(workers)  # before the study folder or its progress bar
    study, base = load_study(study_file)
    if redraw is not None:
        study = validated(StudyConfig, {**study.model_dump(), "redraw": redraw}, where=f"{study_file}: ")
    folder = Path(out)
    with folder_lock(folder, "a study folder no other study runs in", "Wait for it, or give another --out."):
        return _run(study, base, folder, executor, workers, retry_failed, address, progress)


MOVABLE = frozenset({"data.train", "data.val", "data.test"})  # a study folder or data moved: same trial


def _refuse_changed(done: list[Trial], store: TrialStore) -> None:
    """Refuse a study folder whose finished trials were trained with other configs than the study
    now gives them (the study file changed): their results would be reported as the new arms'.

    Raises:
        ConfigError: naming the first such trial, its changes and how many there are.
    """
    changed = [(t, config_changes(store.folder(t) / "run", t.config, MOVABLE)) for t in done]
    changed = [(t, changes) for t, changes in changed if changes]
    unscored = [(t, sorted(set(t.evaluate) - set(store.result(t)["reports"]))) for t in done]
    unscored = [(t, names) for t, names in unscored if names]
    if unscored and not changed:
        trial, names = unscored[0]
        raise ConfigError(
            f"{store.folder(trial)}: expected scores on every file the study now evaluates (got none on "
            f"{', '.join(names)}; {len(unscored)} finished trial(s) lack them). The study file changed "
            "since: give another --out, or delete those trials' folders to run them again."
        )
    if changed:
        trial, changes = changed[0]
        raise ConfigError(
            f"{store.folder(trial)}: expected the config this finished trial was trained with (got changes: "
            f"{listed_changes(changes, 4)}; {len(changed)} finished trial(s) "
            "differ). The study file changed since: give another --out, or delete those trials' folders to "
            "run them again."
        )


def _run(
    study: StudyConfig,
    base: RunConfig,
    folder: Path,
    executor: str,
    workers: int,
    retry_failed: bool,
    address: str | None,
    progress: bool,
) -> StudyRun:
    runner = EXECUTORS.get(executor)(workers, address)  # its settings checked before any work
    study = write_worlds(study, folder)
    trials = expand(study, base, save_folds(study, base, folder))
    write_json(
        folder / "study.json", {"study": study.model_dump(mode="json"), "trials": [t.key for t in trials]}
    )
    store = TrialStore(folder)
    statuses = store.statuses(trials)
    _refuse_changed([t for t in trials if statuses[t.key] == "done"], store)
    rerun = {"pending", "failed"} if retry_failed else {"pending"}
    todo = [t for t in trials if statuses[t.key] in rerun]
    kept = [statuses[t.key] for t in trials if statuses[t.key] not in rerun]
    counts = {"done": kept.count("done"), "failed": kept.count("failed")}
    bar = tqdm(
        total=len(trials), initial=sum(counts.values()), disable=not progress, desc="trials", unit="trial"
    )
    bar.set_postfix(finished=counts["done"], failed=counts["failed"], remaining=len(todo))
    ran = 0
    for _key, status in runner.run(todo, str(folder)):
        ran += 1
        counts[status] += 1
        bar.update(1)
        bar.set_postfix(finished=counts["done"], failed=counts["failed"], remaining=len(todo) - ran)
    bar.close()
    table = write_results(study, trials, store, folder)
    pending = len(trials) - sum(counts.values())
    return StudyRun(
        folder, trials, ran, counts["done"], counts["failed"], pending, family_table(table, study)
    )
