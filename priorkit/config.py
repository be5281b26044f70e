"""Validated configs: YAML files or mappings, dotted ``key=value`` overrides, readable errors."""

from __future__ import annotations

import os
import types
from collections.abc import Hashable, Mapping, Sequence
from numbers import Integral
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from priorkit.errors import ConfigError, PriorkitError, visible
from priorkit.registry import Registry, normalise_name

M = TypeVar("M", bound=BaseModel)
MAX_VALUES = 100_000  # values of a config once its YAML aliases are expanded
SEED_MAX = 2**32 - 1  # the seeds numpy, and so Lightning, accept
EXTENSION = "x-"  # top-level keys of a config file that priorkit leaves to the user (YAML anchors)


_MERGE = "tag:yaml.org,2002:merge"


class Settings(BaseModel):
    """The base of every priorkit config: an unknown key is refused (a typo is not a setting),
    so are ``inf`` and ``nan`` (``1e400`` is a typo too), and so is ``true`` or ``false`` where
    only a number fits (pydantic would read ``epochs: true`` as 1)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    def __init__(self, /, **data: Any) -> None:
        """Built from keywords (``pk.TrainConfig(epochs=5)``), a config is checked as a config
        file is: each problem is a line of one :class:`ConfigError` that names the key and the
        valid choices (pydantic's own error stays for ``model_validate``, which
        :func:`validated` translates the same way)."""
        try:
            super().__init__(**data)
        except ValidationError as error:
            where = f"{type(self).__name__}: "
            lines = [_describe(type(self), e, where, "", False) for e in error.errors(include_url=False)]
            raise ConfigError("\n".join(lines)) from None

    # pydantic's mark of its own __init__ (as its RootModel sets too): nested configs are then
    # validated in place, so a problem deep in a file keeps its dotted key (``train.epochs``)
    # rather than coming back as a ConfigError of the inner config wrapped in the outer one
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @field_validator("*", mode="before", check_fields=False)
    @classmethod
    def _no_boolean_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _boolean_number(value, field.annotation):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)[:60]
            raise ValueError(f"expected numbers, not true or false (got {shown})")
        return value


def path_of(value: object, name: str, what: str) -> Path:
    """``value`` as a ``Path`` when it is a non-empty ``str`` or path-like; else a ConfigError
    naming the argument (``name``), what it should point at (``what``) and what was given."""
    if isinstance(value, str | os.PathLike) and str(value).strip():
        return Path(value)
    shown = repr(value) if len(repr(value)) <= 80 else type(value).__name__
    raise ConfigError(f"{name}: expected the path of {what} (got {shown}).")


def whole_number(value: object, least: int | None = None, most: int | None = None) -> int | None:
    """``value`` as an ``int`` when it is a whole number (Python's or numpy's integers, never a
    boolean or a float) from ``least`` to ``most``; else None. The one test behind every number
    a caller passes outside a config (seeds, repeats, batch sizes, windows)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        return None
    number = int(value)
    if (least is not None and number < least) or (most is not None and number > most):
        return None
    return number


def checked_batch_size(value: object) -> int | None:
    """A batch size a caller passes: a whole number >= 1 (numpy's too, returned as ``int``), or
    None for the training one; a :class:`ConfigError` for anything else."""
    if value is None:
        return None
    size = whole_number(value, least=1)
    if size is None:
        raise ConfigError(
            f"batch_size: expected an integer >= 1, or None for the training one (got {value!r})."
        )
    return size


