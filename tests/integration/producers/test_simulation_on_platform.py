"""The simulation, the connector and the weather against the running platform (real processes).

One seeded simulation run (with the connector configured, as `python simulation.py` does) feeds
the checks of topics and records; records are read back with confluent-kafka's own
``DeserializingConsumer`` and ``AvroDeserializer`` through the Schema Registry.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from clients.endpoints import PROJECT_ROOT
from cta.config import SimulationConfig
from cta.topics import TURNSTILE
from cta.topics import arrivals as topic_name
from producers.models.data import LINES, line_stations
from producers.models.line import RUN_PREFIX
from producers.models.producer import KafkaWriter
from producers.models.weather import Weather
from stack.settings import Settings
from tests.support.reading import avro, follow, read_to_end
from tests.support.waiting import wait_for

PRODUCERS = PROJECT_ROOT / "producers"
ARRIVAL_FIELDS = {
    "station_id",
    "train_id",
    "direction",
    "line",
    "train_status",
    "prev_station_id",
    "prev_direction",
}
STATION_COLUMNS = {
    "stop_id",
    "direction_id",
    "stop_name",
    "station_name",
    "station_descriptive_name",
    "station_id",
    "order",
    *LINES,
}


@dataclass(frozen=True)
class SimulationRun:
    log: str
    started_ms: int
    """Wall-clock start of the run: records older than this come from earlier runs."""
    registry_url: str


@pytest.fixture(scope="module")
def simulation(running_platform: Settings) -> SimulationRun:
    started_ms = int(time.time() * 1000)
    result = subprocess.run(
        [sys.executable, "simulation.py", "--sleep", "0.2", "--duration", "8", "--seed", "3"],
        cwd=PRODUCERS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return SimulationRun(result.stderr, started_ms, running_platform.endpoints.schema_registry_url)


def _consume(bootstrap: str, topics: list[str], since_ms: int, minimum: int, registry_url: str = "") -> list[Message]:
    """Records of ``topics`` written since ``since_ms``: once at least ``minimum`` are there, up to the end
    of each partition as it is then; decoded with the registry at ``registry_url`` if given."""
    what = f"{minimum} record(s) of {', '.join(topics)}"
    for seen, _ in enumerate(follow(bootstrap, topics, what, since_ms), start=1):
        if seen >= minimum:
            break
    avro_ = avro(registry_url) if registry_url else None
    return read_to_end(bootstrap, topics, since_ms, keys=avro_, values=avro_)


def test_every_topic_exists(simulation: SimulationRun, bootstrap_servers: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    topics = set(admin.list_topics(timeout=10).topics)
    stations = {s.station_id: s.name for color in LINES for s in line_stations(color)}
    expected = {topic_name(name, station_id) for station_id, name in stations.items()}
    expected |= {"org.chicago.cta.turnstile.v1", "org.chicago.cta.weather.v1", "org.chicago.cta.stations"}
    assert expected - topics == set()
    assert f"{len(stations) + 2} topics are ready" in simulation.log  # and the turnstile's and the weather's


def test_arrivals_decode_with_every_documented_field(simulation: SimulationRun, bootstrap_servers: str) -> None:
    topics = [topic_name("Clark/Lake", 40380), topic_name("Howard", 40900), topic_name("Forest Park", 40390)]
    messages = _consume(bootstrap_servers, topics, simulation.started_ms, 3, registry_url=simulation.registry_url)
    lines_seen = set()
    for message in messages:
        value = message.value()
        assert set(value) == ARRIVAL_FIELDS
        assert set(message.key()) == {"timestamp"}
        assert value["direction"] in ("a", "b")
        assert value["line"] in LINES
        assert value["train_status"] in ("in_service", "out_of_service", "broken_down")
        assert value["train_id"][:2] == RUN_PREFIX[value["line"]] and len(value["train_id"]) == 5
        assert (value["prev_station_id"] is None) == (value["prev_direction"] is None)
        lines_seen.add(value["line"])
    assert {"blue", "green", "red", "brown", "orange", "pink", "purple", "yellow"} <= lines_seen  # six at Clark/Lake
    assert any(message.value()["prev_station_id"] is not None for message in messages)


def test_turnstile_entries_decode_with_every_documented_field(
    simulation: SimulationRun, bootstrap_servers: str
) -> None:
    messages = _consume(
        bootstrap_servers,
        ["org.chicago.cta.turnstile.v1"],
        simulation.started_ms,
        100,
        registry_url=simulation.registry_url,
    )
    stations = {s.station_id: s.name for color in LINES for s in line_stations(color)}
    for message in messages:
        value = message.value()
        assert set(value) == {"station_id", "station_name", "line", "entry_time"}
        assert stations[value["station_id"]] == value["station_name"]
        assert value["line"] in LINES
        assert value["entry_time"] == message.key()["timestamp"]  # the simulated time, where KSQL reads it


def test_weather_arrives_through_the_rest_proxy(simulation: SimulationRun, bootstrap_servers: str) -> None:
    messages = _consume(
        bootstrap_servers,
        ["org.chicago.cta.weather.v1"],
        simulation.started_ms,
        1,
        registry_url=simulation.registry_url,
    )
    for message in messages:
        assert set(message.value()) == {"temperature", "status"}
        assert isinstance(message.value()["temperature"], float)
        assert message.value()["status"] in ("sunny", "partly_cloudy", "cloudy", "windy", "precipitation")
    assert "weather observation(s) sent" in simulation.log.splitlines()[-1]
    assert " 0 weather observation(s)" not in simulation.log


def test_stations_topic_holds_every_stop_exactly_once(simulation: SimulationRun, bootstrap_servers: str) -> None:
    messages = _consume(bootstrap_servers, ["org.chicago.cta.stations"], 0, minimum=300)
    rows = [json.loads(message.value()) for message in messages]
    assert all(set(row) == STATION_COLUMNS for row in rows)
    assert sorted(row["stop_id"] for row in rows) == sorted({row["stop_id"] for row in rows})
    assert len(rows) == 300


def test_connector_script_is_idempotent(running_platform: Settings) -> None:
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "connector.py"], cwd=PRODUCERS, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
    assert "already configured" in result.stderr


def test_connector_script_says_in_one_line_when_connect_is_down() -> None:
    env = {**os.environ, "KAFKA_CONNECT_URL": "http://localhost:9"}
    result = subprocess.run(
        [sys.executable, "connector.py"], cwd=PRODUCERS, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Kafka Connect is not reachable at http://localhost:9 (ConnectionError): "
        "start the platform (`python -m stack up`) or set KAFKA_CONNECT_URL."
    ]


def turnstile_events(bootstrap: str) -> int:
    """How many records the turnstile topic holds (0 before a simulation has created it)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-producers-{uuid.uuid4().hex[:8]}"})
    try:
        topic = consumer.list_topics(TURNSTILE, timeout=10).topics[TURNSTILE]
        if topic.error is not None:
            return 0
        return sum(
            consumer.get_watermark_offsets(TopicPartition(TURNSTILE, p), timeout=10)[1] for p in topic.partitions
        )
    finally:
        consumer.close()


