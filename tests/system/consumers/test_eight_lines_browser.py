"""The eight-line status page in headless Chromium, at a phone's and a desktop's width, on a state fed by hand.

Every station of the eight lines (``cta.lines``) and a train on each: the map draws each line with
its train, the line picker shows one line's table at a time and keeps the pick in the address, a
station on six lines (Clark/Lake) shows its one total under each, nothing is wider than the window,
and the picked table follows the server-sent events live.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from models import Record

from cta import topics
from cta.lines import LINES, line_stations
from tests.support.browser import headless_chromium
from tests.support.consumer_records import station
from tests.support.processes import free_port
from tests.support.waiting import wait_for
from tests.system.consumers.test_status_page import PageServer, showing

CLARK_LAKE = 40380
CLARK_LAKE_LINES = {"blue", "green", "brown", "orange", "pink", "purple"}
SIZES = {"phone": (390, 844), "desktop": (1600, 1200)}

LAYOUT = """
const picked = [...document.querySelectorAll("article[data-line]")].filter((a) => a.offsetParent !== null);
const picks = [...document.querySelectorAll(".pick[data-pick]")];
return {
  shown: picked.map((a) => a.dataset.line),
  picks: picks.filter((p) => p.offsetParent !== null).map((p) => p.dataset.pick),
  pickWidths: picks.map((p) => p.getBoundingClientRect().width),
  routes: [...document.querySelectorAll("#map .route")].map((r) => r.classList[1]),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  tableRight: picked.length ? picked[0].getBoundingClientRect().right : null,
  width: window.innerWidth,
  hash: window.location.hash,
};
"""


def arrival(line: str, station_id: int, train_id: str, at: int) -> Record:
    value = {
        "station_id": station_id,
        "train_id": train_id,
        "direction": "b",
        "line": line,
        "train_status": "in_service",
        "prev_station_id": None,
        "prev_direction": None,
    }
    return Record(topics.arrivals("x", station_id), value, at)


def every_line() -> list[Record]:
    return [station(s.station_id, s.name, s.order, line) for line in LINES for s in line_stations(line)]


def first_trains() -> list[Record]:
    return [arrival(line, line_stations(line)[0].station_id, f"{line[:2].upper()}001", 1000) for line in LINES]


def layout(browser: Any) -> dict[str, Any]:
    return browser.execute_script(LAYOUT)


@pytest.mark.parametrize("size", SIZES)
def test_the_eight_lines_page_is_usable_at_a_phones_and_a_desktops_width(size: str, tmp_path: Path) -> None:
    port = free_port()
    counts = [Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": CLARK_LAKE, "COUNT": 4321}, 1)]
    with PageServer(port, every_line(), first_trains(), counts) as server, headless_chromium(*SIZES[size]) as browser:
        browser.get(f"http://localhost:{port}")
        view = showing(
            browser, lambda v: v.live == "live" and all(v.on_map.get(line) for line in LINES), "a train on every line"
        )
        assert view.at_platforms == view.on_map  # the map draws the trains the tables show
        assert {line: len(rows) for line, rows in view.stations.items()} == {
            line: len(line_stations(line)) for line in LINES
        }
        shared = {line for line, rows in view.stations.items() if CLARK_LAKE in rows}
        assert shared == CLARK_LAKE_LINES and view.entries[CLARK_LAKE] == 4321  # one total, six rows

        seen = layout(browser)
        assert seen["shown"] == ["red"] and seen["picks"] == list(LINES)  # one table; every line to pick
        assert sorted(seen["routes"]) == sorted((*LINES, "green", "green"))  # Green: the trunk and two branches
        assert seen["overflow"] <= 0 and seen["tableRight"] <= seen["width"]  # no sideways scrolling
        assert min(seen["pickWidths"]) >= 44  # a finger's width, even eight on a phone
        browser.save_screenshot(str(tmp_path / f"{size}.png"))

        browser.find_element("css selector", '.pick[data-pick="yellow"]').click()
        wait_for(lambda: layout(browser)["shown"] == ["yellow"], "the Yellow line's table alone", 30)
        assert layout(browser)["hash"] == "#line-yellow"
        server.apply(arrival("yellow", line_stations("yellow")[1].station_id, "YE001", 5000))
        moved = showing(browser, lambda v: v.moves >= 1, "the Yellow train moving")
        assert moved.at_platforms["yellow"] == {"YE001"}

        browser.refresh()  # the pick is in the address: a reload keeps it
        showing(browser, lambda v: v.live == "live", "the page live again")
        wait_for(lambda: layout(browser)["shown"] == ["yellow"], "the Yellow line still picked", 30)


RIDERSHIP = """
const chart = (id) => [...document.querySelectorAll(`article[data-line="red"] tr[data-station="${id}"] td.spark rect`)]
  .map((bar) => Number(bar.getAttribute("height")));
