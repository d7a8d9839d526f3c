"""Ridership over time: each station's entries per hour of the last few, from KSQL's TURNSTILE_HOURLY.

TURNSTILE_HOURLY is a windowed table (``WINDOW TUMBLING (SIZE 1 HOUR)``): its key is the station
id (KAFKA format, a 4-byte big-endian int) followed by the hour's start (8 bytes big-endian, ms
since the epoch), as ksqlDB writes every windowed key; its value is ``{"ENTRIES": n}``, each
record the hour's count so far (the latest wins). The hours are the simulation's (KSQL windows the
entries by their ``entry_time``), which runs ahead of the wall clock. The page charts the ``HOURS``
hours up to the latest one any record names (the records' clock, not the server's: a replayed topic
charts its own hours) and lists the busiest stations of that hour, labelled as the simulation's
clock reads (UTC, "14:00"). An hour older than those is forgotten.
"""

from __future__ import annotations

import struct
from typing import Any

from .record import MALFORMED, Record, Skip, field

HOURS = 6
"""Hours in each station's chart, the latest last."""
HOUR_MS = 3_600_000
BUSIEST = 5
"""Stations listed as the busiest of the latest hour."""
WINDOWED_KEY = struct.Struct(">iq")
"""The station id, then the window's start."""


def hour_label(start: int) -> str:
    """An hour's start (epoch ms) as the simulated clock shows it: the simulation's times are UTC."""
    return f"{start // HOUR_MS % 24:02d}:00"


def window_key(key: Any) -> tuple[int, int]:
    """(station id, hour start ms) of a TURNSTILE_HOURLY key; raises a malformed Skip for any other key."""
    if not isinstance(key, bytes) or len(key) != WINDOWED_KEY.size:
        size = len(key) if isinstance(key, bytes) else type(key).__name__
        raise Skip(MALFORMED, f"a windowed key is {WINDOWED_KEY.size} bytes (station id, window start), not {size}")
    station_id, start = WINDOWED_KEY.unpack(key)
    if start % HOUR_MS:
        raise Skip(MALFORMED, f"window start {start} is not on the hour")
    return station_id, start


class Ridership:
    def __init__(self) -> None:
        self.hours: dict[int, dict[int, int]] = {}
        """Hour start (epoch ms) -> station id -> entries in that hour."""

    @property
    def latest(self) -> int | None:
        return max(self.hours, default=None)

    def apply(self, record: Record) -> bool:
        """Applies one TURNSTILE_HOURLY record; returns whether the charted hours moved on (every chart changes)."""
        station_id, start = window_key(record.key)
        before = self.latest
        if before is not None and start <= before - HOURS * HOUR_MS:
            return False  # an hour too old to chart
        hour = self.hours.setdefault(start, {})
        if record.value is None:  # a tombstone: KSQL dropped the row
            hour.pop(station_id, None)
            return False
        hour[station_id] = field(record.value, "ENTRIES", int)
        if before is not None and start <= before:
            return False
        for old in [old for old in self.hours if old <= start - HOURS * HOUR_MS]:
            del self.hours[old]
        return True

    def starts(self) -> list[int]:
        """The charted hours' starts, oldest first; none before the first record."""
        latest = self.latest
        return [] if latest is None else [latest - (HOURS - 1 - i) * HOUR_MS for i in range(HOURS)]

    def series(self, station_id: int) -> list[int]:
        return [self.hours.get(start, {}).get(station_id, 0) for start in self.starts()]

    def to_json(self, stations: set[int] | None = None) -> dict[str, Any]:
        """The charts of ``stations`` (all when None) and the busiest stations of the latest hour."""
        shown = {station_id for hour in self.hours.values() for station_id in hour} if stations is None else stations
        latest = self.hours.get(self.latest, {}) if self.hours else {}
        busiest = sorted(latest.items(), key=lambda item: (-item[1], item[0]))[:BUSIEST]
        starts = self.starts()
        return {
            "hours": starts,
            "labels": [hour_label(start) for start in starts],
            "full": stations is None,
            "stations": {str(station_id): self.series(station_id) for station_id in sorted(shown)},
            "busiest": [{"station_id": station_id, "entries": entries} for station_id, entries in busiest],
        }
