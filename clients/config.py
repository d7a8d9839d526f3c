"""Typed configuration from the environment: one frozen dataclass per process, read in one place.

A field the environment may set names its variable with :func:`setting`; :func:`read` fills every
such field from the environment, parsed to the field's type, and keeps the field's default when
the variable is unset or empty. A value that does not parse, or a number that is not positive,
stops the process at start with the variable's name, rather than misbehaving later. Each process's
fields and variables are listed in docs/contracts.md (a unit test compares the two).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, TypeVar, get_type_hints

T = TypeVar("T")


class ConfigError(ValueError):
    """An environment variable's value does not fit its setting; the message names the variable."""


def setting(variable: str, default: Any = dataclasses.MISSING, *, minimum: float = 1) -> Any:
    """A field read from ``variable``; a number must be at least ``minimum`` (positive by default)."""
    metadata = {"variable": variable, "minimum": minimum}
    return dataclasses.field(default=default, metadata=metadata)


def variables(config: type) -> dict[str, str]:
    """Each environment variable of ``config`` (a dataclass of :func:`setting` fields) and its field's name."""
    return {f.metadata["variable"]: f.name for f in dataclasses.fields(config) if "variable" in f.metadata}


def read(config: type[T], env: Mapping[str, str] = os.environ, **known: Any) -> T:
    """``config`` from ``env``; ``known`` fields (endpoints the caller has parsed already) are taken as given."""
    types = get_type_hints(config)
    values = dict(known)
    for field in dataclasses.fields(config):  # type: ignore[arg-type]  # a dataclass, by contract
        variable = field.metadata.get("variable")
        text = env.get(variable, "").strip() if variable else ""
        if field.name not in values and text:
            values[field.name] = parse(variable, text, types[field.name], field.metadata["minimum"])
    return config(**values)


def parse(variable: str, text: str, kind: Any, minimum: float) -> Any:
    """``text`` as a ``kind`` (int, float, str, or a tuple of words), numbers at least ``minimum``."""
    if kind is str:
        return text
    if kind == tuple[str, ...]:
        return tuple(text.split())
    if kind not in (int, float):
        raise TypeError(f"{variable}: a setting of type {kind} cannot be read from the environment")
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{variable} must be a number, not {text!r}.") from None
    if value < minimum:
        raise ConfigError(f"{variable} must be at least {minimum:g}, not {text!r}.")
    return value
