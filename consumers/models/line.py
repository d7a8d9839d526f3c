"""One line: its stations in order, where each train is, and when the next train is due at each platform.

Trains run a loop of platforms: every station in ``order`` in direction ``b``, then back in
direction ``a``; from a terminal's ``b`` platform a train turns to its ``a`` platform. Each arrival
moves a train to a platform. Arrivals are ordered by Kafka's timestamp, not by the order they are
read in: each station has its own topic, so a consumer may read a train's arrivals out of order,
and an arrival older than the train's last one is skipped.

An arrival that continues from where the train was last seen is one observed travel time between
two neighbouring platforms. The next train due at a platform is the nearest train in service
behind it on the loop, plus the travel times observed on the way (the median of the last few per
hop, of the last five minutes; the line's typical hop where a hop has none), as the CTA's Train
Tracker estimates.
"""

from __future__ import annotations

import statistics
from collections import defaultdict, deque
from collections.abc import Mapping
from typing import Any

from cta.lines import line_stations

from .record import OUT_OF_ORDER, UNKNOWN_STATION, Skip, field
from .station import DIRECTIONS, Station, Train

STATUSES = ("in_service", "out_of_service", "broken_down")
TRAVEL_SAMPLES = 5
"""Travel times kept per hop: their median follows a change within a few trains and ignores one delay."""
MAX_TRAVEL_S = 600.0
"""A longer gap between two arrivals is a paused simulation, not a travel time."""
RECENT_S = 300.0
"""Estimates use the travel times of the line's last five minutes of arrivals, so they follow its
current pace (a simulation restarted at another speed, say), not an old one."""

Platform = tuple[int, str]
"""(station id, direction)"""


class TravelTimes:
    """Observed seconds between neighbouring platforms, per hop, with when each was observed (epoch ms)."""

    def __init__(self) -> None:
        self._samples: dict[tuple[Platform, Platform], deque[tuple[float, int]]] = defaultdict(
            lambda: deque(maxlen=TRAVEL_SAMPLES)
        )

    def observe(self, start: Platform, end: Platform, seconds: float, at_ms: int) -> None:
        if 0 < seconds <= MAX_TRAVEL_S:
            self._samples[(start, end)].append((seconds, at_ms))

    def estimates(self, since_ms: int) -> dict[tuple[Platform, Platform], float]:
        """The median per hop of the samples observed since ``since_ms``: the line's current pace."""
        estimates = {}
        for hop, samples in self._samples.items():
            recent = [seconds for seconds, at in samples if at >= since_ms]
            if recent:
                estimates[hop] = statistics.median(recent)
        return estimates