return {
  howard: chart(40900),
  jarvis: chart(41190),
  busiest: [...document.querySelectorAll("#busiest li .name")].map((name) => name.textContent),
  hour: document.getElementById("busiest-hour").textContent,
  range: document.querySelector('article[data-line="red"] th.spark .hours').textContent,
  lastBar: document.querySelector('article[data-line="red"] tr[data-station="40900"] td.spark rect:last-child title')
    .textContent,
};
"""
NOON = 1_764_936_000_000  # 12:00 UTC: the simulation's hours are UTC


def hourly(station_id: int, start: int, entries: int) -> Record:
    return Record(topics.TURNSTILE_HOURLY, {"ENTRIES": entries}, start, struct.pack(">iq", station_id, start))


@pytest.mark.parametrize("size", SIZES)
def test_the_hourly_charts_and_the_busiest_stations_follow_the_events(size: str) -> None:
    port = free_port()
    red = [station(s.station_id, s.name, s.order) for s in line_stations("red")]
    hours = [hourly(40900, NOON, 30), hourly(40900, NOON + 3_600_000, 15)]
    with PageServer(port, red, hours) as server, headless_chromium(*SIZES[size]) as browser:
        browser.get(f"http://localhost:{port}")
        showing(browser, lambda v: v.live == "live", "the page live")
        first = browser.execute_script(RIDERSHIP)
        assert first == {
            "howard": [0, 0, 0, 0, 15, 8],
            "jarvis": [],
            "busiest": ["Howard"],
            "hour": "13:00\u201314:00",
            "range": "08:00\u2013\u200b13:00",
            "lastBar": "13:00: 15",
        }

        server.apply(hourly(41190, NOON + 2 * 3_600_000, 60))  # a new hour: every chart moves on
        wait_for(lambda: browser.execute_script(RIDERSHIP)["busiest"] == ["Jarvis"], "Jarvis the busiest", 30)
        after = browser.execute_script(RIDERSHIP)
        assert after["howard"] == [0, 0, 0, 15, 8, 0] and after["jarvis"] == [0, 0, 0, 0, 0, 15]
        assert (after["hour"], after["range"], after["lastBar"]) == (
            "14:00\u201315:00",
            "09:00\u2013\u200b14:00",
            "14:00: 0",
        )
        assert layout(browser)["overflow"] <= 0


MARKERS = """
return [...document.querySelectorAll("#trains .train-marker")].map((marker) => {
  const at = new DOMMatrix(getComputedStyle(marker).transform);
  return [marker.dataset.train, at.e, at.f, Number(marker.querySelector("circle").getAttribute("r"))];
});
"""


def loop_trains() -> tuple[list[Record], dict[str, tuple[str, int]]]:
    """A train at each platform, both directions, of every line at every Loop station (four lines or more);
    and each train's line and station."""
    served: dict[int, set[str]] = {}
    for line in LINES:
        for s in line_stations(line):
            served.setdefault(s.station_id, set()).add(line)
    records, where = [], {}
    for line in LINES:
        for i, s in enumerate(line_stations(line)):
            if len(served[s.station_id]) >= 4:
                for direction in "ab":
                    train = f"{line[:2].upper()}{i:02d}{direction}"
                    record = arrival(line, s.station_id, train, 1000)
                    record.value["direction"] = direction
                    records.append(record)
                    where[train] = (line, s.station_id)
    return records, where


@pytest.mark.parametrize("size", SIZES)
def test_trains_on_the_loop_keep_to_their_lines_lanes_without_covering_each_other(size: str) -> None:
    """Where four lines share the Loop's track each runs in a lane of its own, as on CTA's maps, and so do
    their trains: no two trains at one station, nor two trains of the lines round the Loop, overlap. (A line
    crossing the Loop, Blue at Clark/Lake, keeps its trains beyond the lanes.)"""
    port = free_port()
    trains, where = loop_trains()
    with PageServer(port, every_line(), trains), headless_chromium(*SIZES[size]) as browser:
        browser.get(f"http://localhost:{port}")
        showing(browser, lambda v: sum(map(len, v.on_map.values())) == len(trains), "every Loop train on the map")
        markers = browser.execute_script(MARKERS)
    assert len(markers) == len(trains) > 60
    round_the_loop = {"brown", "orange", "pink", "purple", "green"}
    overlapping = []
    for i, (a, ax, ay, ar) in enumerate(markers):
        for b, bx, by, br in markers[i + 1 :]:
            same_station = where[a][1] == where[b][1]
            both_round = {where[a][0], where[b][0]} <= round_the_loop
            if (same_station or both_round) and ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 < ar + br - 0.5:
                overlapping.append((a, b))
    assert overlapping == []


LABELS_CROSSED = """
const tracks = [...document.querySelectorAll("#map .route")].flatMap((route) => {
  const points = [...route.points].map((p) => [p.x, p.y]);
  return points.slice(1).map((p, i) => [points[i], p, route.classList[1]]);
});
const crosses = (box, [a, b]) => {
  const half = 2.25; // half a line's width
  for (let t = 0; t <= 1; t += 0.01) {
    const [x, y] = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    if (x >= box.x - half && x <= box.x + box.width + half && y >= box.y - half && y <= box.y + box.height + half)
      return true;
  }
  return false;
};
return [...document.querySelectorAll("#map text.terminal")].map((label) => [
  label.textContent,
  [...new Set(tracks.filter((track) => crosses(label.getBBox(), track)).map((track) => track[2]))],
]);
"""


@pytest.mark.parametrize("size", SIZES)
def test_no_terminals_name_is_drawn_over_a_line(size: str) -> None:
    """Each terminal's name sits where no line runs (Howard's beside the station, clear of Red, Purple and
    the Yellow shuttle), inside the map."""
    port = free_port()
    with PageServer(port, every_line(), first_trains()), headless_chromium(*SIZES[size]) as browser:
        browser.get(f"http://localhost:{port}")
        showing(browser, lambda v: all(v.on_map.get(line) for line in LINES), "a train on every line")
        labels = dict(browser.execute_script(LABELS_CROSSED))
        inside = browser.execute_script(
            "const map = document.getElementById('map').viewBox.baseVal;"
            "return [...document.querySelectorAll('#map text.terminal')].every((label) => {"
            "const box = label.getBBox(); return box.x >= 0 && box.x + box.width <= map.width; });"
        )
    assert {"Howard", "Linden", "Dempster-Skokie", "Cottage Grove", "Ashland/63rd", "95th/Dan Ryan"} <= set(labels)
    assert {name: lines for name, lines in labels.items() if lines} == {}
    assert inside
