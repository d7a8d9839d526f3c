"""The status page's models, fed with messages recorded from the local platform, and with bad ones.

``tests/data/recorded.jsonl`` holds real messages, decoded: every row Kafka Connect copied to
``org.chicago.cta.stations``, what the Faust worker wrote to ``org.chicago.cta.stations.table.v1``,
the weather, and the last dozen arrivals of each red line station (a simulation run), in timestamp
order. Bad messages are made from good ones, one defect at a time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from models import Record, TransitStatus
from models.held import HELD_PER_STATION, MAX_HELD_STATIONS
from models.line import Line
from models.record import MALFORMED, OUT_OF_ORDER, Skip

from cta import topics
from tests.support.records import recorded_messages


def recorded(prefix: str) -> list[Record]:
    return [
        Record(row["topic"], row["value"], row["timestamp"], None, row["partition"], row["offset"])
        for row in recorded_messages(prefix)
    ]


def stations_table() -> list[Record]:
    return recorded(topics.STATIONS_TABLE)


def arrivals() -> list[Record]:
    return recorded(topics.ARRIVALS_PREFIX)


@pytest.fixture
def status() -> TransitStatus:
    status = TransitStatus()
    status.apply(stations_table())
    return status


def with_value(record: Record, **changes: Any) -> Record:
    value = {**record.value, **changes}
    return Record(record.topic, value, record.timestamp_ms, record.key, record.partition, record.offset)


def test_the_stations_table_gives_every_station_of_the_three_lines_once(status: TransitStatus) -> None:
    lines = status.lines.lines
    # Recorded from the classic three-line project: the page's other five lines have no stations.
    assert {color: len(line.stations) for color, line in lines.items()} == {
        "red": 33, "blue": 33, "green": 28, "brown": 0, "orange": 0, "pink": 0, "purple": 0, "yellow": 0
    }  # fmt: skip
    assert 40380 in lines["blue"].stations and 40380 in lines["green"].stations  # Clark/Lake serves both
    assert [s.order for s in lines["red"].ordered()] == list(range(33))
    assert lines["red"].ordered()[0].name == "Howard"
    assert lines["red"].ordered()[-1].name == "95th/Dan Ryan"  # the later row fixed the first one's typo
    assert status.skips.total == 0


def test_replayed_arrivals_put_each_train_on_exactly_one_platform(status: TransitStatus) -> None:
    status.apply(arrivals())
    red = status.lines.lines["red"]
    assert status.skips.total == 0
    assert len(red.trains) == 10
    shown = [
        (station.station_id, direction, train.train_id)
        for station in red.stations.values()
        for direction, train in station.platforms.items()
        if train is not None
    ]
    assert len(shown) == len({train_id for *_, train_id in shown}) == 10
    for station_id, direction, train_id in shown:
        train = red.trains[train_id]
        assert (train.station_id, train.direction) == (station_id, direction)


def test_arrivals_read_out_of_order_are_counted_and_skipped(status: TransitStatus) -> None:
    replay = arrivals()
    status.apply(replay)
    positions = {t: (train.station_id, train.direction) for t, train in status.lines.lines["red"].trains.items()}
    status.apply(replay[: len(replay) // 2])  # older than what each train did since
    assert status.skips.counts[OUT_OF_ORDER] > 0
    after = {t: (train.station_id, train.direction) for t, train in status.lines.lines["red"].trains.items()}
    assert after == positions


def train_positions(status: TransitStatus) -> dict[str, tuple[int, str]]:
    return {t: (train.station_id, train.direction) for t, train in status.lines.lines["red"].trains.items()}


def test_arrivals_read_before_their_stations_are_held_and_shown_once_the_stations_are_known() -> None:
    in_order = TransitStatus()
    in_order.apply(stations_table())
    in_order.apply(arrivals())
    early = TransitStatus()
    early.apply(arrivals())  # the server started before the Faust worker wrote the stations
    assert early.lines.lines["red"].trains == {}
    assert early.counters()["held"] == len(arrivals())
    early.apply(stations_table())
    assert train_positions(early) == train_positions(in_order) != {}
    assert early.counters()["held"] == 0
    assert early.skips.total == 0


def test_an_arrival_at_a_station_its_line_does_not_have_waits_for_it(status: TransitStatus) -> None:
    arrival = arrivals()[0]
    status.apply([with_value(arrival, station_id=40380)])  # Clark/Lake: blue and green, not (yet) red
    assert status.lines.lines["red"].trains == {}
    assert status.counters()["held"] == 1
    status.apply(
        [
            Record(
                topics.STATIONS_TABLE,
                {"station_id": 40380, "station_name": "Clark/Lake", "order": 40, "line": "red"},
                1,
            )
        ]
    )
    assert status.lines.lines["red"].trains[arrival.value["train_id"]].station_id == 40380


def test_arrivals_held_for_stations_that_never_come_are_bounded() -> None:
    status = TransitStatus()
    arrival = arrivals()[0]
    for station_id in range(MAX_HELD_STATIONS + 10):
        for _ in range(HELD_PER_STATION + 1):
            status.apply([with_value(arrival, station_id=station_id)])
    assert status.counters()["held"] == MAX_HELD_STATIONS * HELD_PER_STATION
    assert status.counters()["dropped"] == 10 * HELD_PER_STATION


def test_a_count_read_before_its_station_is_shown_once_the_station_is_known() -> None:
    status = TransitStatus()
    status.apply([Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 40380, "COUNT": 12}, 1)])
    table = stations_table()
    blue = [r for r in table if r.value["line"] == "blue"]
    status.apply(blue)
    assert status.lines.lines["blue"].stations[40380].entries == 12
    status.apply([r for r in table if r.value["line"] != "blue"])  # Clark/Lake joins the green line later
    assert status.lines.lines["green"].stations[40380].entries == 12
    assert status.skips.total == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"station_id": "40900"},
        {"station_id": True},
        {"station_id": None},
        {"direction": "c"},
        {"line": "magenta"},
        {"line": None},
        {"train_status": "flying"},
        {"train_id": 7},
        {"prev_direction": "north"},
    ],
)
def test_a_malformed_arrival_is_counted_and_skipped(status: TransitStatus, changes: dict[str, Any]) -> None:
    before = status.sequence
    status.apply([with_value(arrivals()[0], **changes)])
    assert status.skips.counts[MALFORMED] == 1
    assert status.lines.lines["red"].trains == {}
    assert status.sequence == before  # nothing changed, nothing sent to the browsers


def test_every_l_line_is_shown_and_a_line_that_is_none_is_skipped(status: TransitStatus) -> None:
    # The simulation and the Faust app write all eight lines; the page shows all eight.
    linden = {"station_id": 41050, "station_name": "Linden", "order": 0, "line": "purple"}
    status.apply([Record(topics.STATIONS_TABLE, linden, 1)])
    status.apply([Record(topics.STATIONS_TABLE, {**linden, "line": "silver"}, 1)])
    assert [s.name for s in status.lines.lines["purple"].ordered()] == ["Linden"]
    assert status.skips.counts[MALFORMED] == 1 and "silver" not in status.lines.lines


@pytest.mark.parametrize("value", [None, [], "a string", 42, {}])
def test_a_value_that_is_no_object_is_malformed(status: TransitStatus, value: Any) -> None:
    status.apply([Record(topics.arrivals("Howard", 40900), value, 1)])
    status.apply([Record(topics.STATIONS_TABLE, value, 1)])
    assert status.skips.counts[MALFORMED] == 2


def test_turnstile_counts_reach_every_line_serving_the_station(status: TransitStatus) -> None:
    status.apply(
        [
            Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 40380, "COUNT": 12}, 1),
            Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 40380, "COUNT": 15}, 2),
            Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 40900, "COUNT": 3}, 2),
        ]
    )
    lines = status.lines.lines
    assert lines["blue"].stations[40380].entries == lines["green"].stations[40380].entries == 15
    assert lines["red"].stations[40900].entries == 3
    assert status.skips.total == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"STATION_ID": 40380, "COUNT": "4"}, MALFORMED),
        ({"station_id": 40380, "count": 4}, MALFORMED),  # KSQL writes the column names upper-case
        (None, MALFORMED),  # a tombstone
    ],
)
def test_a_bad_turnstile_count_is_counted_and_skipped(status: TransitStatus, value: Any, reason: str) -> None:
    status.apply([Record(topics.TURNSTILE_SUMMARY, value, 1)])
    assert status.skips.counts[reason] == 1
    assert all(station.entries is None for line in status.lines.lines.values() for station in line.stations.values())


def test_the_latest_weather_is_shown_and_older_observations_are_skipped(status: TransitStatus) -> None:
    observations = recorded(topics.WEATHER)
    assert len(observations) >= 2
    status.apply(observations)
    latest = observations[-1]
    assert status.weather.status == latest.value["status"]
    assert status.weather.temperature == pytest.approx(latest.value["temperature"])
    status.apply([observations[0]])
    assert status.skips.counts[OUT_OF_ORDER] == 1
    assert status.weather.observed_ms == latest.timestamp_ms
    status.apply([with_value(latest, status="hail")])
    assert status.skips.counts[MALFORMED] == 1


def test_a_batch_becomes_one_update_with_what_changed(status: TransitStatus) -> None:
    replay = arrivals()
    status.apply(replay[:5])
    events: list[bytes] = []
    status.listeners.add(events.append)
    status.apply(replay[5:8])
    assert len(events) == 1 and events[0].startswith(b"event: update\n")
    update = json.loads(events[0].split(b"data: ", 1)[1])
    assert [a["train_id"] for a in update["arrivals"]] == [r.value["train_id"] for r in replay[5:8]]
    assert set(update["due"]) == {"red"}
    assert {s["station_id"] for s in update["stations"]} >= {r.value["station_id"] for r in replay[5:8]}


def test_a_page_that_fails_is_dropped_and_the_others_still_get_the_update(status: TransitStatus) -> None:
    def broken(_: bytes) -> None:
        raise OSError("gone")

    events: list[bytes] = []
    status.listeners |= {broken, events.append}
    status.apply(arrivals()[:1])
    assert len(events) == 1
    assert status.listeners == {events.append}


def line_of_three() -> Line:
    line = Line("red")
    for order, station_id in enumerate((1, 2, 3)):
        line.add_station(station_id, f"S{station_id}", order)
    return line


def arrive(line: Line, train: str, at: int, station: int, direction: str, prev: tuple[int, str] | None) -> None:
    line.arrive(
        {
            "station_id": station,
            "train_id": train,
            "direction": direction,
            "line": "red",
            "train_status": "in_service",
            "prev_station_id": prev[0] if prev else None,
            "prev_direction": prev[1] if prev else None,
        },
        at,
    )


def test_the_next_train_is_due_after_the_travel_times_observed_on_the_way() -> None:
    line = line_of_three()
    arrive(line, "T1", 0, 1, "b", None)
    arrive(line, "T1", 10_000, 2, "b", (1, "b"))  # 1b -> 2b took 10 s
    arrive(line, "T1", 30_000, 3, "b", (2, "b"))  # 2b -> 3b took 20 s
    arrive(line, "T2", 31_000, 1, "b", None)
    due = line.due()
    assert due[1]["b"] == 31_000  # T2 stands there
    assert due[2]["b"] == 41_000  # T2 + 10 s
    assert due[3]["b"] == 30_000  # T1 stands there
    # Beyond T1: the turnaround and the way back have no observations yet: the typical hop (15 s).
    assert due[3]["a"] == 45_000
    assert due[2]["a"] == 60_000


def test_no_estimate_without_any_observed_travel_time() -> None:
    line = line_of_three()
    arrive(line, "T1", 0, 2, "b", None)
    due = line.due()
    assert due[2]["b"] == 0
    assert due[3]["b"] is None


def test_trains_out_of_service_are_not_expected_to_stop() -> None:
    line = line_of_three()
    arrive(line, "T1", 0, 1, "b", None)
    arrive(line, "T1", 10_000, 2, "b", (1, "b"))
    line.trains["T1"].status = "out_of_service"
    assert line.due()[3]["b"] is None


def test_a_skip_says_what_is_wrong() -> None:
    with pytest.raises(Skip, match="field 'station_id' is '1', expected int"):
        line_of_three().arrive({"station_id": "1"}, 0)


def test_trains_that_left_unseen_or_went_quiet_are_expected_nowhere() -> None:
    line = line_of_three()
    arrive(line, "T1", 0, 1, "b", None)
    arrive(line, "T1", 10_000, 2, "b", (1, "b"))
    arrive(line, "GHOST", 0, 3, "b", None)
    arrive(line, "T2", 5_000, 3, "b", None)  # GHOST's arrival to leave 3b was lost
    assert line.due()[3]["b"] == 5_000  # T2 stands there, not GHOST
    arrive(line, "T2", 20_000, 3, "a", (3, "b"))
    arrive(line, "T1", 690_000, 1, "b", None)
    arrive(line, "T1", 700_000, 2, "b", (1, "b"))  # T2 has not been seen for 680 s while T1 ran
    # From T1, a typical hop (10 s) to 3b and one more to 3a; not from T2, quiet at 3a.
    assert line.due()[3] == {"b": 710_000, "a": 720_000}


def test_estimates_follow_the_lines_current_pace() -> None:
    line = line_of_three()
    arrive(line, "T1", 0, 1, "b", None)
    arrive(line, "T1", 60_000, 2, "b", (1, "b"))  # a slow hop, long ago
    arrive(line, "T2", 1_000_000, 1, "b", None)  # a run at another pace, much later
    arrive(line, "T2", 1_005_000, 2, "b", (1, "b"))
    arrive(line, "T3", 1_006_000, 1, "b", None)
    assert line.due()[2]["b"] == 1_005_000  # T2 stands there
    assert line.due()[3]["b"] == 1_010_000  # 5 s a hop now, not the old 60 s