def test_sigterm_stops_the_simulation_and_flushes(bootstrap_servers: str) -> None:
    """SIGTERM once the simulation's first events are in Kafka (so that others are on their way)."""
    before = turnstile_events(bootstrap_servers)
    process = subprocess.Popen(
        [sys.executable, "simulation.py", "--sleep", "0.05", "--no-connector", "--seed", "5"],
        cwd=PRODUCERS,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Simulating from" in line:
            break
    wait_for(lambda: turnstile_events(bootstrap_servers) > before, "the simulation's first events in Kafka")
    process.send_signal(signal.SIGTERM)
    rest = process.stderr.read()
    assert process.wait(60) == 0
    assert "Received SIGTERM" in rest
    assert "0 failed, 0 undelivered" in rest.splitlines()[-1]


class _FailingProxy(BaseHTTPRequestHandler):
    """Answers the first two POSTs as a broken REST Proxy would, then accepts."""

    posts: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FailingProxy.posts.append(body)
        if len(_FailingProxy.posts) <= 2:
            status, answer = 500, {"error_code": 50002, "message": "Kafka is having a bad day"}
        else:
            status, answer = 200, {"offsets": [{"partition": 0, "offset": i} for i in range(len(body["records"]))]}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.kafka.v2+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def failing_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FailingProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("REST_PROXY_URL", url)
    yield url
    server.shutdown()


def test_a_failing_weather_post_is_logged_with_the_proxys_message_and_sent_later(
    running_platform: Settings, failing_proxy: str, caplog: pytest.LogCaptureFixture
) -> None:
    where = dataclasses.replace(running_platform.endpoints, rest_proxy_url=failing_proxy)
    weather = Weather(KafkaWriter(SimulationConfig(where)), random.Random(1))
    for hour in range(3):
        weather.run(datetime(2024, 1, 15, hour))
    assert "Kafka is having a bad day" in caplog.text
    assert [len(post["records"]) for post in _FailingProxy.posts] == [1, 2, 3]
    assert weather.delivered == 3
    assert all(record["value"]["temperature"] < 50 for record in _FailingProxy.posts[-1]["records"])  # January
