"""Reading, checking and writing priorkit JSONL files (one sample per line)."""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Literal

from priorkit.atomic import atomic_write
from priorkit.config import path_of
from priorkit.data.dataset import DroppedSample, LoadReport, TreeDataset
from priorkit.data.problems import DataValidationError, Problem, show_value
from priorkit.data.record_checks import RecordChecks
from priorkit.data.records import sample_from_record, sample_to_record
from priorkit.data.sample import TreeSample
from priorkit.errors import ConfigError, PriorkitError

OnError = Literal["fail", "skip"]
ON_ERROR = ("fail", "skip")


MAX_LINE_BYTES_ENV = "PRIORKIT_MAX_LINE_MB"
DEFAULT_MAX_LINE_MB = 64  # a 100k-node tree with a tweet on every node is about 20 MB
MAX_LINE_MB = 1_000_000  # a terabyte: any larger setting is a mistake


def max_line_bytes() -> int:
    """The longest line a JSONL file may hold: ``$PRIORKIT_MAX_LINE_MB`` megabytes (default 64).

    Raises:
        PriorkitError: the variable is not a positive number.
    """
    raw = os.environ.get(MAX_LINE_BYTES_ENV, str(DEFAULT_MAX_LINE_MB))
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not 0 < megabytes <= MAX_LINE_MB:
        raise PriorkitError(
            f"${MAX_LINE_BYTES_ENV}: expected a number of megabytes above 0, at most {MAX_LINE_MB} "
            f"(got {raw!r}). "
            f"Unset it for the default ({DEFAULT_MAX_LINE_MB})."
        )
    return int(megabytes * 2**20)


def _lines(path: Path, shown: str) -> Iterator[tuple[int, str | None, Problem | None]]:
    """Yield ``(line_number, text, problem)`` for every non-blank line of a file, reading it line
    by line (constant memory whatever the file's size; a line longer than :func:`max_line_bytes`
    is reported, not read into memory)."""
    limit = max_line_bytes()
    try:
        handle = path.open("rb")
    except OSError as error:
        yield 0, None, whole_file(shown, f"cannot read the file: {error.strerror}", "check the path")
        return
    empty = True
    with handle:
        for number, chunk in enumerate(bounded_lines(handle, limit), start=1):
            if blank(chunk, number):
                continue
            empty = False
            yield number, *line_text(chunk, number, shown, limit)
    if empty:
        yield (
            0,
            None,
            whole_file(shown, "the file is empty", "write one JSON sample per line (see datasets/README.md)"),
        )


def blank(chunk: bytes | int, number: int) -> bool:
    """Whether line ``number`` (as :func:`bounded_lines` gives it) holds nothing but white space
    (and, on line 1, a byte-order mark)."""
    if isinstance(chunk, int):
        return False
    return not _without_bom(chunk, number).strip()


def line_text(chunk: bytes | int, number: int, shown: str, limit: int) -> tuple[str | None, Problem | None]:
    """Line ``number`` of a file (as :func:`bounded_lines` gives it) as text, or its problem: too
    long, not UTF-8."""
    if isinstance(chunk, int):
        return None, _too_long(shown, number, chunk, limit)
    return _decoded(_without_bom(chunk, number), shown, number)


def _without_bom(chunk: bytes, number: int) -> bytes:
    return chunk.removeprefix(codecs.BOM_UTF8) if number == 1 else chunk  # Notepad and Excel start with one


