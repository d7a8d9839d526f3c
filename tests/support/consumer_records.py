"""Records as the status page's consumers hand them to the models, made by hand for tests without Kafka."""

from __future__ import annotations

from models import Record

from cta import topics


def station(station_id: int, name: str, order: int, line: str = "red") -> Record:
    """A row of the stations table (Faust's output)."""
    value = {"station_id": station_id, "station_name": name, "order": order, "line": line}
    return Record(topics.STATIONS_TABLE, value, 1)


def arrival(station_id: int, train_id: str, at: int, prev: int | None = None) -> Record:
    """A red line train in service arriving in direction ``b`` at ``at`` (epoch ms), from ``prev``."""
    value = {
        "station_id": station_id,
        "train_id": train_id,
        "direction": "b",
        "line": "red",
        "train_status": "in_service",
        "prev_station_id": prev,
        "prev_direction": None if prev is None else "b",
    }
    return Record(topics.arrivals("x", station_id), value, at)
