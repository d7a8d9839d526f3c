"""The whole product survives failures mid-run: a broker, each of our servers and the Faust worker.

A private platform of three brokers (ports of its own) runs the simulation, the Faust worker,
``ksql.py`` and the status server, as their users start them. While trains run, the test kills
with SIGKILL, one after the other: the Kafka broker that leads the turnstile topic's first
partition, the Schema Registry, the REST Proxy, the KSQL server and the Faust worker, and brings
each back (``stack up`` restarts what is missing; the worker is started again). A browser-like
client holds one event stream open the whole time. At the end:
  * the simulation delivered every event (its summary: none failed, none undelivered), and Kafka
    holds exactly as many arrivals and turnstile events as it reports;
  * every station's count in TURNSTILE_SUMMARY and on the page equals its events in Kafka;
  * the page lists every station once, and its event stream kept delivering after the last kill,
    without a reload.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from confluent_kafka import Consumer, DeserializingConsumer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from cta import topics
from producers.models.data import LINES, line_stations
from stack.settings import PROJECT_ROOT
from tests.helpers import Script, free_port, page_entries, run_stack, wait_for

pytestmark = pytest.mark.platform  # starts a private platform of its own

KAFKA_PORT = 19592
PRIVATE_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": ",".join(f"localhost:{KAFKA_PORT + n}" for n in range(3)),
    "KAFKA_CONNECT_URL": "http://localhost:18583",
    "POSTGRES_URL": "postgresql://cta_admin:chicago@localhost:15832/cta",
    "SCHEMA_REGISTRY_URL": "http://localhost:18581",
    "REST_PROXY_URL": "http://localhost:18582",
    "KSQL_URL": "http://localhost:18588",
}
SIMULATION_SECONDS = 75
SUMMARY = re.compile(r"Produced ([\d,]+) events .* ([\d,]+) failed, ([\d,]+) undelivered")
STATIONS = {s.station_id for line in LINES for s in line_stations(line)}


@dataclass
class Product:
    env: dict[str, str]
    data_dir: Path
    logs: Path
    url: str
    faust_env: dict[str, str]
    scripts: dict[str, Script] = field(default_factory=dict)

    def stack(self, *args: str) -> None:
        run_stack(self.env, *args)

    def pid(self, service: str) -> int:
        return json.loads((self.data_dir / "services.json").read_text())["services"][service]["pid"]

    def script(self, name: str, folder: str, argv: list[str], env: dict[str, str] | None = None) -> Script:
        script = Script(PROJECT_ROOT / folder, argv, self.logs / f"{name}.log", {**self.env, **(env or {})})
        self.scripts[name] = script.start()
        return script

    def status(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/api/status", timeout=10).json()


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data_dir = tmp_path_factory.mktemp("faults-platform")
    logs = tmp_path_factory.mktemp("faults-logs")
    web_port = free_port()
    env = {**os.environ, **PRIVATE_ENV, "STACK_DATA_DIR": str(data_dir), "WEB_PORT": str(web_port)}
    running = Product(env, data_dir, logs, f"http://localhost:{web_port}", {"FAUST_WEB_PORT": str(free_port())})
    running.stack("up", "--brokers", "3")
    try:
        yield running
    finally:
        for script in running.scripts.values():
            script.stop()
        subprocess.run([sys.executable, "-m", "stack", "down"], cwd=PROJECT_ROOT, env=env, check=False, timeout=300)


class EventStream(threading.Thread):
    """One page's event stream, held open for the whole run; remembers when each update arrived."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.updates: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with requests.get(f"{self.url}/events", stream=True, timeout=60) as response:
            for line in response.iter_lines():
                if line.startswith(b"event: update"):
                    self.updates.append(time.monotonic())
                if self.stopping.is_set():
                    return


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def turnstile_counts(bootstrap: str, registry_url: str) -> Counter[int]:
    """Every turnstile event in Kafka, per station."""
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry_url})),
        }
    )
    consumer.subscribe([topics.TURNSTILE])
    counts: Counter[int] = Counter()
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 5:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                counts[message.value()["station_id"]] += 1
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return counts


