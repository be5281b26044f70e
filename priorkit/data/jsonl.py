"""Reading, checking and writing priorkit JSONL files (one sample per line)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.formats import FORMATS
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.records import check_record, sample_from_record, sample_to_record
from priorkit.data.sample import TreeSample
from priorkit.data.validate import feature_width

OnError = Literal["fail", "skip"]
ON_ERROR = ("fail", "skip")


def _lines(path: Path, shown: str) -> Iterator[tuple[int, str | None, Problem | None]]:
    """Yield ``(line_number, text, problem)`` for every non-blank line of a file."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        yield (
            0,
            None,
            Problem.whole_line(
                shown, 0, "-", f"cannot read the file: {error.strerror}", None, "check the path"
            ),
        )
        return
    if not raw.strip():
        yield (
            0,
            None,
            Problem.whole_line(
                shown,
                0,
                "-",
                "the file is empty",
                None,
                "write one JSON sample per line (see datasets/README.md)",
            ),
        )
        return
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        if not chunk.strip():
            continue
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


class _FileChecks:
    """State shared by the lines of one file: sample ids seen, the file's feature width."""

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}
        self.mode: tuple[int | None, bool, int] | None = None  # width, sparse, line that set it

    def check_id(self, number: int, sample_id: str) -> list[tuple[str, str, str | None, str]]:
        if sample_id in self.first_line:
            return [
                (
                    "id",
                    f"duplicate sample id (first at line {self.first_line[sample_id]})",
                    show_value(sample_id),
                    "give every sample a unique id",
                )
            ]
        self.first_line[sample_id] = number
        return []

    def check_features(self, number: int, obj: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
        issues: list[tuple[str, str, str | None, str]] = []
        width, sparse = feature_width(obj["nodes"])
        if self.mode is None:
            self.mode = (width, sparse, number)
            return issues
        width0, sparse0, line0 = self.mode
        if (width, sparse) != (width0, sparse0):
            if width is None:
                what = f"missing, but line {line0} has {width0} features per node"
            elif width0 is None:
                what = f"{width} features per node, but line {line0} has none"
            else:
                what = f"{width} features per node, but line {line0} has {width0}"
            issues.append(
                (
                    "nodes[0].features",
                    what,
                    None,
                    "give every node of the file features of the same length, or none",
                )
            )
        return issues


def _parse(path: Path, shown: str) -> Iterator[tuple[int, str, Any, list[Problem]]]:
    """Yield ``(line, sample_id, (record, parent_index) or None, problems)`` per line."""
    checks = _FileChecks()
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
        has_id = isinstance(obj, dict) and isinstance(obj.get("id"), (str, int)) and str(obj["id"]).strip()
        sample_id = str(obj["id"]) if has_id else "?"
        parent_index, issues = check_record(obj)
        if has_id:
            issues = checks.check_id(number, sample_id) + issues
        if parent_index is not None:
            issues += checks.check_features(number, obj)
        problems = [Problem(shown, number, sample_id, *issue) for issue in issues]
        yield number, sample_id, (None if problems else (obj, parent_index)), problems


@FORMATS.register("jsonl")
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


def validate_jsonl(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a JSONL file, without building samples (for ``priorkit data validate``)."""
    return [p for _, _, _, found in _parse(Path(path), str(path)) for p in found]


def write_jsonl(samples: Iterable[TreeSample], path: str | os.PathLike[str]) -> int:
    """Write samples as JSONL, atomically (a temporary file renamed into place).

    Returns:
        the number of samples written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(json.dumps(sample_to_record(sample), ensure_ascii=False, allow_nan=False))
            handle.write("\n")
            count += 1
    os.replace(partial, target)
    return count
