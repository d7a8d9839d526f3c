"""The one state holder of the status page: lines, weather, ridership by hour, and the updates sent to browsers.

As in Tornado's chat demo, this class alone changes the state and tells the clients. The
consumers hand it batches of records (:meth:`apply`); each batch that changes something becomes
one numbered update event, serialized and encoded once, and handed to every listener (one per
open page) in a plain loop: a thousand pages cost a thousand buffered writes, not a thousand
coroutines woken. Updates carry the changed stations, the arrivals (for the trains' moves) and
the due times of the lines with arrivals, and the hourly charts that changed (all of them when a
new hour begins); a page that connects gets the whole picture first.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from cta import topics

from .lines import Changes, Lines
from .record import UNDECODABLE, Record, Skip, Skips
from .ridership import Ridership, window_key
from .weather import Weather

logger = logging.getLogger(__name__)

Listener = Callable[[bytes], None]
"""Takes an encoded event; must not block (it buffers the write)."""


def now_ms() -> int:
    return int(time.time() * 1000)


class TransitStatus:
    def __init__(self) -> None:
        self.lines = Lines()
        self.weather = Weather()
        self.ridership = Ridership()
        self.skips = Skips()
        self.applied = 0
        """Records applied so far (skipped ones included)."""
        self.sequence = 0
        self.listeners: set[Listener] = set()
        self._snapshot: tuple[tuple[int, int], bytes] = ((-1, 0), b"")

    # --- changing the state ---------------------------------------------------------------------
    def apply(self, records: Iterable[Record]) -> None:
        """Applies a batch of decoded records; wakes the clients once if anything changed."""
        changes = Changes()
        for record in records:
            self.applied += 1
            self._apply(record, changes)
        for record in self.lines.released():  # held for stations this batch added
            self._apply(record, changes)
        if changes:
            self._publish(changes)

    def _apply(self, record: Record, changes: Changes) -> None:
        try:
            if record.topic == topics.WEATHER:
                self.weather.apply(record)
                changes.weather = True
            elif record.topic == topics.TURNSTILE_HOURLY:
                changes.hours_moved |= self.ridership.apply(record)
                changes.ridership.add(window_key(record.key)[0])
            else:
                self.lines.apply(record, changes)
        except Skip as skip:
            self.skips.add(record.topic, skip)

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
            if changes.ridership:
                update["ridership"] = self.ridership.to_json(None if changes.hours_moved else changes.ridership)
            event = self._event("update", update)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # one broken page must not keep the update from the others
                logger.exception("Could not send an update to a page; dropping it.")
                self.listeners.discard(listener)

    def _event(self, kind: str, data: dict[str, Any]) -> bytes:
        """One server-sent event, encoded; its id is its sequence number."""
        self.sequence += 1
        data["sequence"] = self.sequence
        return f"event: {kind}\nid: {self.sequence}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

    # --- reading it -----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole picture, as ``/api/status`` and a new client's first event show it."""
        return {
            "now": now_ms(),
            "sequence": self.sequence,
            "weather": self.weather.to_json(),
            "ridership": self.ridership.to_json(),
            "lines": [line.to_json() for line in self.lines.lines.values()],
            "counters": self.counters(),
        }

    def snapshot_event(self) -> bytes:
        """The snapshot as an event, built once per state and second however many clients connect at once."""
        key = (self.sequence, int(time.time()))
        if self._snapshot[0] != key:
            data = json.dumps(self.snapshot(), separators=(",", ":"))
            self._snapshot = (key, f"event: snapshot\nid: {self.sequence}\ndata: {data}\n\n".encode())
        return self._snapshot[1]

    def counters(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "skipped": dict(self.skips.counts),
            "listeners": len(self.listeners),
            "held": len(self.lines.held),
            "dropped": self.lines.held.dropped,
            # A station on several lines (Clark/Lake: six) is one station.
            "stations": len({station_id for line in self.lines.lines.values() for station_id in line.stations}),
            "trains": sum(len(line.trains) for line in self.lines.lines.values()),
        }


def _due_json(due: dict[int, dict[str, int | None]]) -> dict[str, dict[str, int | None]]:
    return {str(station_id): times for station_id, times in due.items()}
