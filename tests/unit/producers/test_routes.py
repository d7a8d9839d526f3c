"""Each line's routes as CTA runs them: terminals, Green's branches, the Loop's direction, Purple's express.

Platform-free: the routes come from the CTA data in ``producers/data/`` and trains run them with
``Line.advance``; the Loop's direction is checked against the stations' coordinates, not the data's notes.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta

import pytest

from cta.lines import LINES, ORDER_CSV, line_stations
from producers.models.line import Line
from producers.models.route import Route, is_rush_hour, routes

MONDAY = datetime(2024, 10, 7)
SUNDAY = datetime(2024, 10, 6)
STEP = timedelta(minutes=5)


def _names(color: str, route: Route) -> list[tuple[str, str]]:
    stations = line_stations(color)
    return [(stations[index].name, direction) for index, direction in route.platforms]


def _ends(color: str, route: Route) -> tuple[str, str]:
    """The route's first station and the station where it turns back (last in direction b)."""
    names = _names(color, route)
    turn = max(i for i, (_, direction) in enumerate(names) if direction == "b")
    return names[0][0], names[turn][0]


@pytest.mark.parametrize(
    ("color", "ends"),
    [
        ("red", [("Howard", "95th/Dan Ryan")]),
        ("blue", [("O'Hare", "Forest Park")]),
        ("green", [("Harlem/Lake", "Ashland/63rd"), ("Harlem/Lake", "Cottage Grove")]),
        ("brown", [("Kimball", "Clark/Lake")]),
        ("orange", [("Midway", "Adams/Wabash")]),
        ("pink", [("54th/Cermak", "Washington/Wells")]),
        ("purple", [("Linden", "Howard"), ("Linden", "Washington/Wells")]),
        ("yellow", [("Dempster-Skokie", "Howard")]),
    ],
)
def test_each_line_runs_between_its_terminals(color: str, ends: list[tuple[str, str]]) -> None:
    assert [_ends(color, route) for route in routes(line_stations(color))] == ends


@pytest.mark.parametrize("color", LINES)
def test_a_route_goes_out_and_comes_back_the_way_it_came(color: str) -> None:
    for route in routes(line_stations(color)):
        outbound = [index for index, direction in route.platforms if direction == "b"]
        inbound = [index for index, direction in route.platforms if direction == "a"]
        loop = [index for index in outbound if line_stations(color)[index].loop]
        assert inbound == [index for index in reversed(outbound) if index not in loop]
        assert outbound == sorted(outbound) or color == "green"  # Green's second branch is numbered last
        assert len(set(route.platforms)) == len(route.platforms), "a route visits a platform once"


def test_greens_branches_share_the_trunk_to_garfield_and_part_there() -> None:
    ashland, cottage_grove = (_names("green", route) for route in routes(line_stations("green")))
    garfield = ashland.index(("Garfield", "b"))
    assert ashland[: garfield + 1] == cottage_grove[: garfield + 1]
    assert ashland[garfield + 1 : garfield + 3] == [("Halsted", "b"), ("Ashland/63rd", "b")]
    assert cottage_grove[garfield + 1 : garfield + 3] == [("King Drive", "b"), ("Cottage Grove", "b")]
    assert ("King Drive", "a") not in ashland and ("Halsted", "a") not in cottage_grove


def test_green_trains_run_both_branches_and_keep_to_their_own() -> None:
    stations = line_stations("green")
    line = Line("green", stations, routes(stations), 10, random.Random(1))
    terminals: dict[str, set[str]] = {}
    for _ in range(500):
        for arrival in line.advance():
            name = stations[arrival.index].name
            if name in ("Ashland/63rd", "Cottage Grove"):
                terminals.setdefault(arrival.train.train_id, set()).add(name)
    assert {name for names in terminals.values() for name in names} == {"Ashland/63rd", "Cottage Grove"}
    assert all(len(names) == 1 for names in terminals.values())


def _coordinates() -> dict[int, tuple[float, float]]:
    with ORDER_CSV.open(newline="", encoding="utf-8-sig") as source:
        return {int(row["map_id"]): (float(row["lon"]), float(row["lat"])) for row in csv.DictReader(source)}


def _signed_area(points: list[tuple[float, float]]) -> float:
    """Shoelace formula: positive when the points go around counter-clockwise (x east, y north)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)) / 2


@pytest.mark.parametrize(
    ("color", "counter_clockwise"), [("brown", True), ("orange", False), ("pink", False), ("purple", False)]
)
def test_loop_trains_go_around_the_loop_once_in_cta_s_direction(color: str, counter_clockwise: bool) -> None:
    stations = line_stations(color)
    route = routes(stations)[-1]
    around = [stations[index] for index, _ in route.platforms if stations[index].loop]
    assert len(around) == 8 and len({s.station_id for s in around}) == 8  # every Loop station once
    where = _coordinates()
    assert (_signed_area([where[s.station_id] for s in around]) > 0) is counter_clockwise
    # Around it in direction b, then back out the way the train came in.
    names = _names(color, route)
    last = max(i for i, (name, _) in enumerate(names) if stations[[s.name for s in stations].index(name)].loop)
    entered_from = names[names.index((around[0].name, "b")) - 1][0]
    assert names[last + 1] == (entered_from, "a")


def test_purples_express_runs_only_on_weekday_rush_hours() -> None:
    assert is_rush_hour(MONDAY.replace(hour=8)) and is_rush_hour(MONDAY.replace(hour=17))
    assert not is_rush_hour(MONDAY.replace(hour=12)) and not is_rush_hour(SUNDAY.replace(hour=8))
    local, express = routes(line_stations("purple"))
    assert not local.rush_hours_only and express.rush_hours_only
    assert _names("purple", express)[:9] == _names("purple", local)[:9]  # Linden to Howard, all stops
    assert _names("purple", express)[9] == ("Wilson", "b")  # then express to Wilson and Belmont


@pytest.mark.parametrize(("start", "express_expected"), [(MONDAY, True), (SUNDAY, False)])
def test_purple_trains_take_the_express_only_when_they_leave_linden_in_rush_hours(
    start: datetime, express_expected: bool
) -> None:
    stations = line_stations("purple")
    line = Line("purple", stations, routes(stations), 8, random.Random(2))
    left_linden: dict[str, datetime] = {}
    express_trips = 0
    for step in range(288):  # a day of five-minute steps
        now = start + step * STEP
        for arrival in line.advance(now):
            station, train_id = stations[arrival.index], arrival.train.train_id
            if (station.name, arrival.direction) == ("Linden", "b"):
                left_linden[train_id] = now
            elif (station.name, arrival.direction) == ("Wilson", "b"):
                assert is_rush_hour(left_linden[train_id]), f"{train_id} ran express after leaving at {now}"
                express_trips += 1
    assert (express_trips > 0) is express_expected


def test_yellow_is_a_shuttle_of_three_stations() -> None:
    (shuttle,) = routes(line_stations("yellow"))
    assert _names("yellow", shuttle) == [
        ("Dempster-Skokie", "b"),
        ("Oakton-Skokie", "b"),
        ("Howard", "b"),
        ("Howard", "a"),
        ("Oakton-Skokie", "a"),
        ("Dempster-Skokie", "a"),
    ]
