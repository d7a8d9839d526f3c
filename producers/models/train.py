"""A train of the simulation: its run id, its service status and where it is on its line.

Where a train is, is a ``slot`` on its line's loop (see ``line.py``); the line moves trains, a train
only remembers its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TrainStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    BROKEN_DOWN = "broken_down"


@dataclass
class Train:
    train_id: str
    slot: int
    status: TrainStatus = TrainStatus.IN_SERVICE
    repair_ticks: int = 0
    """Time steps until a broken-down train can move again."""
