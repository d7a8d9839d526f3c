"""The status page: from an arrival's produce to a browser's push event, against the classic page; apply rate.

The real status server (``consumers/server.py``) runs on the platform with the stations table in
Kafka (the stations connector and the Faust worker fill it first if needed). Arrivals go to an
arrivals topic of the benchmark's own (the server's pattern picks it up; it is deleted at the end).

* Push latency: 100, then 1,000 clients hold ``/events`` open while 150 arrivals are produced,
  each for a train of its own: ``ticks``, as the simulation delivers them (a tick's arrivals
  together, 10 a tick, a tick a second: five times its default pace), and ``steady``, a harder
  load (one every 0.1 s, each an update of its own). A client's latency is from the produce call
  to the moment it has read the event naming that train; p50 and p99 over 100 clients spread over
  the connection order (the others read and drop everything). Goals, for ticks: p99 <= 100 ms with
  100 clients, <= 250 ms with 1,000.
* The classic design, measured on the same arrivals: a consumer polling as the classic
  ``consumer.py`` does (``poll(0.1)`` until nothing comes, then ``sleep(1.0)``), and a page that
  reloads every 2 s; a page sees an arrival at its first reload after the consumer applied it
  (100 pages, reload times spread evenly over the 2 s).
* Apply rate: 20,000 arrivals produced at once; messages the server applies per second, from the
  first produce until its ``/healthz`` counts them all.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import Consumer, SerializingProducer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer

from clients.endpoints import PROJECT_ROOT, endpoints
from clients.kafka import create_topic
from cta import schemas, topics
from producers.connector import configure_connector
from producers.models.data import LINES, line_stations

CONSUMERS = PROJECT_ROOT / "consumers"
CLIENTS = (100, 1000)
GOAL_P99_MS = {100: 100.0, 1000: 250.0}
MEASURED = 100
PATTERNS = {
    # As the simulation delivers them: a tick's arrivals together, a tick a second (5x its default pace).
    "ticks": {"bursts": 15, "size": 10, "every": 1.0},
    # A harder load: the same arrivals one by one, every 0.1 s, each an update of its own.
    "steady": {"bursts": 150, "size": 1, "every": 0.1},
}
APPLY_MESSAGES = 20_000
RELOAD_EVERY = 2.0
CLASSIC_POLL, CLASSIC_SLEEP = 0.1, 1.0
TRAIN = re.compile(rb'"train_id":"(B\d{6})"')
RED = [station.station_id for station in line_stations("red")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(argv, cwd=CONSUMERS, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **env})


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait(condition: Any, what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)
    return value


def _stations_in_table(bootstrap: str) -> set[tuple[str, int]]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topics.STATIONS_TABLE])
    found = set()
    try:
        while batch := consumer.consume(1000, 3.0):
            for message in batch:
                if message.error() is None:
                    value = json.loads(message.value())
                    found.add((value["line"], value["station_id"]))
    finally:
        consumer.close()
    return found


def _ensure_stations(bootstrap: str, logs: Path) -> None:
    """The stations table must hold every station: if it does not, Connect and the Faust worker fill it."""
    expected = {(line, s.station_id) for line in LINES for s in line_stations(line)}
    if _stations_in_table(bootstrap) >= expected:
        return
    configure_connector()
    worker = _spawn(
        [str(Path(sys.executable).parent / "faust"), "-A", "faust_stream", "worker", "-l", "info"],
        logs / "faust.log",
        {"FAUST_WEB_PORT": str(_free_port())},
    )
    try:
        _wait(lambda: _stations_in_table(bootstrap) >= expected, "the Faust worker writing every station", 180)
    finally:
        _stop(worker)


class Arrivals:
    """Avro arrivals of made-up trains at red line stations, into the benchmark's own arrivals topic."""

    def __init__(self, bootstrap: str, registry_url: str) -> None:
        self.topic = f"{topics.ARRIVALS_PREFIX}bench_{uuid.uuid4().hex[:8]}"
        create_topic(AdminClient({"bootstrap.servers": bootstrap}), self.topic)
        self.registry = SchemaRegistryClient({"url": registry_url})
        self.producer = SerializingProducer(
            {
                "bootstrap.servers": bootstrap,
                "linger.ms": 0,  # each arrival on its own, as soon as it is produced
                "key.serializer": AvroSerializer(self.registry, schemas.load("arrival_key")),
                "value.serializer": AvroSerializer(self.registry, schemas.load("arrival_value")),
            }
        )
        self.sent = 0

    def produce(self, train_id: str) -> float:
        """Produces an arrival of ``train_id``; returns when (``perf_counter``)."""
        value = {
            "station_id": RED[self.sent % len(RED)],
            "train_id": train_id,
            "direction": "b",
            "line": "red",
            "train_status": "in_service",
            "prev_station_id": None,
            "prev_direction": None,
        }
        self.sent += 1
        started = time.perf_counter()
        self.producer.produce(self.topic, key={"timestamp": int(time.time() * 1000)}, value=value)
        self.producer.poll(0)
        return started

    def close(self, bootstrap: str) -> None:
        self.producer.flush(30)
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.delete_topics([self.topic])[self.topic].result(30)
        for subject in (f"{self.topic}-key", f"{self.topic}-value"):
            self.registry.delete_subject(subject)
            self.registry.delete_subject(subject, permanent=True)


