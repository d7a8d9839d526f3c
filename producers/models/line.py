"""Trains running up and down one line, stopping at every station and turning at both terminals.

A line of N stations is a loop of 2N platforms ("slots"): slots 0..N-1 are the stations in their
``order`` in direction ``b``, slots N..2N-1 the same stations back in direction ``a``. Moving from
slot N-1 to N (or 2N-1 to 0) is the turnaround at a terminal: the train arrives at the terminal's
other platform. Each time step every train moves one slot, unless the platform ahead is still held
by another train — so two trains never hold the same platform. A train that breaks down holds its
platform for a few steps and the trains behind it queue up; after its repair it runs out of service
to the next terminal, where it re-enters service.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .data import line_stations, lines_of
from .producer import KafkaWriter
from .station import Station
from .train import Train, TrainStatus
from .turnstile import Turnstile
from .turnstile_hardware import TurnstileHardware

BREAKDOWN_CHANCE = 0.002
"""Chance that a train breaks down on arriving at a station."""
REPAIR_STEPS = (2, 6)
"""A broken-down train holds its platform for this many time steps (inclusive range)."""


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
    def __init__(self, color: str, stations: Sequence[Station], num_trains: int, rng: random.Random) -> None:
        if not 1 <= num_trains <= 2 * len(stations):
            raise ValueError(f"The {color} line has room for 1 to {2 * len(stations)} trains, not {num_trains}.")
        self.color = color
        self.stations = stations
        self._slots = 2 * len(stations)
        self._rng = rng
        # Evenly spaced around the loop. Trains never overtake, so this list stays in loop order:
        # the train ahead of trains[i] is always trains[i + 1] (wrapping around).
        self.trains = [
            Train(f"{color[0].upper()}L{n:03d}", slot=n * self._slots // num_trains) for n in range(num_trains)
        ]
        self._placed = False

    def platform(self, slot: int) -> tuple[int, str]:
        """(station index, direction) of a slot of the loop."""
        count = len(self.stations)
        return (slot, "b") if slot < count else (2 * count - 1 - slot, "a")

    def run(self, timestamp: datetime, time_step: timedelta) -> None:
        """Runs the turnstiles of the step starting at ``timestamp``, then moves the trains."""
        timestamp_ms = int(timestamp.replace(tzinfo=UTC).timestamp() * 1000)
        for station in self.stations:
            station.turnstile.run(timestamp, time_step, timestamp_ms)
        for arrival in self.advance():
            prev_id = None if arrival.prev_index is None else self.stations[arrival.prev_index].station_id
            self.stations[arrival.index].run(
                arrival.train, arrival.direction, prev_id, arrival.prev_direction, timestamp_ms
            )

    def advance(self) -> list[Arrival]:
        """Moves the trains one time step; the first call puts them into service where they stand."""
        if not self._placed:
            self._placed = True
            return [Arrival(train, *self.platform(train.slot), None, None) for train in self.trains]
        arrivals = []
        for train, moves in zip(self.trains, self._movers(), strict=True):
            if moves:
                previous = self.platform(train.slot)
                train.slot = (train.slot + 1) % self._slots
                self._arrive(train)
                arrivals.append(Arrival(train, *self.platform(train.slot), *previous))
            elif train.status is TrainStatus.BROKEN_DOWN:
                train.repair_ticks -= 1
                if train.repair_ticks <= 0:
                    train.status = TrainStatus.OUT_OF_SERVICE
        return arrivals

    def _movers(self) -> list[bool]:
        """Which trains move this step: a train moves if it runs and the platform ahead is or gets free."""
        trains, count = self.trains, len(self.trains)
        runs = [train.status is not TrainStatus.BROKEN_DOWN for train in trains]
        free_ahead = [(trains[(i + 1) % count].slot - train.slot) % self._slots != 1 for i, train in enumerate(trains)]
        # Start from a train whose move does not depend on the train ahead, and go backwards.
        anchor = next((i for i in range(count) if not runs[i] or free_ahead[i]), None)
        if anchor is None:
            return [True] * count  # every platform is taken and every train runs: all move together
        moves = [False] * count
        for step in range(count):
            i = (anchor - step) % count
            moves[i] = runs[i] and (free_ahead[i] or moves[(i + 1) % count])
        return moves

    def _arrive(self, train: Train) -> None:
        if train.status is TrainStatus.OUT_OF_SERVICE and train.slot in (0, self._slots // 2):
            train.status = TrainStatus.IN_SERVICE  # back at a terminal after its repair
        if self._rng.random() < BREAKDOWN_CHANCE:
            train.status = TrainStatus.BROKEN_DOWN
            train.repair_ticks = self._rng.randint(*REPAIR_STEPS)


def build_line(writer: KafkaWriter, color: str, num_trains: int, seed: int | None) -> Line:
    """The line ``color`` with its stations (topics created) and turnstiles, from the CTA data."""
    stations = []
    for info in line_stations(color):
        # Riders entering a station served by two lines are shared between them, so that the
        # station's total matches its ridership.
        share = 1 / len(lines_of(info.station_id))
        hardware = TurnstileHardware(info.station_id, share, rng_for(seed, "turnstile", color, info.station_id))
        turnstile = Turnstile(writer, info.station_id, info.name, color, hardware)
        stations.append(Station(writer, info.station_id, info.name, color, turnstile))
    return Line(color, stations, num_trains, rng_for(seed, "line", color))
