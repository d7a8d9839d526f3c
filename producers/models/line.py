"""Trains running their routes along one line, stopping at every platform on the way.

Each line has one or more routes (``route.py``): a round trip from its first station, out to a
terminal or around the Loop, and back. Each time step every train moves one platform along its
route, unless the platform ahead is still held by another train: two trains never hold the same
platform, and where routes meet (Green's branches at Garfield, Purple's express at Howard) the
train listed first goes first. A train back at its route's start takes its next route: its own
(Green's trains keep to their branch), or on Purple in weekday rush hours the express. A train
that breaks down holds its platform for a few steps and the trains behind it queue up; after its
repair it runs out of service to where its route next turns back, where it re-enters service.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cta.lines import LINES, line_stations, lines_of

from .producer import KafkaWriter
from .route import Platform, Route, is_rush_hour, routes
from .station import Station
from .train import Train, TrainStatus
from .turnstile import Turnstile
from .turnstile_hardware import TurnstileHardware

BREAKDOWN_CHANCE = 0.002
"""Chance that a train breaks down on arriving at a station."""
REPAIR_STEPS = (2, 6)
"""A broken-down train holds its platform for this many time steps (inclusive range)."""
RUN_PREFIX = {
    "red": "RL",
    "blue": "BL",
    "green": "GL",
    "brown": "BR",
    "orange": "OL",
    "pink": "PK",
    "purple": "PL",
    "yellow": "YL",
}
"""Train run ids: two letters per line (Blue and Brown, Pink and Purple share an initial), a number."""
PLATFORMS_PER_TRAIN = 3
"""A line gets at most one train per this many of its platforms: the Yellow shuttle's six take two."""


@dataclass(frozen=True)
class Arrival:
    """A train arrived at station ``index`` (position on the line) in ``direction``."""

    train: Train
    index: int
    direction: str
    prev_index: int | None
    prev_direction: str | None


def rng_for(seed: int | None, *names: object) -> random.Random:
    """An independent generator per component, so that adding one does not change the others' draws."""
    return random.Random(":".join(map(str, (seed, *names)))) if seed is not None else random.Random()


