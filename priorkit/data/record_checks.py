"""``RecordChecks``: the checks of a stream of records (file lines, table rows), one by one:
each record's schema and tree, and what records must share (unique ids, one feature width)."""

from __future__ import annotations

import unicodedata
from typing import Any

from priorkit.data.problems import Problem, show_value
from priorkit.data.records import check_record
from priorkit.data.validate import Issue, feature_width

Parsed = tuple[dict[str, Any], Any]  # a valid record and its parent_index


class RecordChecks:
    """State shared by the records of one source: sample ids seen, the feature width, how each
    label is written.

    Args:
        source: the file or table, as shown in problems.
        unit: what a record's number counts (``line`` of a file, ``row`` of a table).
    """

    def __init__(self, source: str, unit: str = "line") -> None:
        self.source, self.unit = source, unit
        self.first_line: dict[str, int] = {}
        self.mode: tuple[int | None, bool, int] | None = None  # width, sparse, record that set it
        self.label_kinds: dict[str, tuple[str, int]] = {}  # label text -> (JSON type, first record)
        self.label_forms: dict[str, tuple[str, int]] = {}  # NFC form -> (label as written, first record)

    def check(self, number: int, obj: Any) -> tuple[str, Parsed | None, list[Problem]]:
        """``(sample_id, (record, parent_index) or None, problems)`` of record ``number``."""
        has_id = isinstance(obj, dict) and isinstance(obj.get("id"), (str, int)) and str(obj["id"]) != ""
        sample_id = str(obj["id"]) if has_id else "?"
        parent_index, issues = check_record(obj)
        if has_id:
            issues = self.check_id(number, sample_id) + issues
        if parent_index is not None:
            issues += self.check_features(number, obj) + self.check_label(number, obj.get("label"))
        problems = [Problem(self.source, number, sample_id, *issue, unit=self.unit) for issue in issues]
        return sample_id, (None if problems else (obj, parent_index)), problems

    def check_id(self, number: int, sample_id: str) -> list[Issue]:
        if sample_id in self.first_line:
            return [
                (
                    "id",
                    f"duplicate sample id (first at {self.unit} {self.first_line[sample_id]})",
                    show_value(sample_id),
                    "give every sample a unique id",
                )
            ]
        self.first_line[sample_id] = number
        return []

    def check_label(self, number: int, label: Any) -> list[Issue]:
        """A label written as a number here and as a string elsewhere (``1`` and ``"1"``) would
        become two classes."""
        if label is None:
            return []
        kind = "number" if isinstance(label, int) else "string"
        spelt = self.label_forms.setdefault(unicodedata.normalize("NFC", str(label)), (str(label), number))
        if spelt[0] != str(label):
            return [
                (
                    "label",
                    f"the same label as {self.unit} {spelt[1]} ({spelt[0]!r}) in other Unicode code points",
                    show_value(label),
                    "write it one way (NFC, as most editors save): they would be two classes that look alike",
                )
            ]
        first = self.label_kinds.setdefault(str(label), (kind, number))
        if first[0] == kind:
            return []
        return [
            (
                "label",
                f"a {kind} here, but {self.unit} {first[1]} writes the same label as a {first[0]}",
                show_value(label),
                "write every label the same way (all strings or all numbers): they would be two classes",
            )
        ]

    def check_features(self, number: int, obj: dict[str, Any]) -> list[Issue]:
        width, sparse = feature_width(obj["nodes"])
        if self.mode is None:
            self.mode = (width, sparse, number)
            return []
        width0, sparse0, first = self.mode
        if (width, sparse) == (width0, sparse0):
            return []
        where = f"{self.unit} {first}"
        if width is None:
            what = f"missing, but {where} has {width0} features per node"
        elif width0 is None:
            what = f"{width} features per node, but {where} has none"
        elif sparse != sparse0:
            kinds = {True: "sparse {size, indices, values}", False: "a dense list"}
            what = f"{kinds[sparse]} features, but {where} has {kinds[sparse0]}"
        else:
            what = f"{width} features per node, but {where} has {width0}"
        return [
            (
                "nodes[0].features",
                what,
                None,
                "give every node of the data features of the same length and kind, or none",
            )
        ]
