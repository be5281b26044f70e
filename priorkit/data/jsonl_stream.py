"""``JsonlStream``: the samples of a JSONL file read from disk when asked for, never all held
in memory (training on more data than memory holds: ``data.stream``).

Building one scans the file once for where each non-blank line starts (bytes only, no JSON is
parsed). ``stream[i]`` then seeks to line ``i``, parses and checks it (the checks of one line:
its schema and tree), and returns the sample; iterating reads the file in order with the checks
of a whole file (unique ids, one feature width, labels written one way) and raises at the end,
listing every problem, as :func:`~priorkit.data.jsonl.read_jsonl` does. A ``transform`` (the
node budget) is applied to every sample read. Memory: 16 bytes a line, whatever the samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, overload

import numpy as np

from priorkit.data.jsonl import (
    blank,
    bounded_lines,
    line_text,
    max_line_bytes,
    parse_line,
    parse_lines,
    whole_file,
)
from priorkit.data.problems import DataValidationError, Problem
from priorkit.data.record_checks import RecordChecks
from priorkit.data.records import sample_from_record
from priorkit.data.sample import TreeSample
from priorkit.errors import PriorkitError

Transform = Callable[[TreeSample], TreeSample]


class JsonlStream:
    """The samples of one JSONL file, by line, read on demand.

    Args:
        path: the file.
        transform: applied to every sample read (e.g. a node budget); None: as written.

    Raises:
        DataValidationError: the file cannot be read, or holds no sample.
    """

    def __init__(self, path: str | os.PathLike[str], transform: Transform | None = None) -> None:
        self.path = Path(path)
        self.shown = str(path)
        self.transform = transform
        self.offsets, self.numbers = _line_starts(self.path, self.shown)
        self._stamp = _stamp(self.path)
        self._handle: BinaryIO | None = None
        self.problems: list[Problem] = []

    def close(self) -> None:
        """Close the open file (reading again reopens it)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def mapped(self, transform: Transform) -> JsonlStream:
        """The same lines with ``transform`` applied after this stream's own (no new scan)."""
        first = self.transform
        out = object.__new__(JsonlStream)
        out.__dict__.update(self.__getstate__())
        out.transform = transform if first is None else _Chain(first, transform)
        return out

    def __len__(self) -> int:
        return len(self.offsets)

    @overload
    def __getitem__(self, index: int) -> TreeSample: ...

    @overload
    def __getitem__(self, index: slice) -> list[TreeSample]: ...

    def __getitem__(self, index: int | slice) -> TreeSample | list[TreeSample]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = int(index)
        if not -len(self) <= i < len(self):
            raise IndexError(f"{self.shown}: sample {i} of {len(self)}")
        return self._read(i % len(self))

    def __iter__(self) -> Iterator[TreeSample]:
        """Every sample in file order, with the checks of the whole file.

        ``problems`` holds the problems found so far (a consumer may stop early work on a file
        that will be refused).

        Raises:
            DataValidationError: after the last line, every problem found (samples with
                problems are not yielded).
        """
        self._check_unchanged()
        self.problems = []
        for number, _, parsed, found in parse_lines(self.path, self.shown):
            if parsed is None:
                self.problems.extend(found)
                continue
            yield self._sample(parsed, number)
        if self.problems:
            raise DataValidationError(self.problems)

    def __repr__(self) -> str:
        return f"JsonlStream({len(self)} samples from {self.shown})"

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its open file (a data-loader worker opens its own)."""
        return {**self.__dict__, "_handle": None}

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None:
            self.close()

    def _read(self, i: int) -> TreeSample:
        handle = self._open()
        handle.seek(int(self.offsets[i]))
        number = int(self.numbers[i])
        limit = max_line_bytes()
        text, problem = line_text(next(bounded_lines(handle, limit), b""), number, self.shown, limit)
        if problem is not None or text is None:
            raise DataValidationError([problem] if problem is not None else [])
        _, parsed, problems = parse_line(RecordChecks(self.shown), self.shown, number, text)
        if parsed is None:
            raise DataValidationError(problems)
        return self._sample(parsed, number)

    def _sample(self, parsed: Any, number: int) -> TreeSample:
        sample = sample_from_record(parsed[0], parsed[1], f"{self.shown}:{number}")
        return sample if self.transform is None else self.transform(sample)

    def _open(self) -> BinaryIO:
        self._check_unchanged()  # a stat per sample read: offsets into a changed file would be wrong
        if self._handle is None:
            self._handle = self.path.open("rb")
        return self._handle

    def _check_unchanged(self) -> None:
        try:
            now = _stamp(self.path)
        except OSError as error:
            raise PriorkitError(
                f"{self.shown}: cannot read the file ({error.strerror}). A streamed file must stay in "
                "place while it is used."
            ) from None
        if now != self._stamp:
            raise PriorkitError(
                f"{self.shown}: expected the file as it was indexed (got another size or modification "
                "time). A streamed file must not change while it is used: write a new file instead."
            )


class _Chain:
    """Two transforms, one after the other (picklable, unlike a lambda)."""

    def __init__(self, first: Transform, second: Transform) -> None:
        self.first, self.second = first, second

    def __call__(self, sample: TreeSample) -> TreeSample:
        return self.second(self.first(sample))


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _line_starts(path: Path, shown: str) -> tuple[np.ndarray, np.ndarray]:
    """The byte offset and line number of every non-blank line.

    Shapes:
        -> (N,) int64, (N,) int64.
    """
    try:
        handle = path.open("rb")
    except OSError as error:
        raise DataValidationError(
            [whole_file(shown, f"cannot read the file: {error.strerror}", "check the path")]
        ) from None
    offsets, numbers, at = [], [], 0
    with handle:
        for number, chunk in enumerate(bounded_lines(handle, max_line_bytes()), start=1):
            size = chunk if isinstance(chunk, int) else len(chunk)
            if not blank(chunk, number):
                offsets.append(at)
                numbers.append(number)
            at += size
    if not offsets:
        raise DataValidationError(
            [
                whole_file(
                    shown, "the file is empty", "write one JSON sample per line (see datasets/README.md)"
                )
            ]
        )
    return np.asarray(offsets, dtype=np.int64), np.asarray(numbers, dtype=np.int64)
