"""A station's turnstile: one record per rider entering, all stations into one topic.

KSQL counts these records per station, so every entry is its own record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .producer import Producer, load_schema
from .turnstile_hardware import TurnstileHardware

TOPIC = "org.chicago.cta.turnstile.v1"


class Turnstile(Producer):
    key_schema = load_schema("turnstile_key")
    value_schema = load_schema("turnstile_value")

    def __init__(self, station_id: int, station_name: str, line: str, hardware: TurnstileHardware) -> None:
        # Three partitions: by far the busiest topic, so consumers can share it; nothing depends on
        # the order of entries, only on their count per station.
        super().__init__(TOPIC, self.key_schema, self.value_schema, num_partitions=3)
        self.hardware = hardware
        self._value = {"station_id": station_id, "station_name": station_name, "line": line}

    def run(self, timestamp: datetime, time_step: timedelta, timestamp_ms: int) -> int:
        """Writes the entries of the step starting at ``timestamp``; returns how many."""
        entries = self.hardware.get_entries(timestamp, time_step)
        key, value = {"timestamp": timestamp_ms}, self._value
        for _ in range(entries):
            self.produce(key, value)
        return entries
