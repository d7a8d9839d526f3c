"""The lines the page shows, fed from three topics: the stations table, the arrivals and TURNSTILE_SUMMARY.

The page shows all eight 'L' lines (``LINES``, ``cta.lines``' order: Red, Blue, Green, Brown,
Orange, Pink, Purple, Yellow); a line has stations once the stations table names them, and trains
once the simulation runs it (``--lines red,blue,green`` runs the classic three: the other five are
listed, without trains). A station several lines serve (Clark/Lake: six) is a row of each line's
table, all showing the station's one turnstile total.

Each record is routed by its topic, then by the line it names (a turnstile count names only a
station: it goes to every line serving that station). :meth:`Lines.apply` returns what changed,
so that the page's update carries only that.

Records may name a station before the stations table does (the processes start in any order): an
arrival is held until its station is known (``held.py``), and every station's latest count is
kept, so a station gets its total the moment it appears on a line.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field as datafield
from typing import Any

from cta import topics
from cta.lines import LINES

from .held import MAX_HELD_STATIONS, HeldArrivals, Place
from .line import Line
from .record import MALFORMED, Record, Skip, field


@dataclass
class Changes:
    """What a batch of records changed: the page redraws only these."""

    layout: bool = False
    """A station was added or renamed: clients need the whole picture again."""
    stations: set[tuple[str, int]] = datafield(default_factory=set)
    """(line, station id) of stations whose row changed."""
    arrivals: list[dict[str, Any]] = datafield(default_factory=list)
    weather: bool = False
    ridership: set[int] = datafield(default_factory=set)
    """Stations whose hourly chart changed."""
    hours_moved: bool = False
    """The charted hours moved on: every chart changed."""

    def __bool__(self) -> bool:
        return self.layout or bool(self.stations) or bool(self.arrivals) or self.weather or bool(self.ridership)


class Lines:
    def __init__(self) -> None:
        self.lines = {color: Line(color) for color in LINES}
        self.held = HeldArrivals()
        self.entries: OrderedDict[int, int] = OrderedDict()
        """The latest turnstile total of each station counted, known to a line or not yet."""
        self._new: list[Place] = []
        """Stations added since :meth:`released` was last called."""

    def apply(self, record: Record, changes: Changes) -> None:
        """Applies one record of the stations table, an arrivals topic or TURNSTILE_SUMMARY; raises Skip."""
        if record.topic == topics.STATIONS_TABLE:
            self._station(record.value, changes)
        elif record.topic.startswith(topics.ARRIVALS_PREFIX):
            self._arrival(record, changes)
        elif record.topic == topics.TURNSTILE_SUMMARY:
            self._entries(record, changes)
        else:
            raise Skip(MALFORMED, f"no model reads topic {record.topic}")

    def released(self) -> list[Record]:
        """The arrivals held for stations added since the last call, in the order they happened."""
        new, self._new = self._new, []
        return self.held.release(new)

    def _station(self, value: Any, changes: Changes) -> None:
        line = self.lines[field(value, "line", str, LINES)]
        station_id = field(value, "station_id", int)
        is_new = station_id not in line.stations
        if line.add_station(station_id, field(value, "station_name", str), field(value, "order", int)):
            changes.layout = True
        if is_new:
            line.stations[station_id].entries = self.entries.get(station_id)
            self._new.append((line.color, station_id))

    def _arrival(self, record: Record, changes: Changes) -> None:
        line = self.lines[field(record.value, "line", str, LINES)]
        if field(record.value, "station_id", int) not in line.stations:
            self.held.hold((line.color, record.value["station_id"]), record)
            return
        train, before = line.arrive(record.value, record.timestamp_ms)
        changes.stations.add((line.color, train.station_id))
        if before is not None:
            changes.stations.add((line.color, before.station_id))
        changes.arrivals.append(
            {
                "line": line.color,
                "train_id": train.train_id,
                "status": train.status,
                "station_id": train.station_id,
                "direction": train.direction,
                "from": None if before is None else {"station_id": before.station_id, "direction": before.direction},
                "arrived": train.arrived_ms,
            }
        )

    def _entries(self, record: Record, changes: Changes) -> None:
        if record.value is None:
            raise Skip(MALFORMED, "a tombstone: KSQL dropped a row of TURNSTILE_SUMMARY")
        station_id = field(record.value, "STATION_ID", int)
        count = field(record.value, "COUNT", int)
        self.entries[station_id] = count
        self.entries.move_to_end(station_id)
        if len(self.entries) > MAX_HELD_STATIONS:
            self.entries.popitem(last=False)  # a producer naming stations that never come
        for line in self.lines.values():
            if station_id not in line.stations:
                continue
            line.stations[station_id].entries = count
            changes.stations.add((line.color, station_id))
