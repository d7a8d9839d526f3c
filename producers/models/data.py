"""The CTA open data the simulation runs on, read once from ``producers/data/``.

Plain ``csv``: the files are small, and the simulation needs nothing beyond
lists and dicts of them. The lines and their stations in order are ``cta.lines``'s, shared with
the stations table and the Faust app; they are named here too for the simulation's readers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cta.lines import LINES, line_stations, lines_of

DATA = Path(__file__).resolve().parent.parent / "data"
__all__ = ["LINES", "DailyRides", "daily_rides", "hourly_shares", "line_stations", "lines_of"]


@dataclass(frozen=True)
class DailyRides:
    """Average entries per day at one station, by day type."""

    weekday: float
    saturday: float
    sunday: float


@cache
def daily_rides() -> dict[int, DailyRides]:
    with (DATA / "ridership_seed.csv").open(newline="") as source:
        return {
            int(row["station_id"]): DailyRides(
                float(row["avg_weekday_rides"]),
                float(row["avg_saturday_rides"]),
                float(row["avg_sunday-holiday_rides"]),
            )
            for row in csv.DictReader(source)
        }


@cache
def hourly_shares() -> tuple[float, ...]:
    """Share of a day's riders entering in each hour 0..23 (the file's hour 24 repeats midnight)."""
    with (DATA / "ridership_curve.csv").open(newline="") as source:
        shares = {int(row["hour"]): float(row["ridership_ratio"]) for row in csv.DictReader(source)}
    return tuple(shares[hour] for hour in range(24))
