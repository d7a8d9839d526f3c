"""A Kafka message as the models see it, and how the models reject one they cannot use.

``consumer.py`` decodes each message (Avro or JSON) into a :class:`Record`; the models check every
field they read with :func:`field` and raise :class:`Skip` for a message that is malformed, names
a station they do not know, or arrives after a newer one. :class:`Skips` counts those by reason and
logs the first few of each, so one bad producer cannot flood the log or stop the page.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

MALFORMED = "malformed"
UNDECODABLE = "undecodable"
UNKNOWN_STATION = "unknown station"
OUT_OF_ORDER = "out of order"
REASONS = (UNDECODABLE, MALFORMED, UNKNOWN_STATION, OUT_OF_ORDER)

LOGGED_PER_REASON = 10
"""The first skips of each reason are logged one by one, then one line per ``LOG_EVERY``."""
LOG_EVERY = 1000


@dataclass(frozen=True)
class Record:
    """One decoded Kafka message: ``value`` is a dict (or None for a tombstone)."""

    topic: str
    value: Any
    timestamp_ms: int
    """Kafka's timestamp: the producer's wall clock, which orders events across topics."""
    key: Any = None
    partition: int = 0
    offset: int = 0


class Skip(Exception):
    """A message the models cannot use; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Skips:
    """Messages skipped so far, by reason."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter({reason: 0 for reason in REASONS})

    def add(self, topic: str, skip: Skip) -> None:
        self.counts[skip.reason] += 1
        count = self.counts[skip.reason]
        if count <= LOGGED_PER_REASON or count % LOG_EVERY == 0:
            logger.warning(
                "Skipped a message of %s (%s); %d message(s) skipped as %s so far.",
                topic,
                skip,
                count,
                skip.reason,
            )

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def field(
    value: Any, name: str, kind: type | tuple[type, ...], choices: tuple[Any, ...] = (), nullable: bool = False
) -> Any:
    """``value[name]`` if it is a ``kind`` (and one of ``choices``, when given); else raises a malformed Skip."""
    if not isinstance(value, Mapping):
        raise Skip(MALFORMED, f"expected an object, got {type(value).__name__}")
    if name not in value:
        raise Skip(MALFORMED, f"no field {name!r}")
    found = value[name]
    if found is None and nullable:
        return None
    # bool is an int to Python, never to a producer that means a number.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(found, kinds) or (isinstance(found, bool) and bool not in kinds):
        raise Skip(MALFORMED, f"field {name!r} is {found!r}, expected {' or '.join(k.__name__ for k in kinds)}")
    if choices and found not in choices:
        raise Skip(MALFORMED, f"field {name!r} is {found!r}, not one of {', '.join(map(str, choices))}")
    return found
