"""A train of the simulation: its run id, its service status and where it is on its route.

A train runs one route of its line at a time (see ``route.py``) and stands at ``position`` on it;
the line moves trains, a train only remembers its state. ``home`` is the all-day route it returns
to: Green's trains keep to one branch, Purple's run the express only in rush hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .route import Platform, Route


class TrainStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    BROKEN_DOWN = "broken_down"


@dataclass(eq=False)
class Train:
    """Compared by identity: two trains are never the same train."""

    train_id: str
    route: Route
    position: int
    home: Route
    status: TrainStatus = TrainStatus.IN_SERVICE
    repair_ticks: int = 0
    """Time steps until a broken-down train can move again."""

    @property
    def platform(self) -> Platform:
        return self.route.platforms[self.position]