async def _client(port: int, seen: dict[bytes, float] | None, ready: asyncio.Event) -> None:
    """One page's event stream; ``seen`` (if given) records when each benchmark train first appears."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    writer.write(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    await reader.readuntil(b"\n\n")  # the retry advice
    await reader.readuntil(b"\n\n")  # the snapshot: the page is drawn
    ready.set()
    try:
        if seen is None:
            while await reader.read(1 << 16):
                pass
            return
        while line := await reader.readline():
            if line.startswith(b"data: "):
                now = time.perf_counter()
                for train in TRAIN.findall(line):
                    seen.setdefault(train, now)
    finally:
        writer.close()


def _health(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/healthz", timeout=10).json()


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class ClassicPage:
    """The classic design: its consumer loop (sleeping 1 s when idle) feeding a page reloaded every 2 s."""

    def __init__(self, bootstrap: str, registry_url: str, topic: str) -> None:
        self.applied: dict[bytes, float] = {}
        self._stop = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-classic-{uuid.uuid4().hex}"})
        self._decode = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
        end = self._consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        self._consumer.assign([TopicPartition(topic, 0, end)])  # from now on, like the page's live arrivals
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            while (message := self._consumer.poll(CLASSIC_POLL)) is not None:
                if message.error() is None:
                    train = self._decode(message.value(), None)["train_id"].encode()
                    self.applied.setdefault(train, time.perf_counter())
            self._stop.wait(CLASSIC_SLEEP)

    def latencies(self, produced: dict[bytes, float]) -> list[float]:
        """Milliseconds until each of 100 pages, reloading every 2 s at evenly spread times, shows each arrival."""
        found = []
        for page in range(MEASURED):
            phase = RELOAD_EVERY * page / MEASURED
            for train, at in produced.items():
                applied = self.applied[train]
                reload = phase + RELOAD_EVERY * -(-(applied - phase) // RELOAD_EVERY)  # first reload at or after
                found.append((reload - at) * 1000)
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()


async def _push_latency(
    port: int, url: str, arrivals: Arrivals, clients: int, round_: int, pattern: str
) -> dict[str, Any]:
    step = max(1, clients // MEASURED)
    seen = [{} for _ in range(0, clients, step)]
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.create_task(_client(port, seen[n // step] if n % step == 0 else None, readies[n]))
        for n in range(clients)
    ]
    await asyncio.gather(*(ready.wait() for ready in readies))
    await asyncio.to_thread(_wait, lambda: _health(url)["listeners"] >= clients, "every client connected", 60)
    produced: dict[bytes, float] = {}
    plan = PATTERNS[pattern]
    for burst in range(plan["bursts"]):
        for n in range(plan["size"]):
            train = f"B{round_:02d}{burst * plan['size'] + n:04d}".encode()
            produced[train] = arrivals.produce(train.decode())
        await asyncio.sleep(plan["every"])
    last = max(produced, key=produced.__getitem__)
    deadline = time.monotonic() + 30
    while not all(last in client for client in seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    held = (await asyncio.to_thread(_health, url))["listeners"]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(client[train] - at) * 1000 for client in seen for train, at in produced.items() if train in client]
    missing = len(seen) * len(produced) - len(latencies)
    if missing:
        raise RuntimeError(f"{missing} push events never reached their clients")
    return {"produced": produced, "latencies": latencies, "held": held}


def _apply_rate(url: str, arrivals: Arrivals) -> float:
    before = _health(url)["applied"]
    started = time.perf_counter()
    for n in range(APPLY_MESSAGES):
        arrivals.produce(f"A{n % 10:06d}")
    arrivals.producer.flush(60)
    _wait(lambda: _health(url)["applied"] >= before + APPLY_MESSAGES, "the server applying every arrival", 120)
    return APPLY_MESSAGES / (time.perf_counter() - started)


def run() -> list[dict[str, Any]]:
    settings = endpoints()
    bootstrap, registry_url = settings.kafka_bootstrap_servers, settings.schema_registry_url
    logs = Path(tempfile.mkdtemp(prefix="bench-consumers-"))
    _ensure_stations(bootstrap, logs)
    port = _free_port()
    url = f"http://localhost:{port}"
    server = _spawn([sys.executable, "server.py"], logs / "server.log", {"WEB_PORT": str(port)})
    arrivals = Arrivals(bootstrap, registry_url)
    rows: list[dict[str, Any]] = []
    try:
        _wait(lambda: _health_or_none(url), "the status server answering", 60)
        # The server finds the new topic at its next metadata refresh: wait until an arrival comes through.
        _wait(lambda: _sees_warm_up(port, arrivals), "the server reading the benchmark's topic", 60)
        classic = ClassicPage(bootstrap, registry_url, arrivals.topic)
        try:
            rounds = [(pattern, clients) for clients in CLIENTS for pattern in PATTERNS]
            for round_, (pattern, clients) in enumerate(rounds):
                result = asyncio.run(_push_latency(port, url, arrivals, clients, round_, pattern))
                p50, p99 = _percentile(result["latencies"], 50), _percentile(result["latencies"], 99)
                print(f"{clients:,} clients ({result['held']:,} held), {pattern}: p50 {p50:.1f} ms, p99 {p99:.1f} ms.")
                goal = {"goal": f"<= {GOAL_P99_MS[clients]:.0f} ms"} if pattern == "ticks" else {}
                rows += [
                    {"metric": f"push p50, {clients:,} clients, {pattern}", "value": p50, "unit": "ms"},
                    {"metric": f"push p99, {clients:,} clients, {pattern}", "value": p99, "unit": "ms", **goal},
                ]
                if pattern == "ticks":
                    rows.append(
                        {"metric": f"live clients held ({clients:,} connected)", "value": result["held"], "unit": ""}
                    )
                if round_ == 0:
                    classic_latencies = classic.latencies(result["produced"])
        finally:
            classic.close()
        c50, c99 = _percentile(classic_latencies, 50), _percentile(classic_latencies, 99)
        print(f"Classic page (1 s consumer sleep, 2 s reload): p50 {c50:.0f} ms, p99 {c99:.0f} ms.")
        rows += [
            {"metric": "classic page (reload 2 s) latency p50", "value": c50, "unit": "ms"},
            {"metric": "classic page (reload 2 s) latency p99", "value": c99, "unit": "ms"},
        ]
        rate = _apply_rate(url, arrivals)
        print(f"The server applied {rate:,.0f} messages/s.")
        rows.append({"metric": "messages applied by the server", "value": rate, "unit": "msg/s"})
    finally:
        _stop(server)
        arrivals.close(bootstrap)
    return rows


def _health_or_none(url: str) -> dict[str, Any] | None:
    try:
        health = _health(url)
    except requests.ConnectionError:
        return None
    return health if health["caught_up"] else None


def _sees_warm_up(port: int, arrivals: Arrivals) -> bool:
    async def watch() -> bool:
        seen: dict[bytes, float] = {}
        ready = asyncio.Event()
        task = asyncio.create_task(_client(port, seen, ready))
        await ready.wait()
        train = f"B99{arrivals.sent:04d}"
        arrivals.produce(train)
        for _ in range(20):
            await asyncio.sleep(0.1)
            if train.encode() in seen:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return train.encode() in seen

    return asyncio.run(watch())


if __name__ == "__main__":
    run()
