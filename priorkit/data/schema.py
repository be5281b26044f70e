"""The JSON schema of one sample line, checked by pydantic, and its errors made readable.

A line looks like::

    {"id": "r1", "text": "the pasta was cold", "label": "negative", "group": "optional",
     "nodes": [{"id": "u0", "parent": null, "text": "optional", "features": [0.1, 2.0],
                "time": 0.0, "importance": 1.0, "user": "optional"}, ...]}

``features`` is a list of numbers, or for wide bags of words the sparse form
``{"size": 5000, "indices": [3, 17], "values": [1.0, 2.0]}``. TypedDicts rather than
models keep validation of 600k-node files to about a second.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import NotRequired, TypedDict

from priorkit.data.problems import show_value
from priorkit.data.times import parse_time


def _encodable(value: str) -> str:
    """Text that UTF-8 can write: a lone surrogate (JSON ``"\\ud800"`` without its pair) reads
    as a Python string but cannot be encoded, tokenised or hashed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PydanticCustomError(
            "lone_surrogate", "a lone surrogate at character {position}", {"position": error.start}
        ) from None
    return value


Text = Annotated[str, Field(strict=True), AfterValidator(_encodable)]
NonEmpty = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_encodable)]
Int = Annotated[int, Field(strict=True)]
FLOAT32_MAX = 3.4028234663852886e38
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)]
IdValue = NonEmpty | Int
# the widest sparse feature vector read: the node encoder's first layer holds a row of weights
# per column (2**24 columns at width 64: 4 GiB), and a hashed bag of words rarely needs 2**20
MAX_FEATURES = 2**24


@with_config(ConfigDict(extra="forbid"))
class SparseFeatures(TypedDict):
    """A sparse vector: ``values[k]`` sits at position ``indices[k]`` of a vector of ``size``."""

    size: Annotated[int, Field(strict=True, gt=0, le=MAX_FEATURES)]
    indices: list[Annotated[int, Field(strict=True, ge=0)]]
    values: list[Finite]


def _features_kind(value: Any) -> str:
    return "sparse" if isinstance(value, dict) else "dense"


FeatureValue = Annotated[
    Annotated[list[Finite], Tag("dense")] | Annotated[SparseFeatures, Tag("sparse")],
    Discriminator(_features_kind),
]


def _iso_time(value: str | float) -> str | float:
    parse_time(value)  # its ValueError becomes the field's problem
    return value


@with_config(ConfigDict(extra="forbid"))
class NodeRecord(TypedDict):
    """One node of a sample's tree."""

    id: IdValue
    parent: IdValue | None
    text: NotRequired[Text | None]
    features: NotRequired[FeatureValue | None]
    time: NotRequired[Finite | None]
    importance: NotRequired[
        Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=FLOAT32_MAX)] | None
    ]
    user: NotRequired[IdValue | None]


@with_config(ConfigDict(extra="forbid"))
class SampleRecord(TypedDict):
    """One line of a priorkit JSONL file."""

    id: IdValue
    text: Text
    label: NotRequired[NonEmpty | Int | None]
    group: NotRequired[IdValue | None]
    created_at: NotRequired[Annotated[str | Finite, AfterValidator(_iso_time)] | None]
    counterfactual_of: NotRequired[IdValue | None]
    nodes: Annotated[list[NodeRecord], Field(min_length=1)]


SAMPLE_FIELDS = tuple(SampleRecord.__annotations__)
NODE_FIELDS = tuple(NodeRecord.__annotations__)
SPARSE_FIELDS = tuple(SparseFeatures.__annotations__)
_KNOWN = set(SAMPLE_FIELDS) | set(NODE_FIELDS) | set(SPARSE_FIELDS)
_ADAPTER = TypeAdapter(SampleRecord)

