"""The whole product survives SIGKILL of any of its processes mid-run, and a broker failure.

A private platform of three brokers (ports of its own) runs the simulation, the Faust worker,
``ksql.py`` and the status server, as their users start them. While trains run, the test kills
with SIGKILL, one after the other: the Kafka broker that leads the turnstile topic's first
partition, the Schema Registry, the REST Proxy, the KSQL server, Kafka Connect, PostgreSQL, the
Faust worker, the status server and the simulation itself, and brings each back (``stack up``
restarts what is missing; the scripts are started again as their users start them). Before each
kill the test waits until the simulation has written new events, and the simulation runs until
the stream has flowed on after the last kill, so every kill lands mid-stream however slow the
machine is. A browser-like client follows the event stream the whole time, reconnecting as a
browser does when the server goes away. At the end:
  * events were produced after each kill, before the next;
  * the simulation delivered every event it accepted after its restart (its summary: none failed,
    none undelivered), and Kafka holds exactly those plus what the killed run had delivered;
  * every station's count in TURNSTILE_SUMMARY and on the page equals its events in Kafka;
  * the page lists every station once, and its event stream delivered updates after the last kill.
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
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from clients.endpoints import PROJECT_ROOT
from consumers.models.lines import LINES  # the lines the page shows
from cta import topics
from cta.lines import LINES as ALL_LINES
from cta.lines import line_stations
from tests.support.pipeline import page_entries
from tests.support.processes import Script, private_env, run_stack
from tests.support.reading import read_to_end
from tests.support.waiting import wait_for

PROGRESS = 200
"""Turnstile events the simulation must write between two kills (a few seconds at its pace here)."""
SUMMARY = re.compile(r"Produced ([\d,]+) events .* ([\d,]+) failed, ([\d,]+) undelivered")
STATIONS_IN_ORDER = [s.station_id for line in LINES for s in line_stations(line)]
"""Each station once per line serving it, as the page lists them."""
STATIONS = set(STATIONS_IN_ORDER)
ALL_STATIONS = {s.station_id for line in ALL_LINES for s in line_stations(line)}
"""The simulation runs every line; the page shows ``LINES``."""


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
    env = {**os.environ, **private_env(data_dir, brokers=3)}
    running = Product(
        env, data_dir, logs, f"http://localhost:{env['WEB_PORT']}", {"FAUST_WEB_PORT": env["FAUST_WEB_PORT"]}
    )
    running.stack("up", "--brokers", "3")
    try:
        yield running
    finally:
        for script in running.scripts.values():
            script.stop()
        subprocess.run([sys.executable, "-m", "stack", "down"], cwd=PROJECT_ROOT, env=env, check=False, timeout=300)


class EventStream(threading.Thread):
    """One page's event stream for the whole run; remembers when each update arrived.

    Like a browser's EventSource, it connects again (after the ``retry`` the server asks for) when
    the server goes away.
    """

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.updates: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with requests.get(f"{self.url}/events", stream=True, timeout=60) as response:
                    for line in response.iter_lines():
                        if line.startswith(b"event: update"):
                            self.updates.append(time.monotonic())
                        if self.stopping.is_set():
                            return
            except requests.RequestException:
                pass
            self.stopping.wait(2.0)  # the page's `retry: 2000`


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def turnstile_counts(bootstrap: str, registry_url: str) -> Counter[int]:
    """Every turnstile event in Kafka, per station (decoded with Confluent's deserializer)."""
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(topics.TURNSTILE, MessageField.VALUE)
    return Counter(
        deserialize(message.value(), context)["station_id"] for message in read_to_end(bootstrap, [topics.TURNSTILE])
    )


def summary_counts(bootstrap: str) -> dict[int, int]:
    """TURNSTILE_SUMMARY's latest COUNT per station (committed transactions only)."""
    return {
        struct.unpack(">i", message.key())[0]: json.loads(message.value())["COUNT"]
        for message in read_to_end(bootstrap, [topics.TURNSTILE_SUMMARY])
        if message.value() is not None
    }


def turnstile_leader(bootstrap: str) -> int:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topics.TURNSTILE, timeout=10)
    return metadata.topics[topics.TURNSTILE].partitions[0].leader


def event_topics(bootstrap: str) -> list[str]:
    """The turnstile topic and every station's arrivals topic."""
    existing = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=30).topics
    return [topic for topic in existing if topic == topics.TURNSTILE or topic.startswith(topics.ARRIVALS_PREFIX)]


