"""Reading, checking and writing priorkit JSONL files (one sample per line)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from priorkit.atomic import atomic_write
from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.record_checks import RecordChecks
from priorkit.data.records import sample_from_record, sample_to_record
from priorkit.data.sample import TreeSample

OnError = Literal["fail", "skip"]
ON_ERROR = ("fail", "skip")


def _lines(path: Path, shown: str) -> Iterator[tuple[int, str | None, Problem | None]]:
    """Yield ``(line_number, text, problem)`` for every non-blank line of a file, reading it line
    by line (constant memory whatever the file's size)."""
    try:
        handle = path.open("rb")
    except OSError as error:
        yield 0, None, _whole_file(shown, f"cannot read the file: {error.strerror}", "check the path")
        return
    empty = True
    with handle:
        for number, chunk in enumerate(handle, start=1):
            if not chunk.strip():
                continue
            empty = False
            try:
                yield number, chunk.decode("utf-8"), None
            except UnicodeDecodeError as error:
                bad = chunk[error.start : error.start + 4]
                yield (
                    number,
                    None,
                    Problem.whole_line(
                        shown,
                        number,
                        "?",
                        f"not valid UTF-8 at byte {error.start}",
                        show_value(bad),
                        "re-save the file with UTF-8 encoding",
                    ),
                )
    if empty:
        yield (
            0,
            None,
            _whole_file(
                shown, "the file is empty", "write one JSON sample per line (see datasets/README.md)"
            ),
        )


def _whole_file(shown: str, message: str, fix: str) -> Problem:
    return Problem.whole_line(shown, 0, "-", message, None, fix)


def _parse(path: Path, shown: str) -> Iterator[tuple[int, str, Any, list[Problem]]]:
    """Yield ``(line, sample_id, (record, parent_index) or None, problems)`` per line."""
    checks = RecordChecks(shown)
    for number, text, problem in _lines(path, shown):
        if problem is not None:
            yield number, "?", None, [problem]
            continue
        try:
            obj = json.loads(text)  # type: ignore[arg-type]
        except json.JSONDecodeError as error:
            yield (
                number,
                "?",
                None,
                [
                    Problem.whole_line(
                        shown,
                        number,
                        "?",
                        "not valid JSON: " + error.msg,
                        f"column {error.colno}",
                        "write one complete JSON object per line",
                    )
                ],
            )
            continue
        yield number, *checks.check(number, obj)


def read_jsonl(path: str | os.PathLike[str], on_error: OnError = "fail") -> TreeDataset:
    """Load and validate a priorkit JSONL file.

    Args:
        path: the file.
        on_error: ``"fail"`` raises on any problem, after reading the whole file, listing
            every problem; ``"skip"`` leaves bad samples out and lists each one in
            ``dataset.report.dropped``. Problems of the whole file (empty, unreadable)
            always raise.

    Raises:
        DataValidationError: with one :class:`Problem` per problem found.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error: expected one of {ON_ERROR} (got {on_error!r})")
    shown = str(path)
    report = LoadReport(source=shown)
    samples: list[TreeSample] = []
    problems: list[Problem] = []
    for number, sample_id, parsed, found in _parse(Path(path), shown):
        if parsed is not None:
            samples.append(sample_from_record(parsed[0], parsed[1], f"{shown}:{number}"))
        elif on_error == "skip" and number > 0:
            report.dropped.append(DroppedSample(sample_id, number, found))
        else:
            problems.extend(found)
    if problems:
        raise DataValidationError(problems)
    return TreeDataset(samples, report)


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[TreeSample]:
    """The samples of a JSONL file one at a time, in constant memory (for prediction on large
    files). Validate the file first (:func:`validate_jsonl`): a bad line raises when reached.

    Raises:
        DataValidationError: at the first line with problems, listing them.
    """
    shown = str(path)
    for number, _, parsed, found in _parse(Path(path), shown):
        if parsed is None:
            raise DataValidationError(found)
        yield sample_from_record(parsed[0], parsed[1], f"{shown}:{number}")


def validate_jsonl(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a JSONL file, without building samples (for ``priorkit data validate``)."""
    return [p for _, _, _, found in _parse(Path(path), str(path)) for p in found]


def write_jsonl(samples: Iterable[TreeSample], path: str | os.PathLike[str]) -> int:
    """Write samples as JSONL, atomically (a temporary file renamed into place).

    Returns:
        the number of samples written.
    """
    count = 0
    with atomic_write(path) as handle:
        for sample in samples:
            handle.write(json.dumps(sample_to_record(sample), ensure_ascii=False, allow_nan=False))
            handle.write("\n")
            count += 1
    return count
