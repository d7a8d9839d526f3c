"""Compatibility levels and the checks they imply, as pure functions over parsed Avro schemas.

A level says which earlier versions a new schema is checked against (the latest, or all of them for
``*_TRANSITIVE``) and in which direction (BACKWARD: the new schema must read data written with the
old one; FORWARD: the old must read the new; FULL: both). Whether a reader can read a writer's data
is Avro's schema-resolution question, answered by the ``avro`` package's
``ReaderWriterCompatibilityChecker`` (Karapace does the same). The one gap in that checker, aliases
written without a namespace, is closed in :mod:`.schemas`, which hands over schemas whose aliases
are fully qualified.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from avro.errors import AvroRuntimeException
from avro.schema import Schema


class Level(StrEnum):
    """A subject's compatibility level (``compatibilityLevel`` in Confluent's config)."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))


DEFAULT_LEVEL = Level.BACKWARD


def parse_level(text: object) -> Level | None:
    """The level named by ``text`` (any letter case), or None when it names none."""
    if not isinstance(text, str):
        return None
    try:
        return Level(text.upper())
    except ValueError:
        return None


def read_problems(reader: Schema, writer: Schema) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader``; empty when it can."""
    try:
        result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    except (AvroRuntimeException, RecursionError) as error:
        return [f"the schemas cannot be compared: {error}"]
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    locations = ", ".join(sorted(result.locations))
    return [f"{message} (at {locations})" for message in sorted(result.messages)] or [f"incompatible at {locations}"]


def pair_problems(level: Level, new: Schema, old: Schema) -> list[str]:
    """Problems between ``new`` and one ``old`` version in the direction(s) ``level`` asks for."""
    problems = []
    if level.backward:
        problems += [f"new schema cannot read data written with an old one: {p}" for p in read_problems(new, old)]
    if level.forward:
        problems += [f"old schema cannot read data written with the new one: {p}" for p in read_problems(old, new)]
    return problems


def check(level: Level, new: Schema, previous: Sequence[Schema]) -> list[str]:
    """Problems registering ``new`` after ``previous`` (oldest first) under ``level``; empty = compatible.

    Non-transitive levels look at the latest version only; transitive ones at all of them.
    """
    if level is Level.NONE or not previous:
        return []
    targets = previous if level.transitive else previous[-1:]
    problems: list[str] = []
    for old in reversed(targets):
        problems += pair_problems(level, new, old)
    return problems
