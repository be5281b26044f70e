"""Validated configs: YAML files or mappings, dotted ``key=value`` overrides, readable errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from priorkit.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A YAML mapping from a file, with errors that name the file and line."""
    file = Path(path)
    try:
        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"{file}: expected a readable YAML file (got {error.strerror}). Check the path."
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        raise ConfigError(
            f"{where}: expected valid YAML (got {getattr(error, 'problem', error)}). "
            "Fix the syntax at that line."
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{file}: expected a mapping of keys to values (got {type(loaded).__name__}).")
    return loaded


def apply_overrides(mapping: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides (values parsed as YAML) to a copy of ``mapping``."""
    out = dict(mapping)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set: expected key=value (got {item!r}). Example: --set train.epochs=5")
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.get(part)
            node[part] = dict(child) if isinstance(child, dict) else {}
            node = node[part]
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else ""
    return out


def _describe(model: type[BaseModel], error: dict[str, Any], where: str) -> str:
    key = ".".join(str(p) for p in error["loc"]) or "(top level)"
    got = error.get("input")
    if error["type"] == "extra_forbidden":
        valid = _valid_keys(model, error["loc"][:-1])
        return f"{where}`{key}`: unknown key. Valid keys here: {', '.join(valid)}"
    if error["type"] == "missing":
        return f"{where}`{key}`: missing. Add it to the config."
    message = error["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    if "(got " in message:  # the validator already said what it got
        return f"{where}`{key}`: {message}"
    if not error["loc"]:
        return f"{where}{message}."
    text = repr(got)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{where}`{key}`: {message} (got {text})."


def _valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return sorted(getattr(current, "model_fields", {}))
        current = annotation
    return sorted(getattr(current, "model_fields", {}))


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
    mapping = apply_overrides(mapping, overrides or [])
    try:
        return model.model_validate(mapping)
    except ValidationError as error:
        lines = [_describe(model, e, where) for e in error.errors(include_url=False)]
        raise ConfigError("\n".join(lines)) from None