class Line:
    def __init__(
        self, color: str, stations: Sequence[Station], line_routes: Sequence[Route], num_trains: int, rng: random.Random
    ) -> None:
        self.color = color
        self.stations = stations
        self.routes = tuple(line_routes)
        self.platforms = {platform for route in self.routes for platform in route.platforms}
        room = len({platform for route in self.routes if not route.rush_hours_only for platform in route.platforms})
        if not 1 <= num_trains <= room:
            raise ValueError(f"The {color} line has room for 1 to {room} trains, not {num_trains}.")
        self._rng = rng
        self._express = next((route for route in self.routes if route.rush_hours_only), None)
        self.trains = self._place(num_trains)
        self._placed = False

    def _place(self, count: int) -> list[Train]:
        """Trains evenly spaced along the all-day routes, taking turns between them; one per platform
        (a route already full lends its train to another)."""
        all_day = [route for route in self.routes if not route.rush_hours_only]
        trains: list[Train] = []
        taken: set[Platform] = set()
        for n in range(count):
            route = next(r for r in all_day[n % len(all_day) :] + all_day if not taken.issuperset(r.platforms))
            position = n * len(route.platforms) // count
            while route.platforms[position] in taken:
                position = (position + 1) % len(route.platforms)
            taken.add(route.platforms[position])
            trains.append(Train(f"{RUN_PREFIX.get(self.color, self.color[:2].upper())}{n:03d}", route, position, route))
        return trains

    def run(self, timestamp: datetime, time_step: timedelta) -> None:
        """Runs the turnstiles of the step starting at ``timestamp``, then moves the trains."""
        timestamp_ms = int(timestamp.replace(tzinfo=UTC).timestamp() * 1000)
        for station in self.stations:
            station.turnstile.run(timestamp, time_step, timestamp_ms)
        for arrival in self.advance(timestamp):
            prev_id = None if arrival.prev_index is None else self.stations[arrival.prev_index].station_id
            self.stations[arrival.index].run(
                arrival.train, arrival.direction, prev_id, arrival.prev_direction, timestamp_ms
            )

    def advance(self, when: datetime | None = None) -> list[Arrival]:
        """Moves the trains one time step at ``when`` (which sets Purple's service); the first call puts
        them into service where they stand."""
        if not self._placed:
            self._placed = True
            return [Arrival(train, *train.platform, None, None) for train in self.trains]
        held = {train.platform: train for train in self.trains}
        ahead = {train.train_id: self._next(train, when) for train in self.trains}
        waiting = [train for train in self.trains if train.status is not TrainStatus.BROKEN_DOWN]
        arrivals: list[Arrival] = []
        # A train moves once the platform ahead is free; a train leaving frees its platform for the
        # train behind in the same step, so a queue moves as one. Passes repeat until none moves.
        moved = True
        while moved:
            moved = False
            for train in list(waiting):
                route, position = ahead[train.train_id]
                if route.platforms[position] not in held:
                    del held[train.platform]
                    arrivals.append(self._move(train, route, position))
                    held[train.platform] = train
                    waiting.remove(train)
                    moved = True
        arrivals += self._move_circles(waiting, held, ahead)
        for train in self.trains:
            if train.status is TrainStatus.BROKEN_DOWN:
                train.repair_ticks -= 1
                if train.repair_ticks <= 0:
                    train.status = TrainStatus.OUT_OF_SERVICE
        return arrivals

    def _move_circles(
        self, waiting: list[Train], held: dict[Platform, Train], ahead: dict[str, tuple[Route, int]]
    ) -> list[Arrival]:
        """Trains that wait only for each other in a closed circle (every platform of a route taken)
        all move together."""
        arrivals: list[Arrival] = []
        for start in list(waiting):
            circle, train = [], start
            while train is not None and train in waiting and train not in circle:
                circle.append(train)
                route, position = ahead[train.train_id]
                train = held.get(route.platforms[position])
            if train is not start:
                continue
            for member in circle:
                arrivals.append(self._move(member, *ahead[member.train_id]))
                held[member.platform] = member
                waiting.remove(member)
        return arrivals

    def _next(self, train: Train, when: datetime | None) -> tuple[Route, int]:
        """Where the train goes next: on along its route, or from the route's end to the start of its next."""
        if train.position + 1 < len(train.route.platforms):
            return train.route, train.position + 1
        rush = self._express is not None and when is not None and is_rush_hour(when)
        return (self._express if rush else train.home), 0

    def _move(self, train: Train, route: Route, position: int) -> Arrival:
        previous = train.platform
        train.route, train.position = route, position
        if train.status is TrainStatus.OUT_OF_SERVICE and position in route.turns():
            train.status = TrainStatus.IN_SERVICE  # where its route turns back, after its repair
        if self._rng.random() < BREAKDOWN_CHANCE:
            train.status = TrainStatus.BROKEN_DOWN
            train.repair_ticks = self._rng.randint(*REPAIR_STEPS)
        return Arrival(train, *train.platform, *previous)


def build_line(
    writer: KafkaWriter, color: str, num_trains: int, seed: int | None, running: Sequence[str] = LINES
) -> Line:
    """The line ``color`` with its stations (topics created), turnstiles and routes, from the CTA data.

    ``running``: the lines the simulation runs. Riders entering a station served by several of
    them are shared between those, so that the station's total matches its ridership.
    """
    infos = line_stations(color)
    stations = []
    for info in infos:
        share = 1 / len([line for line in lines_of(info.station_id) if line in running])
        hardware = TurnstileHardware(info.station_id, share, rng_for(seed, "turnstile", color, info.station_id))
        turnstile = Turnstile(writer, info.station_id, info.name, color, hardware)
        stations.append(Station(writer, info.station_id, info.name, color, turnstile))
    line_routes = routes(infos)
    all_day = {platform for route in line_routes if not route.rush_hours_only for platform in route.platforms}
    trains = min(num_trains, max(1, len(all_day) // PLATFORMS_PER_TRAIN))
    return Line(color, stations, line_routes, trains, rng_for(seed, "line", color))
