"""The stations table's data: the classic columns, every line's flags from the CTA's stops list, orders
along each line, and the simulation's ``--lines`` choice. Platform-free."""

from __future__ import annotations

import csv
import importlib
import sys

import pytest

from clients.endpoints import PROJECT_ROOT
from cta import stations_table
from cta.config import SimulationConfig
from cta.lines import CLASSIC_LINES, LINES, ORDER_CSV, STATIONS_CSV, line_stations, lines_of, parse_lines

STOPS_CSV = PROJECT_ROOT / "producers" / "data" / "cta_l_stops_2022.csv"
CLASSIC_COLUMNS = [
    "stop_id",
    "direction_id",
    "stop_name",
    "station_name",
    "station_descriptive_name",
    "station_id",
    "order",
    "red",
    "blue",
    "green",
]
# The stops list's flag columns for each line: Purple's express has its own (Wilson and the Loop).
FLAGS = {
    "red": ["RED"],
    "blue": ["BLUE"],
    "green": ["G"],
    "brown": ["BRN"],
    "orange": ["O"],
    "pink": ["Pnk"],
    "purple": ["P", "Pexp"],
    "yellow": ["Y"],
}


def _table() -> list[dict[str, str]]:
    with STATIONS_CSV.open(newline="") as source:
        return list(csv.DictReader(source))


def _stops() -> dict[str, dict[str, str]]:
    with STOPS_CSV.open(newline="", encoding="utf-8-sig") as source:
        return {row["STOP_ID"]: row for row in csv.DictReader(source)}


def test_the_table_keeps_the_classic_columns_first_and_adds_the_other_lines() -> None:
    assert (*CLASSIC_COLUMNS, "brown", "orange", "pink", "purple", "yellow") == stations_table.COLUMNS
    assert list(_table()[0]) == list(stations_table.COLUMNS)
    assert stations_table.init_sql().count("BOOLEAN NOT NULL") == 8
    assert stations_table.init_sql().count("BOOLEAN NOT NULL DEFAULT FALSE") == 5  # classic inserts still work


def test_every_stop_of_the_stops_list_has_its_lines_flags() -> None:
    table, stops = _table(), _stops()
    assert sorted(row["stop_id"] for row in table) == sorted(stops)
    for row in table:
        stop = stops[row["stop_id"]]
        assert row["station_id"] == stop["MAP_ID"]
        for line, flags in FLAGS.items():
            assert (row[line] == "TRUE") == any(stop[flag] == "true" for flag in flags), (row["stop_id"], line)


def test_a_stops_order_is_its_stations_order_along_its_first_line() -> None:
    for row in _table():
        station_id = int(row["station_id"])
        line = next((line for line in LINES if row[line] == "TRUE"), lines_of(station_id)[0])
        assert int(row["order"]) == next(s.order for s in line_stations(line) if s.station_id == station_id)


def test_classic_lines_keep_the_classic_projects_stations_and_orders() -> None:
    # As the classic project's table numbered them: Green's Ashland/63rd branch right after Garfield.
    assert [len(line_stations(line)) for line in CLASSIC_LINES] == [33, 33, 30]
    green = {s.name: s.order for s in line_stations("green")}
    assert (green["Garfield"], green["Halsted"], green["Ashland/63rd"]) == (25, 26, 27)
    assert (green["King Drive"], green["Cottage Grove"]) == (28, 29)
    assert {s.name: s.order for s in line_stations("blue")}["Clark/Lake"] == 16


def test_every_line_has_its_stations_from_the_cta_order() -> None:
    counts = {line: len(line_stations(line)) for line in LINES}
    # The CTA's order file, less Damen (Green, opened 2024), which the 2022 stops list lacks.
    assert counts == {
        "red": 33,
        "blue": 33,
        "green": 30,
        "brown": 27,
        "orange": 16,
        "pink": 22,
        "purple": 26,
        "yellow": 3,
    }
    assert lines_of(40380) == ("blue", "green", "brown", "orange", "pink", "purple")  # Clark/Lake


def test_the_page_and_the_simulation_read_the_same_station_order() -> None:
    assert (PROJECT_ROOT / "consumers" / "data" / ORDER_CSV.name).read_bytes() == ORDER_CSV.read_bytes()


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("red,blue,green", ("red", "blue", "green")),
        ("Red Blue", ("red", "blue")),
        ("yellow, purple,yellow", ("yellow", "purple")),
    ],
)
def test_lines_are_chosen_by_name(text: str, lines: tuple[str, ...]) -> None:
    assert parse_lines(text) == lines


@pytest.mark.parametrize("text", ["", "red,magenta", ","])
def test_an_unknown_line_is_refused_with_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="choose from red, blue, green, brown, orange, pink, purple, yellow"):
        parse_lines(text)


def test_the_simulation_runs_every_line_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "producers"))
    # consumers/ has a `models` package too, which its tests import as its scripts do.
    for name in [name for name in sys.modules if name == "models" or name.startswith("models.")]:
        monkeypatch.delitem(sys.modules, name)
    simulation = importlib.import_module("simulation")
    assert simulation.parse_args([]).lines == list(LINES)
    assert simulation.parse_args(["--lines", "red,blue,green"]).lines == ["red", "blue", "green"]
    assert simulation.parse_args(["--lines", "red", "blue"]).lines == ["red", "blue"]
    classic = SimulationConfig.from_env({"SIMULATION_LINES": "red,blue,green"}).lines
    assert simulation.parse_args([], classic).lines == ["red", "blue", "green"]
    assert simulation.parse_args(["--lines", "pink"], classic).lines == ["pink"]
    assert SimulationConfig.from_env({}).lines == ",".join(LINES)
    with pytest.raises(SystemExit):
        simulation.parse_args(["--lines", "red,magenta"])
    with pytest.raises(SystemExit):
        simulation.parse_args([], "red,magenta")
