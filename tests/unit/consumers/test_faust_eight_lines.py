"""The Faust app's transform on the eight-line stations table, row by row as Kafka Connect writes it.

Platform-free: the rows are ``producers/data/cta_stations.csv`` as JSON (booleans, integers), the
shape the JDBC connector gives each row of the table ``cta.stations_table`` loads.
"""

from __future__ import annotations

import csv
from typing import Any

from faust_stream import transform

from cta.lines import CLASSIC_LINES, LINES, STATIONS_CSV, line_stations
from cta.stations_table import COLUMNS


def rows() -> list[dict[str, Any]]:
    with STATIONS_CSV.open(newline="") as source:
        return [
            {
                column: (
                    value == "TRUE"
                    if column in LINES
                    else int(value)
                    if column in ("stop_id", "station_id", "order")
                    else value
                )
                for column, value in row.items()
            }
            for row in csv.DictReader(source)
        ]


def test_every_station_of_every_line_is_written_with_its_order_along_that_line() -> None:
    stations = {(s.line, s.station_id, s.order) for row in rows() for s in transform(row)}
    expected = {(line, s.station_id, s.order) for line in LINES for s in line_stations(line)}
    assert stations == expected
    assert len(expected) == 190


def test_a_loop_platform_gives_a_station_for_each_line_stopping_there() -> None:
    (inner,) = [row for row in rows() if row["stop_id"] == 30074]  # Clark/Lake, Inner Loop track
    assert {(s.line, s.order) for s in transform(inner)} == {
        ("green", 14),
        ("orange", 12),
        ("pink", 14),
        ("purple", 18),
    }


def test_the_unused_platforms_of_sheridan_give_nothing() -> None:
    unused = [row for row in rows() if not any(row[line] for line in LINES)]
    assert {row["stop_id"] for row in unused} == {30293, 30294}
    assert all(transform(row) == [] for row in unused)


def test_a_row_of_the_classic_tables_shape_gives_its_classic_lines() -> None:
    classic_columns = [column for column in COLUMNS if column in CLASSIC_LINES or column not in LINES]
    for row in rows():
        classic = {column: row[column] for column in classic_columns}
        assert [s.line for s in transform(classic)] == [line for line in CLASSIC_LINES if row[line]]
