"""Where the stations are and how each line's track runs, so the page can draw the 'L' without map tiles.

``consumers/data/cta_line_station_order.csv`` lists every 'L' line's stations in order with their
latitude and longitude (CTA open data). Each line's track is drawn as *paths* of station ids
(``cta.lines``' order): the trunk, each branch from the station it forks at (Green's two south of
Garfield), and the Loop closed back on itself, so that no stroke jumps across the city. The page
draws a line strongly once the stations table has given it stations, faintly until then.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from cta.lines import LINES, LineStation, line_stations

ORDER_CSV = Path(__file__).resolve().parent.parent / "data" / "cta_line_station_order.csv"
# The CTA's own route colours (route_color in its GTFS routes.txt).
COLORS = {
    "red": "#c60c30",
    "blue": "#00a1de",
    "green": "#009b3a",
    "brown": "#62361b",
    "orange": "#f9461c",
    "pink": "#e27ea6",
    "purple": "#522398",
    "yellow": "#f9e300",
}


@cache
def city_map() -> dict[str, Any]:
    """``{"stations": {station id: [lat, lon]}, "lines": [{"color", "hex", "paths": [[station id, ...]]}]}``."""
    with ORDER_CSV.open(newline="", encoding="utf-8-sig") as source:
        stations = {row["map_id"]: [float(row["lat"]), float(row["lon"])] for row in csv.DictReader(source)}
    return {
        "stations": stations,
        "lines": [{"color": line, "hex": COLORS[line], "paths": paths(line_stations(line))} for line in LINES],
    }


def paths(stations: tuple[LineStation, ...]) -> list[list[int]]:
    """A line's track as strokes of station ids: the trunk, each branch from its fork, the Loop closed."""
    trunk = [s.station_id for s in stations if s.branch is None]
    strokes = [trunk]
    for branch in dict.fromkeys(s.branch for s in stations if s.branch is not None):
        fork = [s.station_id for s in stations if s.branch is None][-1:]
        strokes.append(fork + [s.station_id for s in stations if s.branch == branch])
    loop = [s.station_id for s in stations if s.loop]
    if loop:
        trunk.append(loop[0])  # round the Loop and back to where the line entered it
    return strokes
