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
* The classic design, measured with readers: ``bench/classic_page.py`` serves the page as the classic
  project did (rendered at each request from state its consumer keeps; the consumer polls on the
  page's event loop, ``poll(0.1)`` until nothing comes, then ``sleep(1.0)``), and 100 HTTP clients
  reload it every 2 s, their reloads spread evenly over the 2 s. The same ``ticks`` arrivals, each
  at a platform of its own (so none is replaced before a reload can show it); a reader's latency is
  from the produce call to the end of the first reload whose page shows the train.
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
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from confluent_kafka import SerializingProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from clients.endpoints import PROJECT_ROOT, endpoints
from clients.kafka import create_topic
from cta import schemas, topics
from producers.connector import configure_connector
from producers.models.data import LINES, line_stations
from tests.support.reading import read_to_end
from tests.support.waiting import wait_for

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
DELIVERY = {"ticks": "10 together each second", "steady": "one every 0.1 s"}
APPLY_MESSAGES = 20_000
RELOAD_EVERY = 2.0
CLASSIC_READERS = 100
TRAIN = re.compile(rb'"train_id":"(B\d{6})"')
TRAIN_ON_PAGE = re.compile(rb"B\d{6}")
CONTENT_LENGTH = re.compile(rb"content-length: *(\d+)", re.IGNORECASE)
RED = [station.station_id for station in line_stations("red")]
PLATFORMS = [(s, d) for s in sorted({s.station_id for line in LINES for s in line_stations(line)}) for d in "ab"]
"""Every platform of the 'L': the classic round puts each arrival at one of its own."""


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


def _stations_in_table(bootstrap: str) -> set[tuple[str, int]]:
    """The (line, station) pairs in the stations table's topic now."""
    rows = (json.loads(m.value()) for m in read_to_end(bootstrap, [topics.STATIONS_TABLE]))
    return {(row["line"], row["station_id"]) for row in rows}


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
        wait_for(lambda: _stations_in_table(bootstrap) >= expected, "the Faust worker writing every station", 180)
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

    def produce(self, train_id: str, platform: tuple[int, str] | None = None) -> float:
        """Produces an arrival of ``train_id`` (at ``platform``, else the next red line station); returns when."""
        station, direction = platform or (RED[self.sent % len(RED)], "b")
        value = {
            "station_id": station,
            "train_id": train_id,
            "direction": direction,
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


async def _reader(port: int, phase: float, seen: dict[bytes, float], ready: asyncio.Event) -> None:
    """A reader of the classic page: reloads it every 2 s from ``phase`` on, noting when each train first shows."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_reload = time.perf_counter() + phase
    try:
        while True:
            await asyncio.sleep(max(0.0, next_reload - time.perf_counter()))
            writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = CONTENT_LENGTH.search(head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
            now = time.perf_counter()
            for train in TRAIN_ON_PAGE.findall(body):
                seen.setdefault(train, now)
            ready.set()
            while next_reload <= now:  # a slow answer skips the reloads it overran, as a browser's timer would
                next_reload += RELOAD_EVERY
    finally:
        writer.close()


async def _classic_latency(port: int, arrivals: Arrivals) -> list[float]:
    """Milliseconds from each arrival's produce to each reader's first reload that shows it."""
    seen: list[dict[bytes, float]] = [{} for _ in range(CLASSIC_READERS)]
    readies = [asyncio.Event() for _ in range(CLASSIC_READERS)]
    tasks = [
        asyncio.create_task(_reader(port, RELOAD_EVERY * n / CLASSIC_READERS, seen[n], readies[n]))
        for n in range(CLASSIC_READERS)
    ]
    await asyncio.gather(*(ready.wait() for ready in readies))
    produced: dict[bytes, float] = {}
    plan, platforms = PATTERNS["ticks"], iter(PLATFORMS)
    for burst in range(plan["bursts"]):
        for n in range(plan["size"]):
            train = f"B90{burst * plan['size'] + n:04d}"
            produced[train.encode()] = arrivals.produce(train, next(platforms))
        await asyncio.sleep(plan["every"])
    deadline = time.monotonic() + 30
    while not all(train in page for page in seen for train in produced) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [(page[train] - at) * 1000 for page in seen for train, at in produced.items() if train in page]
    missing = len(seen) * len(produced) - len(latencies)
    if missing:
        raise RuntimeError(f"{missing} arrivals never showed on a reload of the classic page")
    return latencies


def _classic_page(logs: Path, arrivals: Arrivals) -> list[float]:
    """The classic page's latencies, its server started for the round and stopped after it."""
    port = _free_port()
    page = subprocess.Popen(
        [sys.executable, "-m", "bench.classic_page", arrivals.topic, str(port)],
        cwd=PROJECT_ROOT,
        stdout=(logs / "classic_page.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _answers(f"http://localhost:{port}/"), "the classic page answering", 60)
        return asyncio.run(_classic_latency(port, arrivals))
    finally:
        _stop(page)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).ok
    except requests.ConnectionError:
        return False


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
    await asyncio.to_thread(wait_for, lambda: _health(url)["listeners"] >= clients, "every client connected", 60)
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
    wait_for(lambda: _health(url)["applied"] >= before + APPLY_MESSAGES, "the server applying every arrival", 120)
    return APPLY_MESSAGES / (time.perf_counter() - started)


def run() -> list[dict[str, Any]]:
    settings = endpoints()
    bootstrap, registry_url = settings.kafka_bootstrap_servers, settings.schema_registry_url
    logs = Path(tempfile.mkdtemp(prefix="bench-consumers-"))
    _ensure_stations(bootstrap, logs)
    arrivals = Arrivals(bootstrap, registry_url)
    try:
        rows = _status_server(logs, arrivals)
        latencies = _classic_page(logs, arrivals)  # alone: the status server is stopped by now
    finally:
        arrivals.close(bootstrap)
    c50, c99 = _percentile(latencies, 50), _percentile(latencies, 99)
    print(
        f"Classic page ({CLASSIC_READERS} readers reloading every {RELOAD_EVERY:g} s): p50 {c50:.0f}, p99 {c99:.0f} ms."
    )
    classic = (
        f"{PATTERNS['ticks']['bursts'] * PATTERNS['ticks']['size']} arrivals in ticks; classic server, "
        f"{CLASSIC_READERS} HTTP clients reloading every {RELOAD_EVERY:g} s; produce to the first reload showing it"
    )
    return [
        *rows,
        {"metric": "classic page, reload 2 s, p50", "description": classic, "value": c50, "unit": "ms"},
        {"metric": "classic page, reload 2 s, p99", "description": classic, "value": c99, "unit": "ms"},
    ]


def _status_server(logs: Path, arrivals: Arrivals) -> list[dict[str, Any]]:
    """The push rounds and the apply rate of the real status server, started for them and stopped after."""
    port = _free_port()
    url = f"http://localhost:{port}"
    server = _spawn([sys.executable, "server.py"], logs / "server.log", {"WEB_PORT": str(port)})
    rows: list[dict[str, Any]] = []
    try:
        wait_for(lambda: _health_or_none(url), "the status server answering", 60)
        # The server finds the new topic at its next metadata refresh: wait until an arrival comes through.
        wait_for(lambda: _sees_warm_up(port, arrivals), "the server reading the benchmark's topic", 60)
        rounds = [(pattern, clients) for clients in CLIENTS for pattern in PATTERNS]
        for round_, (pattern, clients) in enumerate(rounds):
            result = asyncio.run(_push_latency(port, url, arrivals, clients, round_, pattern))
            p50, p99 = _percentile(result["latencies"], 50), _percentile(result["latencies"], 99)
            print(f"{clients:,} clients ({result['held']:,} held), {pattern}: p50 {p50:.1f} ms, p99 {p99:.1f} ms.")
            goal = {"goal": f"<= {GOAL_P99_MS[clients]:.0f} ms"} if pattern == "ticks" else {}
            plan = PATTERNS[pattern]
            what = (
                f"{plan['bursts'] * plan['size']} arrivals, {DELIVERY[pattern]}, {clients:,} pages on /events; "
                f"produce to the event read, {min(clients, MEASURED)} pages measured"
            )
            rows += [
                {"metric": f"push p50, {clients:,} pages, {pattern}", "description": what, "value": p50, "unit": "ms"},
                {
                    "metric": f"push p99, {clients:,} pages, {pattern}",
                    "description": what,
                    "value": p99,
                    "unit": "ms",
                    **goal,
                },
            ]
            if pattern == "ticks":
                rows.append(
                    {
                        "metric": f"live pages held ({clients:,} connected)",
                        "description": "event streams the server still held at the end of the round (/healthz)",
                        "value": result["held"],
                        "unit": "",
                    }
                )
        rate = _apply_rate(url, arrivals)
        print(f"The server applied {rate:,.0f} messages/s.")
        rows.append(
            {
                "metric": "messages applied by the status server",
                "description": f"{APPLY_MESSAGES:,} arrivals produced at once, until /healthz counts them applied",
                "value": rate,
                "unit": "msg/s",
            }
        )
    finally:
        _stop(server)
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
