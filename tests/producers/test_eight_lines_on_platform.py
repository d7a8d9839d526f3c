"""All eight lines on the running platform: the simulation's events, the stations table, the schemas.

One seeded run of ``python simulation.py`` (every line, by default) from a Monday's morning rush:
its turnstile events name every station of every line, its trains arrive on every line (Purple's
express in the Loop among them), and ``--lines red,blue,green`` keeps to the classic three. The
records are read back with confluent-kafka's ``DeserializingConsumer`` through the Schema Registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from confluent_kafka import DeserializingConsumer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from clients.endpoints import PROJECT_ROOT
from cta import endpoints, schemas, stations_table, topics
from cta.lines import CLASSIC_LINES, LINES, line_stations
from cta.stations_table import COLUMNS
from stack.settings import Settings

PRODUCERS = PROJECT_ROOT / "producers"
MONDAY_RUSH = "2024-10-07T07:30"
# The value schemas as the classic three-line project registered them (their docs named three lines).
CLASSIC_ARRIVAL = {
    "type": "record",
    "name": "arrival",
    "namespace": "org.chicago.cta",
    "fields": [
        {"name": "station_id", "type": "int"},
        {"name": "train_id", "type": "string", "doc": "Train run id: line initial, 'L' and a number, e.g. BL007."},
        {"name": "direction", "type": "string"},
        {"name": "line", "type": "string", "doc": "Line the train runs on: blue, green or red."},
        {"name": "train_status", "type": "string"},
        {"name": "prev_station_id", "type": ["null", "int"], "default": None},
        {"name": "prev_direction", "type": ["null", "string"], "default": None},
    ],
}


def _run(*options: str) -> tuple[int, str]:
    """Runs the simulation for a few seconds; returns the wall-clock start (ms) and its log."""
    started_ms = int(time.time() * 1000)
    result = subprocess.run(
        [sys.executable, "simulation.py", "--sleep", "0.1", "--duration", "10", "--start", MONDAY_RUSH, *options],
        cwd=PRODUCERS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return started_ms, result.stderr


@pytest.fixture(scope="module")
def every_line(running_platform: Settings) -> tuple[int, str]:
    return _run("--seed", "8")


def _values(bootstrap: str, names: list[str], since_ms: int) -> Iterator[dict[str, Any]]:
    """The values written to ``names`` since ``since_ms``, up to each partition's end as it is now."""
    registry = SchemaRegistryClient({"url": endpoints().schema_registry_url})
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-eight-lines-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "key.deserializer": AvroDeserializer(registry),
            "value.deserializer": AvroDeserializer(registry),
        }
    )
    try:
        metadata = consumer.list_topics(timeout=10)
        wanted = [TopicPartition(t, p, since_ms) for t in names for p in metadata.topics[t].partitions]
        starts = [tp for tp in consumer.offsets_for_times(wanted, timeout=10) if tp.offset >= 0]
        ends = {(tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in starts}
        consumer.assign(starts)
        left = {(tp.topic, tp.partition) for tp in starts if tp.offset < ends[(tp.topic, tp.partition)]}
        deadline = time.monotonic() + 120
        while left and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            where = (message.topic(), message.partition())
            if message.offset() + 1 >= ends[where]:
                left.discard(where)
            yield message.value()
        assert not left, f"could not read {left} to its end"
    finally:
        consumer.close()


def test_turnstile_events_name_every_station_of_every_line(every_line: tuple[int, str], bootstrap_servers: str) -> None:
    started_ms, _ = every_line
    seen = {(v["line"], v["station_id"]) for v in _values(bootstrap_servers, [topics.TURNSTILE], started_ms)}
    expected = {(line, s.station_id) for line in LINES for s in line_stations(line)}
    assert expected - seen == set()
    assert len(expected) == 190


def test_trains_arrive_on_every_line_and_purples_express_reaches_the_loop(
    every_line: tuple[int, str], bootstrap_servers: str
) -> None:
    started_ms, log = every_line
    names = sorted({topics.arrivals(s.name, s.station_id) for line in LINES for s in line_stations(line)})
    arrivals = list(_values(bootstrap_servers, names, started_ms))
    assert {value["line"] for value in arrivals} == set(LINES)
    loop = {s.station_id for s in line_stations("purple") if s.loop}
    assert any(v["line"] == "purple" and v["station_id"] in loop for v in arrivals), "no Purple express in the Loop"
    assert "The yellow line: 3 stations, 2 train(s) on Dempster-Skokie to Howard." in log
    assert "Harlem/Lake to Ashland/63rd and Harlem/Lake to Cottage Grove" in log


def test_the_classic_three_lines_alone(running_platform: Settings, bootstrap_servers: str) -> None:
    started_ms, log = _run("--seed", "9", "--lines", "red,blue,green", "--no-connector")
    assert "Setting up the red line, the blue line and the green line" in log
    lines = {v["line"] for v in _values(bootstrap_servers, [topics.TURNSTILE], started_ms)}
    assert lines == set(CLASSIC_LINES)


def test_the_lines_can_be_chosen_in_the_environment(running_platform: Settings) -> None:
    result = subprocess.run(
        [sys.executable, "simulation.py", "--duration", "1", "--no-connector"],
        cwd=PRODUCERS,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SIMULATION_LINES": "yellow,pink"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Setting up the yellow line and the pink line" in result.stderr


def test_postgres_stations_table_keeps_the_classic_columns_and_adds_every_line(running_platform: Settings) -> None:
    with psycopg2.connect(endpoints().postgres_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'stations' ORDER BY ordinal_position"
        )
        assert tuple(row[0] for row in cur.fetchall()) == COLUMNS
        cur.execute(f"SELECT {', '.join(f'count(*) FILTER (WHERE {line})' for line in LINES)} FROM stations")
        stops = dict(zip(LINES, cur.fetchone(), strict=True))
    # Stops (a station has one per direction, the Loop's one per track) per line.
    assert all(count > 0 for count in stops.values()), stops
    assert stops["yellow"] == 6 and stops["red"] == 66


def test_a_classic_table_in_a_kept_data_folder_is_brought_up_to_date(running_platform: Settings) -> None:
    url = endpoints().postgres_url
    scratch = f"cta_classic_{uuid.uuid4().hex[:8]}"
    classic_create = stations_table.CREATE_TABLE.split("    brown")[0].rstrip().rstrip(",") + "\n)"
    server = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    server.autocommit = True
    try:
        with server.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{scratch}"')
        scratch_url = url.rsplit("/", 1)[0] + f"/{scratch}"
        with psycopg2.connect(scratch_url) as conn, conn.cursor() as cur:
            cur.execute(classic_create)
            cur.execute(
                "INSERT INTO stations VALUES (30074, 'E', 'x', 'Clark/Lake', 'x', 40380, 14, FALSE, FALSE, TRUE)"
            )
        assert stations_table.load(scratch_url) == 300
        with psycopg2.connect(scratch_url) as conn, conn.cursor() as cur:
            cur.execute(
                'SELECT stop_name, "order", green, orange, pink, purple, brown FROM stations WHERE stop_id = 30074'
            )
            assert cur.fetchone() == ("Clark/Lake (Inner Loop)", 14, True, True, True, True, False)
    finally:
        with server.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        server.close()


@pytest.mark.parametrize(("name", "classic"), [("arrival_value", CLASSIC_ARRIVAL)])
def test_the_schemas_stay_compatible_with_the_classic_ones(running_platform: Settings, name: str, classic: Any) -> None:
    # `line` stays a string: an enum of eight symbols would refuse old readers' three-symbol enum, or
    # need a default. The registry takes the new documentation as a new, backward-compatible version.
    registry = SchemaRegistryClient({"url": endpoints().schema_registry_url})
    subject = f"test-eight-lines-{uuid.uuid4().hex[:8]}-value"
    registry.register_schema(subject, Schema(json.dumps(classic), "AVRO"))
    current = Schema(schemas.load(name), "AVRO")
    assert registry.test_compatibility(subject, current) is True
    registry.register_schema(subject, current)
    assert registry.get_versions(subject) == [1, 2]
    (line,) = [field for field in json.loads(schemas.load(name))["fields"] if field["name"] == "line"]
    assert line["type"] == "string"
