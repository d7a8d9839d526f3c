"""The routes trains run on each line: the platforms of one round trip, in the order trains visit them.

A platform is (station index on the line, direction): ``b`` travels towards higher ``order``, ``a``
back towards order 0. A route starts at the line's first station in direction ``b`` and ends where
a train turns back to it, so that a train at a route's end goes on at the start of its next route.

- Red, Blue and Yellow (the Skokie shuttle): out to the far terminal, turn, back.
- Green forks south of Garfield: trains run Harlem/Lake to Ashland/63rd or to Cottage Grove.
- Brown, Orange and Pink go around the Loop once, one way (Brown on the Outer Loop track
  counter-clockwise; Orange and Pink on the Inner Loop track clockwise), then back the way they came:
  the Loop's platforms are served in direction ``b`` only.
- Purple runs Linden to Howard all day, and on weekday rush hours as the express: on to Wilson,
  Belmont and the Brown Line's stations to the Loop, around it clockwise, and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cta.lines import LineStation

Platform = tuple[int, str]
"""(station index on the line, direction)"""

RUSH_HOURS = ((6, 10), (15, 19))
"""Weekday hours [start, end) of Purple's express service (CTA runs it through both rush periods)."""


@dataclass(frozen=True)
class Route:
    name: str
    platforms: tuple[Platform, ...]
    rush_hours_only: bool = False

    def turns(self) -> frozenset[int]:
        """Positions where a train has turned back: the start, and each arrival that changed direction."""
        changed = (i for i in range(1, len(self.platforms)) if self.platforms[i][1] != self.platforms[i - 1][1])
        return frozenset((0, *changed))


def is_rush_hour(when: datetime) -> bool:
    return when.weekday() < 5 and any(start <= when.hour < end for start, end in RUSH_HOURS)


def routes(stations: Sequence[LineStation]) -> tuple[Route, ...]:
    """A line's routes from its stations in order; the first ones run all day, trains alternating between them."""
    names = [station.name for station in stations]
    if any(station.express for station in stations):
        local = [i for i, s in enumerate(stations) if not s.express]
        return (_there_and_back(names, local), _around_the_loop(stations, range(len(stations)), rush_hours_only=True))
    branches = list(dict.fromkeys(station.branch for station in stations if station.branch))
    if branches:
        trunk = [i for i, s in enumerate(stations) if s.branch is None]
        return tuple(
            _there_and_back(names, trunk + [i for i, s in enumerate(stations) if s.branch == branch])
            for branch in branches
        )
    if any(station.loop for station in stations):
        return (_around_the_loop(stations, range(len(stations))),)
    return (_there_and_back(names, range(len(stations))),)


def _there_and_back(names: Sequence[str], indices: Sequence[int]) -> Route:
    indices = list(indices)
    platforms = [(i, "b") for i in indices] + [(i, "a") for i in reversed(indices)]
    return Route(f"{names[indices[0]]} to {names[indices[-1]]}", tuple(platforms))


def _around_the_loop(stations: Sequence[LineStation], indices: range, rush_hours_only: bool = False) -> Route:
    """Out to the Loop, once around it in ``b`` (its stations are listed in the way trains go), and back."""
    outside = [i for i in indices if not stations[i].loop]
    around = [i for i in indices if stations[i].loop]
    platforms = [(i, "b") for i in outside] + [(i, "b") for i in around] + [(i, "a") for i in reversed(outside)]
    name = f"{stations[outside[0]].name} to the Loop" + (" (Express)" if rush_hours_only else "")
    return Route(name, tuple(platforms), rush_hours_only)
