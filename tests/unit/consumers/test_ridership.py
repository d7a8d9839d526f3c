"""Ridership by hour (TURNSTILE_HOURLY) on the status page, from hand-made records of KSQL's windowed table."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from typing import Any

import pytest
from consumer import KafkaConsumer
from models import Record, TransitStatus
from models.record import MALFORMED, Skip
from models.ridership import BUSIEST, HOUR_MS, HOURS, Ridership, window_key
from server import make_app
from tornado.testing import AsyncHTTPTestCase

from cta import topics
from tests.support.consumer_records import station

os.environ.setdefault("ASYNC_TEST_TIMEOUT", "60")
NOON = 1_764_936_000_000  # 2025-12-05 12:00 UTC, on the hour
CLARK_LAKE, HOWARD = 40380, 40900


def hourly(station_id: int, start: int, entries: int | None) -> Record:
    """A TURNSTILE_HOURLY record as KSQL writes it: KAFKA-format int key plus the window's start, JSON value."""
    key = struct.pack(">i", station_id) + struct.pack(">q", start)
    return Record(topics.TURNSTILE_HOURLY, None if entries is None else {"ENTRIES": entries}, start, key)


def test_a_windowed_key_is_the_station_then_the_hours_start() -> None:
    assert window_key(bytes.fromhex("00009dbc") + NOON.to_bytes(8, "big")) == (CLARK_LAKE, NOON)
    for key, why in [(b"\x00\x00\x9d\xbc", "not 4"), ("40380", "not str"), (None, "not NoneType")]:
        with pytest.raises(Skip, match=why) as skip:
            window_key(key)
        assert skip.value.reason == MALFORMED
    with pytest.raises(Skip, match="not on the hour"):
        window_key(struct.pack(">iq", CLARK_LAKE, NOON + 1))


def test_each_station_charts_its_last_hours_the_latest_count_winning() -> None:
    ridership = Ridership()
    assert ridership.apply(hourly(CLARK_LAKE, NOON, 5))
    assert not ridership.apply(hourly(CLARK_LAKE, NOON, 9))  # the hour's count so far: the latest wins
    assert ridership.apply(hourly(CLARK_LAKE, NOON + 2 * HOUR_MS, 4))  # a new hour: every chart moves on
    assert ridership.starts() == [NOON - (HOURS - 3 - i) * HOUR_MS for i in range(HOURS)]
    assert ridership.series(CLARK_LAKE) == [0, 0, 0, 9, 0, 4]  # an hour without a record is 0
    assert ridership.series(HOWARD) == [0] * HOURS


def test_an_hour_older_than_the_chart_is_forgotten_and_a_tombstone_removes_a_count() -> None:
    ridership = Ridership()
    ridership.apply(hourly(CLARK_LAKE, NOON, 5))
    ridership.apply(hourly(CLARK_LAKE, NOON + HOURS * HOUR_MS, 7))
    assert NOON not in ridership.hours and ridership.series(CLARK_LAKE) == [0] * (HOURS - 1) + [7]
    assert not ridership.apply(hourly(CLARK_LAKE, NOON, 50))  # late, too old to chart
    assert NOON not in ridership.hours
    ridership.apply(hourly(CLARK_LAKE, NOON + HOURS * HOUR_MS, None))
    assert ridership.series(CLARK_LAKE)[-1] == 0


def test_the_busiest_stations_are_those_of_the_latest_hour() -> None:
    ridership = Ridership()
    ridership.apply(hourly(1, NOON, 1000))  # busy in the hour before: not now
    for station_id in range(10, 10 + BUSIEST + 2):
        ridership.apply(hourly(station_id, NOON + HOUR_MS, station_id))
    busiest = ridership.to_json()["busiest"]
    assert [b["station_id"] for b in busiest] == list(range(10 + BUSIEST + 1, 11, -1))
    assert busiest[0]["entries"] == 10 + BUSIEST + 1


def test_the_hours_are_labelled_as_the_simulated_clock_reads_them() -> None:
    """The windows are the simulation's hours (UTC): the labels follow the records, not the server's clock."""
    ridership = Ridership()
    ridership.apply(hourly(CLARK_LAKE, NOON + 3 * HOUR_MS, 1))
    assert ridership.to_json()["labels"] == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00"]
    ridership.apply(hourly(CLARK_LAKE, NOON + 13 * HOUR_MS, 1))  # past midnight
    assert ridership.to_json()["labels"] == ["20:00", "21:00", "22:00", "23:00", "00:00", "01:00"]
    assert Ridership().to_json()["labels"] == []


def test_an_update_carries_the_changed_charts_and_all_of_them_when_an_hour_begins() -> None:
    status = TransitStatus()
    events: list[bytes] = []
    status.listeners.add(events.append)
    status.apply([hourly(CLARK_LAKE, NOON, 5), hourly(HOWARD, NOON, 2)])
    status.apply([hourly(HOWARD, NOON, 3)])
    status.apply([hourly(HOWARD, NOON + HOUR_MS, 1)])
    status.apply([hourly(HOWARD, NOON, "x")])  # type: ignore[arg-type]
    first, second, third = (json.loads(event.split(b"data: ")[1])["ridership"] for event in events)
    assert first["full"] and set(first["stations"]) == {str(CLARK_LAKE), str(HOWARD)}
    assert not second["full"] and second["stations"] == {str(HOWARD): [0] * (HOURS - 1) + [3]}
    assert third["full"] and third["stations"][str(CLARK_LAKE)] == [0] * (HOURS - 2) + [5, 0]
    assert status.skips.counts[MALFORMED] == 1 and len(events) == 3
    assert status.snapshot()["ridership"]["busiest"] == [{"station_id": HOWARD, "entries": 1}]


class RidershipPageTest(AsyncHTTPTestCase):
    def get_app(self) -> Any:
        self.status = TransitStatus()
        self.status.apply([station(HOWARD, "Howard", 0), station(41190, "Jarvis", 1)])
        self.status.apply([hourly(HOWARD, NOON, 40), hourly(HOWARD, NOON + HOUR_MS, 20)])
        # A consumer of TURNSTILE_HOURLY that has not caught up (no such topic yet): still running.
        hourly_consumer = KafkaConsumer(topics.TURNSTILE_HOURLY, self.status, is_avro=False)
        pending: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        return make_app(self.status, [(hourly_consumer, pending)])  # type: ignore[list-item]

    def test_the_page_is_served_with_the_charts_and_the_busiest_stations(self) -> None:
        body = self.fetch("/").body.decode()
        assert body.count('<svg class="bars"') == 1  # Howard's; Jarvis has no riders counted
        assert '<rect x="24" y="1" width="5" height="15"><title>12:00: 40</title></rect>' in body
        assert '<rect x="30" y="8" width="5" height="8"><title>13:00: 20</title></rect>' in body
        assert '<span class="name">Howard</span>' in body
        assert '<h2>Busiest <span id="busiest-hour">13:00\u201314:00</span></h2>' in body
        assert '<span class="hours">08:00\u2013\u200b13:00</span>' in body

    def test_health_does_not_wait_for_the_hourly_table(self) -> None:
        health = json.loads(self.fetch("/healthz").body)
        assert health["healthy"] is True and health["caught_up"] is True
