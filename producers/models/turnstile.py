"""A station's turnstile: one record per rider entering, all stations into one topic.

KSQL counts these records per station, so every entry is its own record. The value carries the
simulated time too (``entry_time``, the key's timestamp): KSQL reads only values, and windows the
entries per hour of simulated time by it (``TIMESTAMP='ENTRY_TIME'``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cta import schemas, topics

from .producer import KafkaWriter
from .turnstile_hardware import TurnstileHardware


class Turnstile:
    def __init__(
        self, writer: KafkaWriter, station_id: int, station_name: str, line: str, hardware: TurnstileHardware
    ) -> None:
        self.topic = writer.topic(
            topics.TURNSTILE,
            schemas.load("turnstile_key"),
            schemas.load("turnstile_value"),
            partitions=topics.TURNSTILE_PARTITIONS,
        )
        self.hardware = hardware
        self._value = {"station_id": station_id, "station_name": station_name, "line": line}

    def run(self, timestamp: datetime, time_step: timedelta, timestamp_ms: int) -> int:
        """Writes the entries of the step starting at ``timestamp``; returns how many."""
        entries = self.hardware.get_entries(timestamp, time_step)
        key, value = {"timestamp": timestamp_ms}, {**self._value, "entry_time": timestamp_ms}
        for _ in range(entries):
            self.topic.produce(key, value)
        return entries