def end_offsets(bootstrap: str, names: list[str]) -> int:
    """The sum of the end offsets of every partition of ``names``: how many records they hold."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4().hex}"})
    try:
        existing = consumer.list_topics(timeout=30).topics
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for topic in names
            for p in existing[topic].partitions
        )
    finally:
        consumer.close()


def produced_so_far(bootstrap: str) -> int:
    """How many turnstile events Kafka holds now."""
    return end_offsets(bootstrap, [topics.TURNSTILE])


def wait_for_progress(bootstrap: str, what: str) -> None:
    """Waits until the simulation has written more events since now, so that the next kill lands mid-stream.

    A condition, not a sleep: however slow the machine, each kill meets a stream still flowing.
    """
    before = produced_so_far(bootstrap)
    wait_for(lambda: produced_so_far(bootstrap) >= before + PROGRESS, f"{PROGRESS} new turnstile events {what}", 180)


def event_times(bootstrap: str) -> list[int]:
    """The timestamp (ms) of every turnstile event and arrival in Kafka."""
    return [message.timestamp()[1] for message in read_to_end(bootstrap, event_topics(bootstrap))]


def settled(bootstrap: str) -> int:
    """How many events Kafka holds once a killed producer's last requests have landed (two reads agree)."""
    names = event_topics(bootstrap)
    reads = [end_offsets(bootstrap, names)]

    def agree() -> bool:
        reads.append(end_offsets(bootstrap, names))
        return reads[-1] == reads[-2]

    wait_for(agree, "Kafka's end offsets to stop growing after the simulation was killed", 60, every=1.0)
    return reads[-1]


def test_kill_9_of_every_process_and_a_broker_failure_lose_and_double_nothing(product: Product) -> None:
    bootstrap = product.env["KAFKA_BOOTSTRAP_SERVERS"]
    faust_argv = ["faust", "-A", "faust_stream", "worker", "-l", "info"]
    # No --duration: the simulation runs until every kill is done and the stream has flowed on after
    # the last one, however long the kills take on this machine.
    simulation_argv = ["simulation.py", "--sleep", "0.5", "--time-step", "1", "--seed", "5"]
    product.script("simulation", "producers", simulation_argv)
    product.script("faust", "consumers", faust_argv, product.faust_env)
    ksql = product.script("ksql", "consumers", ["ksql.py"])
    assert ksql.process is not None and ksql.process.wait(120) == 0, ksql.output()
    product.script("server", "consumers", ["server.py"])
    wait_for(lambda: _answers(product), "the status page answers", 60)
    stream = EventStream(product.url)
    stream.start()
    wait_for(lambda: stream.updates, "the first update on the event stream", 60)
    kills: dict[str, int] = {}
    """What was killed, and when (epoch ms, as Kafka's timestamps)."""

    # A broker: the leader of the turnstile topic's first partition, back once another broker leads.
    leader = turnstile_leader(bootstrap)
    kills["broker"] = _now_ms()
    kill(product.pid(f"kafka-{leader}"))
    wait_for(lambda: turnstile_leader(bootstrap) not in (leader, -1), "another broker leads the partition", 120)
    product.stack("up")
    # Each service of the platform, killed and started again by `stack up`.
    for service in ("schema-registry", "rest-proxy", "ksql", "connect", "postgres"):
        wait_for_progress(bootstrap, f"before killing {service}")
        kills[service] = _now_ms()
        kill(product.pid(service))
        product.stack("up")
    # The application's long-running scripts, killed and started again as their users start them.
    for name, folder, argv, env in (
        ("faust", "consumers", faust_argv, product.faust_env),
        ("server", "consumers", ["server.py"], None),
    ):
        wait_for_progress(bootstrap, f"before killing the {name} script")
        kills[name] = _now_ms()
        product.scripts[name].kill()
        product.script(name, folder, argv, env)
    # The simulation last: what it had not delivered is gone with it (Kafka never acknowledged it);
    # what Kafka holds is counted, and the restarted simulation's events are added to it.
    wait_for_progress(bootstrap, "before killing the simulation")
    kills["simulation"] = _now_ms()
    product.scripts["simulation"].kill()
    delivered_before = settled(bootstrap)
    simulation = product.script("simulation", "producers", simulation_argv)
    last_kill = time.monotonic()
    wait_for_progress(bootstrap, "after the last kill")
    wait_for(lambda: any(t > last_kill for t in stream.updates), "an update on the event stream after the kills", 120)

    assert simulation.stop() == 0, simulation.output()[-3000:]
    found = SUMMARY.search(simulation.output())
    assert found is not None, simulation.output()[-3000:]
    produced, failed, undelivered = (int(group.replace(",", "")) for group in found.groups())
    assert (failed, undelivered) == (0, 0)

    times = event_times(bootstrap)
    assert len(times) == delivered_before + produced
    ends = [*list(kills.values())[1:], max(times)]
    for (what, killed), next_kill in zip(kills.items(), ends, strict=True):
        assert any(killed < t <= next_kill for t in times), f"no event was produced after {what} was killed"

    in_kafka = turnstile_counts(bootstrap, product.env["SCHEMA_REGISTRY_URL"])
    assert in_kafka and set(in_kafka) <= ALL_STATIONS
    wait_for(lambda: summary_counts(bootstrap) == in_kafka, "TURNSTILE_SUMMARY equals the events in Kafka", 120)
    shown = {station_id: count for station_id, count in in_kafka.items() if station_id in STATIONS}
    wait_for(lambda: page_entries(product.status()) == shown, "the page's totals equal the events in Kafka", 120)
    stations = [s["station_id"] for line in product.status()["lines"] for s in line["stations"]]
    assert sorted(stations) == sorted(STATIONS_IN_ORDER)
    stream.stopping.set()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _answers(product: Product) -> bool:
    try:
        return requests.get(f"{product.url}/healthz", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
