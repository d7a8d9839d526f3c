"""The CTA open data the simulation runs on, read once from ``producers/data/``.

Plain ``csv``: the files are small, and the simulation needs nothing beyond
lists and dicts of them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
LINES = ("blue", "green", "red")


@dataclass(frozen=True)
class StationInfo:
    station_id: int
    name: str
    order: int


@dataclass(frozen=True)
class DailyRides:
    """Average entries per day at one station, by day type."""

    weekday: float
    saturday: float
    sunday: float


@cache
def line_stations(line: str) -> tuple[StationInfo, ...]:
    """The stations of ``line`` in their ``order`` along it (each station once; a station has two stops)."""
    with (DATA / "cta_stations.csv").open(newline="") as source:
        stops = [row for row in csv.DictReader(source) if row[line].strip().upper() == "TRUE"]
    stations: dict[int, StationInfo] = {}
    for row in stops:
        # The first stop's name: the two stops of 40450 disagree ("95th/Dan Ryan", "95th/Ran Ryan").
        station_id = int(row["station_id"])
        stations.setdefault(station_id, StationInfo(station_id, row["station_name"], int(row["order"])))
    return tuple(sorted(stations.values(), key=lambda station: station.order))


@cache
def lines_of(station_id: int) -> tuple[str, ...]:
    """The modelled lines that serve a station (two for Clark/Lake and Roosevelt)."""
    return tuple(line for line in LINES if any(s.station_id == station_id for s in line_stations(line)))


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
