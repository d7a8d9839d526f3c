"""The status page with all eight 'L' lines, without Kafka: the models, the map's paths and the served page."""

from __future__ import annotations

import json
import os
from typing import Any

from models import Record, TransitStatus
from models.places import city_map, paths
from server import make_app
from tornado.testing import AsyncHTTPTestCase

from cta import topics
from cta.lines import LINES, line_stations
from tests.support.consumer_records import station

os.environ.setdefault("ASYNC_TEST_TIMEOUT", "60")
CLARK_LAKE = 40380
CLARK_LAKE_LINES = ("blue", "green", "brown", "orange", "pink", "purple")


def yellow_arrival(station_id: int, train_id: str, at: int) -> Record:
    value = {
        "station_id": station_id,
        "train_id": train_id,
        "direction": "a",
        "line": "yellow",
        "train_status": "in_service",
        "prev_station_id": None,
        "prev_direction": None,
    }
    return Record(topics.arrivals("x", station_id), value, at)


def test_the_page_has_the_eight_lines_in_the_ctas_order() -> None:
    status = TransitStatus()
    assert [line["color"] for line in status.snapshot()["lines"]] == [
        "red", "blue", "green", "brown", "orange", "pink", "purple", "yellow"
    ]  # fmt: skip


def test_a_train_of_a_line_beyond_the_classic_three_is_shown() -> None:
    """Before, the page passed over the Yellow line's records: its trains were never shown."""
    status = TransitStatus()
    status.apply([station(40140, "Dempster-Skokie", 0, "yellow"), station(40900, "Howard", 2, "yellow")])
    status.apply([yellow_arrival(40140, "YL001", 1000)])
    yellow = next(line for line in status.snapshot()["lines"] if line["color"] == "yellow")
    assert yellow["stations"][0]["a"]["train_id"] == "YL001"
    assert status.counters()["trains"] == 1 and not any(status.skips.counts.values())


def test_a_station_of_six_lines_is_listed_under_each_with_its_one_total() -> None:
    status = TransitStatus()
    status.apply([station(CLARK_LAKE, "Clark/Lake", 1, line) for line in CLARK_LAKE_LINES])
    status.apply([Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": CLARK_LAKE, "COUNT": 41}, 1)])
    shown = {
        line["color"]: [s["entries"] for s in line["stations"]]
        for line in status.snapshot()["lines"]
        if line["stations"]
    }
    assert shown == {line: [41] for line in CLARK_LAKE_LINES}
    assert status.counters()["stations"] == 1  # one station, six rows


def test_every_lines_track_goes_through_all_its_stations_without_jumps() -> None:
    for line in LINES:
        strokes = paths(line_stations(line))
        assert {i for stroke in strokes for i in stroke} == {s.station_id for s in line_stations(line)}, line
    green = paths(line_stations("green"))
    garfield = 40510
    assert len(green) == 3 and green[0][-1] == garfield  # the trunk ends at Garfield, where both branches fork
    assert {stroke[0] for stroke in green[1:]} == {garfield}
    assert {stroke[-1] for stroke in green[1:]} == {40720, 40290}  # Cottage Grove, Ashland/63rd
    brown = paths(line_stations("brown"))
    assert len(brown) == 1 and brown[0][-1] == 40730  # round the Loop and back to Washington/Wells
    assert paths(line_stations("red")) == [[s.station_id for s in line_stations("red")]]


def test_the_map_gives_every_line_in_its_cta_colour() -> None:
    city = city_map()
    assert [(line["color"], line["hex"]) for line in city["lines"]][3:] == [
        ("brown", "#62361b"), ("orange", "#f9461c"), ("pink", "#e27ea6"), ("purple", "#522398"), ("yellow", "#f9e300")
    ]  # fmt: skip
    every = {str(i) for line in city["lines"] for stroke in line["paths"] for i in stroke}
    assert every <= set(city["stations"])


class EightLinesPageTest(AsyncHTTPTestCase):
    def get_app(self) -> Any:
        self.status = TransitStatus()
        return make_app(self.status, [])

    def test_the_page_has_a_picker_link_and_a_table_for_each_line(self) -> None:
        body = self.fetch("/").body.decode()
        for line in LINES:
            assert f'href="#line-{line}" data-pick="{line}"' in body
            assert f'id="line-{line}" data-line="{line}"' in body

    def test_the_map_api_gives_the_eight_lines_paths(self) -> None:
        city = json.loads(self.fetch("/api/map").body)
        assert [line["color"] for line in city["lines"]] == list(LINES)


def test_a_line_that_rounds_the_loop_runs_towards_the_loop() -> None:
    """As the CTA's signs say: Brown's trains run to Kimball or to the Loop, not to Clark/Lake, its last stop."""
    status = TransitStatus()
    brown = line_stations("brown")
    status.apply([station(s.station_id, s.name, s.order, "brown") for s in brown])
    status.apply([station(s.station_id, s.name, s.order, "red") for s in line_stations("red")])
    towards = {line["color"]: line["towards"] for line in status.snapshot()["lines"] if line["stations"]}
    assert towards == {"brown": {"a": "Kimball", "b": "the Loop"}, "red": {"a": "Howard", "b": "95th/Dan Ryan"}}
