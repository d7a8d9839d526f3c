"""Where the stations are, so the page can draw the 'L' as a map without map tiles.

``consumers/data/cta_line_station_order.csv`` lists every 'L' line's stations in order with their
latitude and longitude (CTA open data). The modelled lines are drawn from the stations Kafka
delivers, placed by station id; the other five lines are drawn faintly behind them, for orientation.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

ORDER_CSV = Path(__file__).resolve().parent.parent / "data" / "cta_line_station_order.csv"
MODELLED = {"Red", "Blue", "Green"}
# The CTA's own route colours (route_color in its GTFS routes.txt).
COLORS = {
    "Red": "#c60c30",
    "Blue": "#00a1de",
    "Green": "#009b3a",
    "Brown": "#62361b",
    "Orange": "#f9461c",
    "Pink": "#e27ea6",
    "Purple": "#522398",
    "Yellow": "#f9e300",
}


@cache
def city_map() -> dict[str, Any]:
    """``{"stations": {station id: [lat, lon]}, "other_lines": [{"name", "color", "points"}]}``."""
    with ORDER_CSV.open(newline="", encoding="utf-8-sig") as source:
        rows = sorted(csv.DictReader(source), key=lambda row: (row["line"], int(row["seq"])))
    stations: dict[str, list[float]] = {}
    others: dict[str, list[list[float]]] = {}
    for row in rows:
        point = [float(row["lat"]), float(row["lon"])]
        if row["line"] in MODELLED:
            stations[row["map_id"]] = point
        else:
            others.setdefault(row["line"], []).append(point)
    return {
        "stations": stations,
        "other_lines": [{"name": name, "color": COLORS[name], "points": points} for name, points in others.items()],
    }