def bounded_lines(handle: BinaryIO, limit: int) -> Iterator[bytes | int]:
    """The file's lines; a line longer than ``limit`` bytes is skipped and given as its length."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        length = len(line)
        while line and not line.endswith(b"\n"):
            line = handle.readline(2**20)
            length += len(line)
        yield length


def _decoded(chunk: bytes, shown: str, number: int) -> tuple[str | None, Problem | None]:
    try:
        return chunk.decode("utf-8"), None
    except UnicodeDecodeError as error:
        bad = chunk[error.start : error.start + 4]
        return None, Problem.whole_line(
            shown,
            number,
            "?",
            f"not valid UTF-8 at byte {error.start}",
            show_value(bad),
            "re-save the file with UTF-8 encoding",
        )


def _too_long(shown: str, number: int, length: int, limit: int) -> Problem:
    return Problem.whole_line(
        shown,
        number,
        "?",
        f"a line of {length:,} bytes, more than the {limit:,} a sample may take",
        None,
        f"check that it is one sample; set ${MAX_LINE_BYTES_ENV} to a larger number of megabytes to allow it",
    )


def whole_file(shown: str, message: str, fix: str) -> Problem:
    return Problem.whole_line(shown, 0, "-", message, None, fix)


def parse_lines(path: Path, shown: str) -> Iterator[tuple[int, str, Any, list[Problem]]]:
    """Yield ``(line, sample_id, (record, parent_index) or None, problems)`` per line."""
    checks = RecordChecks(shown)
    for number, text, problem in _lines(path, shown):
        if problem is not None:
            yield number, "?", None, [problem]
            continue
        yield number, *parse_line(checks, shown, number, text)  # type: ignore[arg-type]


def parse_line(checks: RecordChecks, shown: str, number: int, text: str) -> tuple[str, Any, list[Problem]]:
    """``(sample_id, (record, parent_index) or None, problems)`` of line ``number`` of a file
    (``checks`` carries what the file's lines must share: unique ids, one feature width)."""
    try:
        obj = json.loads(text, object_pairs_hook=unique_keys)
    except RecursionError:
        return "?", None, [_too_deep(shown, number)]
    except DuplicateKey as error:
        return "?", None, [_duplicate(shown, number, error.key)]
    except json.JSONDecodeError as error:
        fix = "write one complete JSON object per line"
        return (
            "?",
            None,
            [
                Problem.whole_line(
                    shown, number, "?", "not valid JSON: " + error.msg, f"column {error.colno}", fix
                )
            ],
        )
    except ValueError as error:  # an integer longer than Python converts (4300 digits)
        message = f"a number too long to read ({str(error).split(';')[0][:80]})"
        fix = "write it as a float (one beyond float range is refused as not finite) or as a string"
        return "?", None, [Problem.whole_line(shown, number, "?", message, None, fix)]
    try:
        return checks.check(number, obj)
    except RecursionError:
        return "?", None, [_too_deep(shown, number)]


class DuplicateKey(ValueError):
    """A key given twice in one JSON object (JSON parsers keep the last one silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``' ``object_pairs_hook`` that refuses a key given twice (:class:`DuplicateKey`)."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen.add(key)
    return out  # not reached: fewer keys than pairs means a repeat


def _duplicate(shown: str, number: int, key: str) -> Problem:
    return Problem.whole_line(
        shown,
        number,
        "?",
        f"the key {show_value(key)} is given twice in one object (JSON would keep the last silently)",
        None,
        "give each key once",
    )


def _too_deep(shown: str, number: int) -> Problem:
    return Problem.whole_line(
        shown,
        number,
        "?",
        "JSON nested too deeply to read (a sample is a few levels deep: an object, its nodes, their fields)",
        None,
        "write one flat sample object per line (see datasets/README.md)",
    )


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
        raise ConfigError(f"on_error: expected one of {ON_ERROR} (got {on_error!r})")
    shown = str(path_of(path, "path", "a JSONL file"))
    report = LoadReport(source=shown)
    samples: list[TreeSample] = []
    problems: list[Problem] = []
    for number, sample_id, parsed, found in parse_lines(Path(path), shown):
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
    file = path_of(path, "path", "a JSONL file")
    shown = str(file)
    for number, _, parsed, found in parse_lines(file, shown):
        if parsed is None:
            raise DataValidationError(found)
        yield sample_from_record(parsed[0], parsed[1], f"{shown}:{number}")


def validate_jsonl(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a JSONL file, without building samples (for ``priorkit data validate``)."""
    file = path_of(path, "path", "a JSONL file")
    return [p for _, _, _, found in parse_lines(file, str(file)) for p in found]


def write_jsonl(samples: Iterable[TreeSample], path: str | os.PathLike[str]) -> int:
    """Write samples as JSONL, atomically (a temporary file renamed into place).

    Returns:
        the number of samples written.
    """
    if isinstance(samples, str | os.PathLike):
        raise ConfigError(
            f"samples: expected the samples to write (got the path {str(samples)!r}); the path comes "
            "second: write_jsonl(samples, path)."
        )
    if not isinstance(samples, Iterable) or isinstance(samples, Mapping):
        raise ConfigError(
            f"samples: expected the samples to write, a dataset or a list of TreeSample (got "
            f"{type(samples).__name__})."
        )
    count = 0
    with atomic_write(path_of(path, "path", "a JSONL file to write")) as handle:
        for sample in samples:
            if not isinstance(sample, TreeSample):
                record = isinstance(sample, Mapping)
                fix = " Make samples of records with pk.from_records(records)." if record else ""
                raise ConfigError(
                    f"samples[{count}]: expected a TreeSample (got {type(sample).__name__}); nothing was "
                    f"written.{fix}"
                )
            handle.write(json.dumps(sample_to_record(sample), ensure_ascii=False, allow_nan=False))
            handle.write("\n")
            count += 1
    return count
