"""The one state holder of the status page: the lines and the weather, and the updates sent to browsers.

As in Tornado's chat demo, this class alone changes the state and wakes the clients waiting for
it. The consumers hand it batches of records (:meth:`apply`); each batch that changes something
becomes one update event, serialized once for every client, numbered, and kept in a short
history. A client waits with the number of the last event it has (:meth:`wait`) and then writes
all newer events at once, so a slow client catches up in one write instead of falling behind; a
client too far behind gets the whole picture again. Updates carry the changed stations, the
arrivals (for the trains' moves) and the due times of the lines with arrivals.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from tornado.locks import Condition

from cta import topics

from .lines import Changes, Lines
from .record import UNDECODABLE, Record, Skip, Skips
from .weather import Weather

EVENTS_KEPT = 200
"""Updates a client may be behind and still catch up with; further behind, it gets a snapshot."""


def now_ms() -> int:
    return int(time.time() * 1000)


class TransitStatus:
    def __init__(self) -> None:
        self.lines = Lines()
        self.weather = Weather()
        self.skips = Skips()
        self.applied = 0
        """Records applied so far (skipped ones included)."""
        self.sequence = 0
        self._events: deque[tuple[int, str]] = deque(maxlen=EVENTS_KEPT)
        self._changed = Condition()
        self.listeners = 0

    # --- changing the state ---------------------------------------------------------------------
    def apply(self, records: Iterable[Record]) -> None:
        """Applies a batch of decoded records; wakes the clients once if anything changed."""
        changes = Changes()
        for record in records:
            self.applied += 1
            try:
                if record.topic == topics.WEATHER:
                    self.weather.apply(record)
                    changes.weather = True
                else:
                    self.lines.apply(record, changes)
            except Skip as skip:
                self.skips.add(record.topic, skip)
        if changes:
            self._publish(changes)

    def undecodable(self, topic: str, detail: str) -> None:
        """Counts a message that could not even be decoded (``consumer.py`` calls this)."""
        self.applied += 1
        self.skips.add(topic, Skip(UNDECODABLE, detail))

    def _publish(self, changes: Changes) -> None:
        if changes.layout:
            event = self._event("snapshot", self.snapshot())
        else:
            lines = self.lines.lines
            update: dict[str, Any] = {
                "now": now_ms(),
                "stations": [lines[line].stations[station_id].to_json() for line, station_id in changes.stations],
                "arrivals": changes.arrivals,
                "due": {color: _due_json(lines[color].due()) for color in {a["line"] for a in changes.arrivals}},
            }
            if changes.weather:
                update["weather"] = self.weather.to_json()
            event = self._event("update", update)
        self._events.append((self.sequence, event))
        self._changed.notify_all()

    def _event(self, kind: str, data: dict[str, Any]) -> str:
        """One server-sent event; its id is its sequence number."""
        self.sequence += 1
        data["sequence"] = self.sequence
        return f"event: {kind}\nid: {self.sequence}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    # --- reading it -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole picture, as ``/api/status`` and a new client's first event show it."""
        return {
            "now": now_ms(),
            "sequence": self.sequence,
            "weather": self.weather.to_json(),
            "lines": [line.to_json() for line in self.lines.lines.values()],
            "counters": self.counters(),
        }

    def snapshot_event(self) -> str:
        data = self.snapshot()
        return f"event: snapshot\nid: {self.sequence}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    def counters(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "skipped": dict(self.skips.counts),
            "listeners": self.listeners,
            "stations": sum(len(line.stations) for line in self.lines.lines.values()),
            "trains": sum(len(line.trains) for line in self.lines.lines.values()),
        }

    def events_after(self, sequence: int) -> str | None:
        """The events newer than ``sequence``, joined; None if some of them are no longer kept."""
        if sequence >= self.sequence:
            return ""
        if not self._events or self._events[0][0] > sequence + 1:
            return None
        return "".join(event for number, event in self._events if number > sequence)

    async def wait(self, sequence: int, timeout: float) -> None:
        """Returns when an event newer than ``sequence`` exists, or after ``timeout`` seconds."""
        if sequence >= self.sequence:
            await self._changed.wait(timeout=timedelta(seconds=timeout))


def _due_json(due: dict[int, dict[str, int | None]]) -> dict[str, dict[str, int | None]]:
    return {str(station_id): times for station_id, times in due.items()}