_ID = "a non-empty string or an integer"
EXPECTED = {
    "": ("a JSON object", 'write one object per line: {"id", "text", "label", "nodes": [...]}'),
    "id": (_ID, "give every sample a unique id"),
    "text": ("a string", 'give the sample text as a JSON string, e.g. "text": "the pasta was cold"'),
    "label": (_ID + ", or null (unlabelled)", 'give a class name or number, e.g. "label": "negative"'),
    "group": (_ID + ", or null", "give the group (an event name) as a string"),
    "created_at": (
        "seconds since 1970-01-01 UTC, an ISO 8601 time (2015-01-07T11:11:33Z), or null, "
        "between the years 1 and 3000",
        'give when the sample was posted, e.g. "created_at": "2015-01-07T11:11:33Z" '
        "(a number of milliseconds: divide it by 1000)",
    ),
    "counterfactual_of": (_ID + ", or null", "name the id of the original sample"),
    "nodes": ("a non-empty list of node objects", 'add "nodes": [{"id": "u0", "parent": null}]'),
    "nodes.item": (
        'a node object, {"id": ..., "parent": ...}',
        'write each node as an object, e.g. {"id": "u1", "parent": "u0"}',
    ),
    "nodes.id": (_ID, "give every node an id that is unique within its sample"),
    "nodes.parent": (
        "the id of another node, or null for the root",
        'set "parent" to the id of the parent node, or null for the one root',
    ),
    "nodes.text": ("a string or null", "give node text as a JSON string"),
    "nodes.features": (
        "a list of numbers or a sparse {size, indices, values} object",
        "give features as a list of finite numbers, the same length on every node",
    ),
    "nodes.features.item": (
        "a finite number within float32 range (|x| <= 3.4e38)",
        "replace it by a finite number (no NaN, no Infinity, nothing that overflows float32)",
    ),
    "nodes.features.size": (
        f"an integer from 1 to {MAX_FEATURES:,} (2**24)",
        "give the full width of the sparse vector; hash or prune a wider vocabulary",
    ),
    "nodes.features.indices": ("a list of integers >= 0", "give positions as integers"),
    "nodes.features.indices.item": ("an integer >= 0", "give positions as integers"),
    "nodes.features.values": ("a list of finite numbers", "give values as finite numbers"),
    "nodes.features.values.item": (
        "a finite number within float32 range (|x| <= 3.4e38)",
        "replace it by a finite number",
    ),
    "nodes.time": (
        "a finite number of minutes after the root (float32 range), or null",
        "give time as a number",
    ),
    "nodes.importance": ("a finite number >= 0 (float32 range), or null", "give importance as a number >= 0"),
    "nodes.user": (_ID + ", or null", "give the user id as a string"),
}


def field_path(loc: tuple[Any, ...]) -> tuple[str, str]:
    """``("nodes", 3, "str", "features", 1)`` -> ``("nodes[3].features[1]", "nodes.features.item")``.

    Union branch tags (``str``, ``int``, ``dense`` ...) that pydantic puts in locations
    are dropped; the second string is the key into :data:`EXPECTED`.
    """
    shown, kind = "", []
    for part in loc:
        if isinstance(part, int):
            shown += f"[{part}]"
            if kind and kind[-1] != "nodes":
                kind.append("item")
        elif part in _KNOWN:
            shown += ("." if shown else "") + part
            kind.append(part)
    return shown or "-", ".".join(kind)


def schema_problems(obj: Any) -> list[tuple[str, str, str | None, str]]:
    """Check one parsed JSON line against :class:`SampleRecord`.

    Returns:
        ``(field, message, got, fix)`` per problem, one per field, in document order.
    """
    try:
        _ADAPTER.validate_python(obj)
    except ValidationError as error:
        return _translate(error.errors(include_url=False))
    return []


def _translate(errors: list[Any]) -> list[tuple[str, str, str | None, str]]:
    out: dict[str, tuple[str, str, str | None, str]] = {}
    for err in errors:
        shown, kind = field_path(tuple(err["loc"]))
        if shown in out:
            continue  # several union branches failed on the same field: report it once
        if err["type"] == "missing":
            name = shown.rsplit(".", 1)[-1]
            out[shown] = (shown, "missing field", None, f'add "{name}"')
        elif err["type"] == "lone_surrogate":
            out[shown] = (
                shown,
                f"not writable as UTF-8: {err['msg']}",
                show_value(err["input"]),
                "fix the escape (\\ud800-\\udfff come in pairs) or remove the character",
            )
        elif err["type"] == "extra_forbidden":
            name = _key_name(err["loc"][-1])
            shown = name if shown == "-" else f"{shown}.{name}"
            valid = NODE_FIELDS if kind.startswith("nodes") else SAMPLE_FIELDS
            if "features" in kind:
                valid = SPARSE_FIELDS
            out[shown] = (
                shown,
                "unknown field",
                show_value(err["input"]),
                f"remove it or fix its spelling; valid fields: {', '.join(valid)}",
            )
        elif err["type"] == "invalid_key":
            out[shown] = (
                shown,
                "expected a string key",
                show_value(err["input"]),
                "write every key as a string",
            )
        else:
            if err["type"] == "dict_type" and kind == "nodes":  # an element of the list, not the list
                kind = "nodes.item"
            expected, fix = EXPECTED.get(kind, ("a valid value", "see datasets/README.md"))
            out[shown] = (shown, f"expected {expected}", show_value(err["input"]), fix)
    return list(out.values())


def _key_name(key: object) -> str:
    """An unknown key as a field name: as written when it reads as one, else quoted (``""``,
    ``"a b"``, ``"x.y"``), so that the problem always names a visible field."""
    text = str(key)
    plain = text.replace("_", "a").replace("-", "a").isalnum() and text.isascii()
    return text if plain else json.dumps(text, ensure_ascii=False)[:40]