def _boolean_number(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is, or holds in a list, tuple or mapping's values, a boolean where
    ``annotation`` takes only numbers (``seeds: [true]``, ``target: {text: true}``)."""
    if isinstance(value, bool):
        return _number_only(annotation)
    if isinstance(value, list | tuple | dict):
        inner = _inner(annotation, dict if isinstance(value, dict) else list)
        items = value.values() if isinstance(value, dict) else value
        return inner is not None and any(_boolean_number(item, inner) for item in items)
    return False


def _inner(annotation: Any, kind: type) -> Any:
    """The type of the items of a list-like (``kind`` list) or of the values of a mapping
    (``kind`` dict) that ``annotation`` allows; None: none."""
    for current in _alternatives(annotation):
        origin, args = get_origin(current), get_args(current)
        if kind is dict and origin in (dict, Mapping) and len(args) == 2:
            return args[1]
        if kind is list and origin in (list, tuple, set, frozenset, Sequence) and args:
            return args[0]
    return None


def _number_only(annotation: Any) -> bool:
    """Whether a field of this type takes numbers (int, float) but no boolean."""
    kinds: set[Any] = set()
    for current in _alternatives(annotation):
        if get_origin(current) is Literal:
            kinds.update(type(choice) for choice in get_args(current))
        else:
            kinds.add(current)
    return bool(kinds & {int, float}) and bool not in kinds


def _alternatives(annotation: Any) -> list[Any]:
    """The types a field of type ``annotation`` takes: its union's members, annotations removed."""
    out, pending = [], [annotation]
    while pending:
        current = pending.pop()
        origin = get_origin(current)
        if origin is Annotated:
            pending.append(get_args(current)[0])
        elif origin is Union or origin is types.UnionType:
            pending.extend(get_args(current))
        else:
            out.append(current)
    return out


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (YAML would keep the last).
    Merge keys (``<<: *base``) are standard YAML: the keys written beside them override the
    merged ones, and that is not a duplicate."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):  # `? [a, b]`: a list or mapping as a key
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"a {type(key).__name__} as a key; write each key as a plain name",
                    key_node.start_mark,
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {str(key)[:80]!r} (first at line {seen[key] + 1}); give each key once",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """YAML text as Python values: safe tags only, no duplicate keys, at most
    :data:`MAX_VALUES` values once aliases are expanded.

    Raises:
        yaml.YAMLError: with the line of the problem; ValueError: too many values or too deep.
    """
    try:
        loaded = yaml.load(text, Loader=_StrictLoader)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None
    count = _expanded_size(loaded, {})
    if count > MAX_VALUES:
        raise ValueError(f"{count} values once its aliases are expanded (at most {MAX_VALUES})")
    return loaded


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """How many values ``value`` holds with every alias expanded, each distinct object visited once."""
    if not isinstance(value, dict | list):
        return 1
    known = sizes.get(id(value))
    if known is not None:
        return known
    sizes[id(value)] = 1  # a cycle counts once
    children = list(value.values()) if isinstance(value, dict) else value
    total = 1 + sum(_expanded_size(child, sizes) for child in children)
    sizes[id(value)] = total
    return total


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A YAML mapping from a file, with errors that name the file and line. Top-level keys
    starting with ``x-`` are the user's (a place for ``&anchors`` that ``<<: *merge`` keys
    reuse) and are left out."""
    file = Path(path)
    try:
        loaded = parse_yaml(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"{file}: expected a readable YAML file (got {error.strerror}). Check the path."
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{file}: expected UTF-8 text (got byte {error.object[error.start]:#x}).") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        raise ConfigError(
            f"{where}: expected valid YAML (got {getattr(error, 'problem', error)}). "
            "Fix the syntax at that line."
        ) from None
    except ValueError as error:
        raise ConfigError(f"{file}: expected a config of ordinary size (got one {error}).") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{file}: expected a mapping of keys to values (got {type(loaded).__name__}).")
    return {k: v for k, v in loaded.items() if not (isinstance(k, str) and k.startswith(EXTENSION))}


def apply_overrides(mapping: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides (values parsed as YAML) to a copy of ``mapping``."""
    out = dict(mapping)
    for key, value in parse_overrides(overrides).items():
        apply_into(out, key, value)
    return out


def parse_overrides(overrides: list[str]) -> dict[str, Any]:
    """``["a.b=value", ...]`` -> ``{"a.b": value}`` (values parsed as YAML, later items win)."""
    out: dict[str, Any] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set: expected key=value (got {item!r}). Example: --set train.epochs=5")
        out[key.strip()] = _override_value(item, raw)
    return out


def _override_value(item: str, raw: str) -> Any:
    if not raw.strip():
        return ""
    try:
        return parse_yaml(raw)
    except (yaml.YAMLError, ValueError) as error:
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(
            f"--set {item[:80]!r}: expected a YAML value (got {problem}). Quote a string, "
            "e.g. --set 'model.fusion=concat', or give a list as [1, 2]."
        ) from None


def _describe(
    model: type[BaseModel], error: dict[str, Any], where: str, prefix: str = "", from_file: bool = False
) -> str:
    # a model-level error of a nested config has no location of its own: the prefix names it
    loc = ".".join(visible(str(p)) for p in error["loc"] if not _member_tag(p))
    key = (prefix + loc if loc else prefix.rstrip(".")) or "(top level)"
    got = error.get("input")
    if error["type"] == "extra_forbidden":
        valid = _valid_keys(model, error["loc"][:-1])
        hint = (
            f" (or start it with {EXTENSION!r} to keep it for YAML anchors)"
            if from_file and len(error["loc"]) == 1
            else ""
        )
        return f"{where}`{key}`: unknown key. Valid keys here: {', '.join(valid)}{hint}"
    if error["type"] == "missing":
        return f"{where}`{key}`: missing. Add it to the config."
    message = error["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    end = "" if "(got " in message else "."  # the validator already said what it got
    if not loc and not prefix:  # a whole config's own check names its keys itself
        return f"{where}{message}{end}"
    if "(got " in message:
        return f"{where}`{key}`: {message}"
    if not error["loc"]:
        return f"{where}`{key}`: {message}."
    text = repr(got)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{where}`{key}`: {message} (got {text})."


def _member_tag(part: object) -> bool:
    """Whether a part of an error's location is the name pydantic gives the member of a union
    it tried (``CollectionConfig`` in ``evaluate.x.CollectionConfig.source``), not a key."""
    if not isinstance(part, str):
        return False
    return part in {"str", "int", "float", "bool"} or "[" in part or part in _config_names(Settings)


def _config_names(root: type) -> set[str]:
    """The class names of ``root`` and every config class derived from it."""
    return {root.__name__}.union(*(_config_names(child) for child in root.__subclasses__()))


def _valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys of the config that holds the unknown key at ``loc`` (its parents' path): fields
    of nested configs, also inside mappings and lists of them (``datasets.<name>.``)."""
    current: Any = model
    parts = list(loc)
    while parts:
        field = getattr(current, "model_fields", {}).get(parts.pop(0))
        annotation = getattr(field, "annotation", None)
        while parts and annotation is not None and _config_in(annotation) is None:
            inner = _inner(annotation, dict) or _inner(annotation, list)
            if inner is None:
                break
            parts.pop(0)  # the mapping's key, or the list's index
            annotation = inner
        nested = _config_in(annotation)
        if nested is None:
            break
        current = nested
    return sorted(getattr(current, "model_fields", {}))


def _config_in(annotation: Any) -> type[BaseModel] | None:
    """The config class among the types ``annotation`` allows, if any."""
    return next(
        (t for t in _alternatives(annotation) if isinstance(t, type) and issubclass(t, BaseModel)), None
    )


def differences(old: dict[str, Any], new: dict[str, Any], ignore: frozenset[str] = frozenset()) -> list[str]:
    """``key: old -> new`` for every dotted key (nested mappings flattened) whose value differs,
    sorted; keys in ``ignore`` are left out."""
    before, after = _flat(old), _flat(new)
    keys = sorted((set(before) | set(after)) - ignore)
    return [f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys if before.get(k) != after.get(k)]


def _flat(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def load_config(
    model: type[M],
    source: str | os.PathLike[str] | dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    where: str = "",
) -> M:
    """Build and validate a config object.

    Args:
        model: the pydantic config class.
        source: a YAML path, a mapping, or None for the defaults.
        overrides: ``key=value`` strings applied on top.
        where: prefix of error messages when ``source`` is not a file (``priors[0] (depth_decay): ``).

    Raises:
        ConfigError: one line per problem, naming the key path and the valid choices.
    """
    where = f"{source}: " if isinstance(source, (str, os.PathLike)) else where
    mapping = read_yaml(source) if isinstance(source, (str, os.PathLike)) else dict(source or {})
    from_file = isinstance(source, (str, os.PathLike))
    return validated(model, apply_overrides(mapping, overrides or []), where, from_file=from_file)


def validated(
    model: type[M], mapping: Mapping[str, Any], where: str = "", prefix: str = "", from_file: bool = False
) -> M:
    """``model`` validated from ``mapping``; problems become one :class:`ConfigError` line each,
    keys named with ``prefix`` (their dotted path above ``model``). ``from_file``: the mapping is
    a whole file's (an unknown top-level key is told about the ``x-`` keys)."""
    try:
        return model.model_validate(mapping)
    except ValidationError as error:
        lines = [_describe(model, e, where, prefix, from_file) for e in error.errors(include_url=False)]
        raise ConfigError("\n".join(lines)) from None


def registered_config(registry: Registry[Any], value: Any, base: type[M], where: str) -> M:
    """The typed config of a registry entry (a prior, a fusion) from its name, a mapping of
    ``name`` and the entry's arguments, or a config already typed: the entry's own ``Config``
    class, with ``name`` set to the registered name. Unknown names list the known ones, unknown
    arguments the valid ones.

    Raises:
        ValueError: the problem in one line, for a pydantic field validator to report.
    """
    if isinstance(value, base) and value.name in registry and type(value) is registry.get(value.name).Config:
        return value  # already the entry's own typed config
    if isinstance(value, base):  # another class's config, or a name it does not register: check it
        value = value.model_dump()
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
        raise ValueError(f"expected a {registry.kind} name, or a mapping with a `name` (got {value!r})")
    try:
        config_class = registry.get(value["name"]).Config
        name = normalise_name(value["name"])
        return validated(config_class, {**value, "name": name}, where=f"{where} ({name}): ")
    except PriorkitError as error:
        raise ValueError(str(error)) from None


def updated(config: M, changes: Mapping[str, Any], where: str = "", prefix: str = "") -> M:
    """A copy of the typed ``config`` with ``changes`` applied, in order: keys are field names or
    dotted paths (``model.fusion``, ``priors.0.weight``: a number indexes a list). A value
    replaces what was there, except a mapping given for a nested config, which changes its
    fields one by one (unless it names another registry entry, ``{name: concat}``: then it
    replaces it). Only what changed is validated, once; ``config`` itself is not modified.

    Raises:
        ConfigError: naming the dotted key, with the valid keys where the key is unknown.
    """
    # the typed field values, shared with ``config`` until replaced; a field left at its default
    # is left out (a nested config kept, to be shared), so that a default derived from other
    # fields (``modality_gate``'s mode from its target) is derived again from the changed ones
    current = dict(config)
    values = {k: v for k, v in current.items() if k in config.model_fields_set or isinstance(v, BaseModel)}
    for head, dotted, value in _batches(changes, where, prefix):
        where_key = f"{prefix}{head}."
        now = values.get(head, current.get(head))
        if dotted:
            values[head] = _inside(now, dotted, where, where_key)
        elif _merges(now, value):  # the same entry: its name is kept as registered
            values[head] = updated(now, {k: v for k, v in value.items() if k != "name"}, where, where_key)
        else:
            values[head] = value
    return validated(type(config), values, where, prefix)


def _batches(changes: Mapping[str, Any], where: str, prefix: str) -> list[tuple[str, dict[str, Any], Any]]:
    """``changes`` as ``(head, dotted, value)``, in order for each head (heads are independent
    fields): a change of a whole field has its ``value`` and no ``dotted``; the dotted keys under
    one head since its last whole change are batched as ``{rest: value}``, so that a nested
    config they change together is validated once, after all of them (``priors.0.target`` and
    ``priors.0.mode``: never the one without the other)."""
    out: list[tuple[str, dict[str, Any], Any]] = []
    last: dict[str, int] = {}  # head -> its latest entry in ``out``
    for key, value in changes.items():
        if not isinstance(key, str):
            raise ConfigError(f"{where}`{prefix}{key!r}`: expected a key name (got {type(key).__name__}).")
        head, dot, rest = key.partition(".")
        if head.isascii() and head.isdecimal():  # a list position: `00` and `0` are one item
            head = str(int(head))
        if dot and head in last and out[last[head]][1]:
            out[last[head]][1][rest] = value
            continue
        last[head] = len(out)
        out.append((head, {rest: value}, None) if dot else (head, {}, value))
    return out


def _merges(current: Any, value: Any) -> bool:
    """Whether ``value`` changes the fields of the nested config ``current`` rather than replacing it."""
    if not (isinstance(current, BaseModel) and isinstance(value, Mapping)):
        return False
    name = getattr(current, "name", None)
    given = value.get("name", name)
    return given == name or (
        isinstance(given, str) and isinstance(name, str) and normalise_name(given) == name
    )


def _inside(current: Any, changes: dict[str, Any], where: str, prefix: str) -> Any:
    """``current`` (a nested config, a list or a mapping) with each of its dotted keys in
    ``changes`` set to its value, in order (a nested config validated once, after all)."""
    if isinstance(current, BaseModel):
        return updated(current, changes, where, prefix)
    if isinstance(current, list):
        items = list(current)
        for index, dotted, value in _batches(changes, where, prefix):
            if not (index.isascii() and index.isdecimal()) or int(index) >= len(current):
                raise ConfigError(
                    f"{where}`{prefix}{index}`: expected a position in the list of {len(current)} "
                    f"(got {index!r}). Count from 0."
                )
            position = int(index)
            items[position] = (
                _inside(items[position], dotted, where, f"{prefix}{index}.") if dotted else value
            )
        return items
    if isinstance(current, Mapping) or current is None:
        out = dict(current or {})
        for key, value in changes.items():
            apply_into(out, key, value)
        return out
    raise ConfigError(
        f"{where}`{prefix.rstrip('.')}`: expected a section with keys (got {current!r}). "
        f"Set `{prefix.rstrip('.')}` itself, or one of its keys if it has any."
    )


def apply_into(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Set the dotted ``key`` of ``mapping`` to ``value``, in place: nested dicts are created,
    and a number indexes an existing list (``priors.0.decay``); what is changed is copied first.

    Raises:
        ConfigError: a number past the end of a list, or a name where a list needs a number.
    """
    parts = key.split(".")
    node: Any = mapping
    for depth, part in enumerate(parts[:-1]):
        child = _child(node, part, key, depth)
        copied = list(child) if isinstance(child, list) else dict(child) if isinstance(child, dict) else {}
        _put(node, part, copied)
        node = copied
    if isinstance(node, list):
        _child(node, parts[-1], key, len(parts) - 1)  # the entry must exist
    _put(node, parts[-1], value)


def _child(node: Any, part: str, key: str, depth: int) -> Any:
    if not isinstance(node, list):
        return node.get(part)
    if not (part.isascii() and part.isdecimal()) or int(part) >= len(node):
        where = ".".join(key.split(".")[:depth]) or key
        if not node:
            raise ConfigError(
                f"--set {key}: expected an entry of `{where}` to change (got an empty list). Give the "
                f"whole list instead, e.g. --set '{where}=[...]', or add the entry to the config"
            )
        raise ConfigError(
            f"--set {key}: expected an entry number of `{where}` below {len(node)} (got {part!r}). "
            f"Number the entries from 0, e.g. {where}.0"
        )
    return node[int(part)]


def _put(node: Any, part: str, value: Any) -> None:
    if isinstance(node, list):
        node[int(part)] = value
    else:
        node[part] = value
