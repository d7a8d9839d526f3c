"""All eight lines on the running platform: the simulation's events, the stations table, the schemas.

``python simulation.py`` (every line, by default) runs from a Monday's morning rush until its
turnstile events have named every station of every line and Purple's express has reached the Loop;
its trains arrive on every line; ``--lines red,blue,green`` keeps to the classic three. Records are
read with confluent-kafka's ``DeserializingConsumer`` through the Schema Registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from clients.endpoints import PROJECT_ROOT
from cta import schemas, stations_table, topics
from cta.lines import CLASSIC_LINES, LINES, line_stations
from cta.stations_table import COLUMNS
from stack.settings import Settings
from tests.support.processes import Script
from tests.support.reading import avro, follow, read_to_end
from tests.support.waiting import wait_for

PRODUCERS = PROJECT_ROOT / "producers"
MONDAY_RUSH = "2024-10-07T07:30"
EXPECTED = {(line, s.station_id) for line in LINES for s in line_stations(line)}
ARRIVAL_TOPICS = sorted({topics.arrivals(s.name, s.station_id) for line in LINES for s in line_stations(line)})
PURPLE_IN_THE_LOOP = {("purple", s.station_id) for s in line_stations("purple") if s.loop}
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
    """Runs the simulation for two seconds (20 steps of a rush hour: every station has riders in each); returns the
    wall-clock start (ms) and its log."""
    started_ms = int(time.time() * 1000)
    result = subprocess.run(
        [sys.executable, "simulation.py", "--sleep", "0.1", "--duration", "2", "--start", MONDAY_RUSH, *options],
        cwd=PRODUCERS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return started_ms, result.stderr


@dataclass
class EveryLine:
    """What a run of all eight lines wrote, read while it ran, and its log."""

    turnstiles: set[tuple[str, int]] = field(default_factory=set)
    """(line, station id) of each turnstile event."""
    arrivals: set[tuple[str, int]] = field(default_factory=set)
    """(line, station id) of each arrival."""
    log: str = ""

    def arrival_lines(self) -> set[str]:
        return {line for line, _ in self.arrivals}


@pytest.fixture(scope="module")
def every_line(running_platform: Settings, bootstrap_servers: str) -> Iterator[EveryLine]:
    """The simulation from a Monday's 6 a.m. in one-minute steps, until its events have named every
    station of every line, trains have arrived on every line and Purple's express has reached the Loop
    (about twenty minutes of simulated time).

    The wait covers all that the tests assert: records come topic by topic, so a wait for the turnstiles
    and Purple alone could end before the reader reached the Yellow shuttle's few arrivals."""
    seen = EveryLine()
    logs = Path(tempfile.mkdtemp(prefix="cta-eight-lines-"))
    argv = ["simulation.py", "--sleep", "0.1", "--time-step", "1", "--start", "2024-10-07T06:00", "--seed", "8"]
    simulation = Script(PRODUCERS, argv, logs / "simulation.log").start()
    names = [topics.TURNSTILE, *ARRIVAL_TOPICS]
    wait_for(lambda: "topics are ready" in simulation.output(), "the simulation's topics", 300)
    avro_ = avro(running_platform.endpoints.schema_registry_url)
    what = "turnstile events at every station, arrivals on every line and Purple's express in the Loop"
    try:
        for message in follow(bootstrap_servers, names, what, "now", 600, keys=avro_, values=avro_):
            value = message.value()
            where = seen.turnstiles if message.topic() == topics.TURNSTILE else seen.arrivals
            where.add((value["line"], value["station_id"]))
            if (
                seen.turnstiles >= EXPECTED
                and seen.arrival_lines() >= set(LINES)
                and seen.arrivals & PURPLE_IN_THE_LOOP
            ):
                break
    finally:
        assert simulation.stop() == 0, simulation.output()[-3000:]
    seen.log = simulation.output()
    yield seen
    shutil.rmtree(logs, ignore_errors=True)


def _values(bootstrap: str, registry_url: str, names: list[str], since_ms: int) -> Iterator[dict[str, Any]]:
    """The values written to ``names`` since ``since_ms``, up to each partition's end as it is now."""
    avro_ = avro(registry_url)
    return (m.value() for m in read_to_end(bootstrap, names, since_ms, 120, keys=avro_, values=avro_))


def test_turnstile_events_name_every_station_of_every_line(every_line: EveryLine) -> None:
    assert len(EXPECTED) == 190
    assert {line for line, _ in every_line.turnstiles} == set(LINES)


def test_trains_arrive_on_every_line_and_purples_express_reaches_the_loop(every_line: EveryLine) -> None:
    assert every_line.arrival_lines() == set(LINES)
    assert every_line.arrivals <= EXPECTED
    assert "The yellow line: 3 stations, 2 train(s) on Dempster-Skokie to Howard." in every_line.log
    assert "Harlem/Lake to Ashland/63rd and Harlem/Lake to Cottage Grove" in every_line.log


def test_the_classic_three_lines_alone(running_platform: Settings, bootstrap_servers: str) -> None:
    started_ms, log = _run("--seed", "9", "--lines", "red,blue,green", "--no-connector")
    assert "Setting up the red line, the blue line and the green line" in log
    lines = {
        v["line"]
        for v in _values(
            bootstrap_servers, running_platform.endpoints.schema_registry_url, [topics.TURNSTILE], started_ms
        )
    }
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
    with psycopg2.connect(running_platform.endpoints.postgres_url) as conn, conn.cursor() as cur:
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
    url = running_platform.endpoints.postgres_url
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
    registry = SchemaRegistryClient({"url": running_platform.endpoints.schema_registry_url})
    subject = f"test-eight-lines-{uuid.uuid4().hex[:8]}-value"
    registry.register_schema(subject, Schema(json.dumps(classic), "AVRO"))
    current = Schema(schemas.load(name), "AVRO")
    assert registry.test_compatibility(subject, current) is True
    registry.register_schema(subject, current)
    assert registry.get_versions(subject) == [1, 2]
    (line,) = [field for field in json.loads(schemas.load(name))["fields"] if field["name"] == "line"]
    assert line["type"] == "string"