def summary_counts(bootstrap: str) -> dict[int, int]:
    """TURNSTILE_SUMMARY's latest COUNT per station (committed transactions only)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topics.TURNSTILE_SUMMARY])
    latest: dict[int, int] = {}
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 5:
            for message in consumer.consume(10_000, 0.5):
                if message.error() is None and message.value() is not None:
                    latest[struct.unpack(">i", message.key())[0]] = json.loads(message.value())["COUNT"]
                    quiet_since = time.monotonic()
    finally:
        consumer.close()
    return latest


def arrivals_in_kafka(bootstrap: str) -> int:
    """How many arrival records the stations' topics hold."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([f"^{re.escape(topics.ARRIVALS_PREFIX)}.+"])
    count = 0
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 5:
            batch = consumer.consume(10_000, 0.5)
            count += sum(1 for message in batch if message.error() is None)
            if batch:
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return count


def turnstile_leader(bootstrap: str) -> int:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topics.TURNSTILE, timeout=10)
    return metadata.topics[topics.TURNSTILE].partitions[0].leader


def test_a_run_through_a_broker_failure_and_kill_9_of_every_server_loses_and_doubles_nothing(product: Product) -> None:
    bootstrap = product.env["KAFKA_BOOTSTRAP_SERVERS"]
    simulation = product.script(
        "simulation",
        "producers",
        ["simulation.py", "--sleep", "0.5", "--time-step", "1", "--duration", str(SIMULATION_SECONDS), "--seed", "5"],
    )
    product.script("faust", "consumers", ["faust", "-A", "faust_stream", "worker", "-l", "info"], product.faust_env)
    ksql = product.script("ksql", "consumers", ["ksql.py"])
    assert ksql.process is not None and ksql.process.wait(120) == 0, ksql.output()
    product.script("server", "consumers", ["server.py"])
    wait_for(lambda: _answers(product), "the status page answers", 60)
    stream = EventStream(product.url)
    stream.start()
    wait_for(lambda: stream.updates, "the first update on the event stream", 60)

    # A broker: the leader of the turnstile topic's first partition, back after a while.
    kill(product.pid(f"kafka-{turnstile_leader(bootstrap)}"))
    time.sleep(8)
    product.stack("up")
    # Each of our servers, killed and started again by `stack up`.
    for service in ("schema-registry", "rest-proxy", "ksql"):
        time.sleep(4)
        kill(product.pid(service))
        product.stack("up")
    # The Faust worker, killed and started again as its users start it.
    time.sleep(4)
    faust = product.scripts["faust"]
    assert faust.process is not None
    kill(faust.process.pid)
    faust.process.wait(10)
    product.script("faust", "consumers", ["faust", "-A", "faust_stream", "worker", "-l", "info"], product.faust_env)
    last_kill = time.monotonic()

    assert simulation.process is not None and simulation.process.wait(SIMULATION_SECONDS + 120) == 0
    found = SUMMARY.search(simulation.output())
    assert found is not None, simulation.output()[-3000:]
    produced, failed, undelivered = (int(group.replace(",", "")) for group in found.groups())
    assert (failed, undelivered) == (0, 0)

    in_kafka = turnstile_counts(bootstrap, PRIVATE_ENV["SCHEMA_REGISTRY_URL"])
    assert in_kafka and set(in_kafka) <= STATIONS
    wait_for(lambda: summary_counts(bootstrap) == in_kafka, "TURNSTILE_SUMMARY equals the events in Kafka", 120)
    wait_for(
        lambda: page_entries(product.status()) == dict(in_kafka), "the page's totals equal the events in Kafka", 120
    )

    stations = [s["station_id"] for line in product.status()["lines"] for s in line["stations"]]
    assert sorted(stations) == sorted(s.station_id for line in LINES for s in line_stations(line))
    assert any(t > last_kill for t in stream.updates), "the page's event stream stopped after the kills"
    assert arrivals_in_kafka(bootstrap) + sum(in_kafka.values()) == produced
    stream.stopping.set()


def _answers(product: Product) -> bool:
    try:
        return requests.get(f"{product.url}/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
