"""A station of one line as the status page shows it, and a train as last seen.

A station has two platforms: direction ``a`` (towards the line's first station) and ``b``
(towards its last). Each platform shows the train that arrived there last and has not left.
Clark/Lake and Roosevelt serve two lines: each line has its own ``Station`` for them, and both
show the station's one turnstile total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DIRECTIONS = ("a", "b")


@dataclass
class Train:
    train_id: str
    status: str
    """``in_service``, ``out_of_service`` or ``broken_down``."""
    station_id: int
    direction: str
    arrived_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"train_id": self.train_id, "status": self.status, "arrived": self.arrived_ms}


@dataclass
class Station:
    station_id: int
    name: str
    order: int
    line: str
    entries: int | None = None
    """Turnstile entries so far (TURNSTILE_SUMMARY's COUNT); None until KSQL has counted one."""
    platforms: dict[str, Train | None] = field(default_factory=lambda: dict.fromkeys(DIRECTIONS))

    def to_json(self) -> dict[str, Any]:
        return {
            "station_id": self.station_id,
            "name": self.name,
            "order": self.order,
            "line": self.line,
            "entries": self.entries,
            "a": None if self.platforms["a"] is None else self.platforms["a"].to_json(),
            "b": None if self.platforms["b"] is None else self.platforms["b"].to_json(),
        }