class Line:
    def __init__(self, color: str) -> None:
        self.color = color
        self.stations: dict[int, Station] = {}
        self.trains: dict[str, Train] = {}
        self.travel = TravelTimes()
        self._loop: list[Platform] | None = None

    # --- the stations table ---------------------------------------------------------------------
    def add_station(self, station_id: int, name: str, order: int) -> bool:
        """Adds or updates a station; returns whether anything changed."""
        known = self.stations.get(station_id)
        if known is not None:
            if (known.name, known.order) == (name, order):
                return False
            known.name, known.order = name, order
        else:
            self.stations[station_id] = Station(station_id, name, order, self.color)
        self._loop = None
        return True

    def ordered(self) -> list[Station]:
        return sorted(self.stations.values(), key=lambda station: (station.order, station.station_id))

    def loop(self) -> list[Platform]:
        """Every platform in the order trains visit them."""
        if self._loop is None:
            ids = [station.station_id for station in self.ordered()]
            self._loop = [(i, "b") for i in ids] + [(i, "a") for i in reversed(ids)]
        return self._loop

    # --- arrivals -------------------------------------------------------------------------------
    def arrive(self, value: Mapping[str, Any], timestamp_ms: int) -> tuple[Train, Train | None]:
        """Moves the train of an arrival; returns it and, if it was known, where it was before."""
        station_id = field(value, "station_id", int)
        train_id = field(value, "train_id", str)
        direction = field(value, "direction", str, DIRECTIONS)
        status = field(value, "train_status", str, STATUSES)
        prev_station_id = field(value, "prev_station_id", int, nullable=True)
        prev_direction = field(value, "prev_direction", str, DIRECTIONS, nullable=True)
        station = self.stations.get(station_id)
        if station is None:
            raise Skip(UNKNOWN_STATION, f"station {station_id} is not on the {self.color} line")
        before = self.trains.get(train_id)
        if before is not None:
            if timestamp_ms < before.arrived_ms:
                raise Skip(OUT_OF_ORDER, f"train {train_id} was already seen later, at station {before.station_id}")
            left = self.stations.get(before.station_id)
            if left is not None and left.platforms[before.direction] is before:
                left.platforms[before.direction] = None
            if (prev_station_id, prev_direction) == (before.station_id, before.direction) != (station_id, direction):
                self.travel.observe(
                    (before.station_id, before.direction),
                    (station_id, direction),
                    (timestamp_ms - before.arrived_ms) / 1000,
                    timestamp_ms,
                )
        train = Train(train_id, status, station_id, direction, timestamp_ms)
        self.trains[train_id] = train
        station.platforms[direction] = train
        return train, before

    # --- estimates ------------------------------------------------------------------------------
    def due(self) -> dict[int, dict[str, int | None]]:
        """For each station and direction, when (epoch ms) the next train in service is due; None if unknown.

        A train standing at the platform is due at its arrival time (already past: it is there). A
        train not seen for longer than any travel time while others ran is expected nowhere.
        """
        loop = self.loop()
        result: dict[int, dict[str, int | None]] = {
            station_id: dict.fromkeys(DIRECTIONS) for station_id in self.stations
        }
        if not loop:
            return result
        position = {platform: i for i, platform in enumerate(loop)}
        latest = max((train.arrived_ms for train in self.trains.values()), default=0)
        standing = {
            position[(train.station_id, train.direction)]: train
            for train in self.trains.values()
            if train.status == "in_service" and self._shown(train) and latest - train.arrived_ms <= MAX_TRAVEL_S * 1000
        }
        hops = self.travel.estimates(since_ms=latest - RECENT_S * 1000)
        typical = statistics.median(hops.values()) if hops else None
        # Walk the loop twice: by the second round every platform has the nearest train behind it.
        eta: float | None = None
        for step in range(2 * len(loop)):
            i = step % len(loop)
            if i in standing:
                eta = standing[i].arrived_ms
            elif eta is not None:
                hop = hops.get((loop[i - 1], loop[i]), typical)
                eta = None if hop is None else eta + hop * 1000
            if step >= len(loop):
                station_id, direction = loop[i]
                result[station_id][direction] = None if eta is None else round(eta)
        return result

    def _shown(self, train: Train) -> bool:
        """Whether the train is the one its platform shows: trains never share a platform, so one that
        another train has arrived at since has left it, unseen (an arrival of it was lost, or the
        simulation was restarted)."""
        station = self.stations.get(train.station_id)
        return station is not None and station.platforms[train.direction] is train

    def _towards_b(self, last: Station) -> str:
        """Where direction ``b`` goes: the last station, or "the Loop" for a line that rounds it (the CTA's signs)."""
        on_loop = any(s.loop for s in line_stations(self.color) if s.station_id == last.station_id)
        return "the Loop" if on_loop else last.name

    def to_json(self) -> dict[str, Any]:
        ordered = self.ordered()
        return {
            "color": self.color,
            "towards": {"a": ordered[0].name, "b": self._towards_b(ordered[-1])} if ordered else {"a": None, "b": None},
            "stations": [station.to_json() for station in ordered],
            "due": {str(station_id): due for station_id, due in self.due().items()},
        }
