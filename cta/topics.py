"""The names of the application's Kafka topics (docs/contracts.md lists their records)."""

from __future__ import annotations

import re

ARRIVALS_PREFIX = "org.chicago.cta.station.arrivals."
"""One topic per station: ``ARRIVALS_PREFIX`` + normalised station name + station id."""
TURNSTILE = "org.chicago.cta.turnstile.v1"
TURNSTILE_PARTITIONS = 3
"""By far the busiest topic, so consumers can share it; only the count per station matters, not the order."""
WEATHER = "org.chicago.cta.weather.v1"
STATIONS = "org.chicago.cta.stations"
"""The PostgreSQL ``stations`` table, one JSON object per row, written by Kafka Connect."""
STATIONS_TABLE = "org.chicago.cta.stations.table.v1"
"""The stations as the status page needs them, written by the Faust app."""
TURNSTILE_SUMMARY = "TURNSTILE_SUMMARY"
"""Entries per station, counted by KSQL."""
TURNSTILE_HOURLY = "TURNSTILE_HOURLY"
"""Entries per station and hour, KSQL's windowed table: the key is the station id and the hour's start."""


def arrivals(station_name: str, station_id: int) -> str:
    """``Clark/Lake``, 40380 -> ``org.chicago.cta.station.arrivals.clark_lake_40380``.

    The id is part of the name because station names repeat (three stations are called Addison).
    """
    words = re.sub(r"[^a-z0-9]+", "_", station_name.lower().replace("'", "")).strip("_")
    return f"{ARRIVALS_PREFIX}{words}_{station_id}"
