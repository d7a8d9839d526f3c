"""The eight 'L' lines and their stations in order, read once from ``producers/data/``.

``cta_line_station_order.csv`` (CTA open data) lists each line's stations in the order trains
serve them, with a note on the stretches that are not plain line: a branch, the Loop, Purple's
express. The simulation builds its trains' routes from it, and the Faust app takes each station's
``order`` along a line from it: in the ``stations`` table a platform shared by several lines (the
Loop's) has one ``order`` column, which can be right for one of them only.

Station names are the ``stations`` table's (``cta_stations.csv``, the first stop's name of each
station), so that topic names and the page's names stay those of the classic three-line project.
Damen (Green Line, opened 2024) is in the order file but not in the 2022 stops list the table
comes from, so no line here serves it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from clients.endpoints import PROJECT_ROOT

DATA = PROJECT_ROOT / "producers" / "data"
STATIONS_CSV = DATA / "cta_stations.csv"
ORDER_CSV = DATA / "cta_line_station_order.csv"

LINES = ("red", "blue", "green", "brown", "orange", "pink", "purple", "yellow")
"""Every 'L' line, in the order of the ``stations`` table's columns."""
CLASSIC_LINES = ("red", "blue", "green")
"""The lines of the classic project: its ``stations`` table had columns for these only."""
SECOND_BRANCH = {"green": "Cottage Grove branch"}
"""A line's stations on this branch come last in its order: the classic table numbered Green's
Ashland/63rd branch right after Garfield, and kept numbering there."""


@dataclass(frozen=True)
class LineStation:
    station_id: int
    name: str
    order: int
    """Position along the line: the trunk, then each branch; the Loop last."""
    branch: str | None = None
    """Where a line forks (Green south of Garfield): the branch this station is on."""
    loop: bool = False
    """On the Loop, which the line's trains go around once, one way."""
    express: bool = False
    """Served only by Purple's rush-hour express (Howard to the Loop)."""


@cache
def station_names() -> dict[int, str]:
    """Station id -> name, as the ``stations`` table names it (the first of its stops)."""
    names: dict[int, str] = {}
    with STATIONS_CSV.open(newline="") as source:
        for row in csv.DictReader(source):
            names.setdefault(int(row["station_id"]), row["station_name"])
    return names


@cache
def line_stations(line: str) -> tuple[LineStation, ...]:
    """The stations of ``line`` in their ``order`` along it."""
    if line not in LINES:
        raise ValueError(f"no 'L' line is called {line!r}; the lines are {', '.join(LINES)}")
    with ORDER_CSV.open(newline="", encoding="utf-8-sig") as source:
        rows = [row for row in csv.DictReader(source) if row["line"].lower() == line]
    names = station_names()
    rows = [row for row in rows if int(row["map_id"]) in names]
    rows.sort(key=lambda row: (SECOND_BRANCH.get(line, "\0") in row["segment_note"], int(row["seq"])))
    return tuple(
        LineStation(
            station_id=int(row["map_id"]),
            name=names[int(row["map_id"])],
            order=order,
            branch=_branch(line, row["segment_note"]),
            loop="Loop track" in row["segment_note"],
            express="Purple Express" in row["segment_note"],
        )
        for order, row in enumerate(rows)
    )


def _branch(line: str, note: str) -> str | None:
    """Green's branches fork south of Garfield; Blue's two 'branches' are its two ends, not a fork."""
    if line != "green" or "branch" not in note:
        return None
    return note.split(" branch")[0]


@cache
def station_order(line: str, station_id: int) -> int | None:
    """The ``order`` of a station along ``line``; None if the line does not serve it."""
    return next((s.order for s in line_stations(line) if s.station_id == station_id), None)


@cache
def lines_of(station_id: int) -> tuple[str, ...]:
    """The lines that serve a station (six at Clark/Lake)."""
    return tuple(line for line in LINES if station_order(line, station_id) is not None)


def parse_lines(text: str) -> tuple[str, ...]:
    """``"red,blue green"`` -> ``("red", "blue", "green")``: names separated by commas or spaces, any case."""
    names = [name.strip().lower() for name in text.replace(",", " ").split()]
    unknown = [name for name in names if name not in LINES]
    if unknown or not names:
        raise ValueError(f"unknown line(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(LINES)}")
    return tuple(dict.fromkeys(names))
