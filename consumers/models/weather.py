"""Chicago's weather as last observed, from ``org.chicago.cta.weather.v1``."""

from __future__ import annotations

from typing import Any

from .record import OUT_OF_ORDER, Record, Skip, field

STATUSES = ("sunny", "partly_cloudy", "cloudy", "windy", "precipitation")


class Weather:
    def __init__(self) -> None:
        self.temperature: float | None = None
        self.status: str | None = None
        self.observed_ms: int | None = None

    def apply(self, record: Record) -> None:
        """Takes an observation unless a later one is already shown; raises Skip."""
        temperature = field(record.value, "temperature", (int, float))
        status = field(record.value, "status", str, STATUSES)
        if self.observed_ms is not None and record.timestamp_ms < self.observed_ms:
            raise Skip(OUT_OF_ORDER, "a later observation is already shown")
        self.temperature, self.status, self.observed_ms = float(temperature), status, record.timestamp_ms

    def to_json(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "status": self.status, "observed": self.observed_ms}
