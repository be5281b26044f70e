"""One problem found in a data file, and the exception that carries many of them."""

from __future__ import annotations

from dataclasses import dataclass

from priorkit.errors import PriorkitError, visible

_GOT_LIMIT = 60


def show_value(value: object) -> str:
    """Short, single-line ``repr`` of a bad value for an error message."""
    text = repr(value)
    if len(text) > _GOT_LIMIT:
        text = text[: _GOT_LIMIT - 3] + "..."
    return text


def place(source: str) -> tuple[str, int, str]:
    """Where a sample came from, as a problem names it: ``"data.jsonl:12"`` -> ``("data.jsonl",
    12, "line")``, ``"samples row 3"`` (a table) -> ``("samples", 3, "row")``, anything else ->
    ``(source, 0, "line")``."""
    file, _, line = source.rpartition(":")
    if file and line.isascii() and line.isdecimal():
        return file, int(line), "line"
    file, _, row = source.rpartition(" row ")
    if file and row.isascii() and row.isdecimal():
        return file, int(row), "row"
    return source, 0, "line"


@dataclass(frozen=True)
class Problem:
    """What is wrong at one place of one data file.

    Args:
        file: path of the file as the user gave it.
        line: 1-based line number, or 0 for a problem of the whole file.
        sample: the sample id, or ``"?"`` when the line has none.
        field: where in the sample, e.g. ``nodes[3].parent``; ``"-"`` for the whole line.
        message: what is wrong.
        got: the offending value, already shown (see :func:`show_value`), or ``None``.
        fix: how to fix it.
        unit: what ``line`` counts: ``line`` of a file, or ``row`` of a table (a DataFrame's
            position, from 0, as ``df.iloc[row]``; a list of records' index).
    """

    file: str
    line: int
    sample: str
    field: str
    message: str
    got: str | None = None
    fix: str = ""
    unit: str = "line"

    @classmethod
    def whole_line(
        cls, file: str, line: int, sample: str, message: str, got: str | None, fix: str
    ) -> Problem:
        """A problem of a whole line or file (no single field), e.g. a line that does not parse."""
        return cls(file, line, sample, "-", message, got, fix)

    def __str__(self) -> str:
        got = f" (got {self.got})" if self.got is not None else ""
        fix = f"; {self.fix}" if self.fix else ""
        file = visible(self.file)
        place = f"{file}:{self.line}" if self.unit == "line" else f"{file} {self.unit} {self.line}"
        return f"{place}: sample {visible(self.sample)}: {self.field}: {self.message}{got}{fix}"


class DataValidationError(PriorkitError, ValueError):
    """Raised when input data is invalid; carries every problem found, not just the first.

    Args:
        problems: the problems, in file order.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            shown += f"\n... and {more} more problems"
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{shown}")
