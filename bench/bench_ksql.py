"""The KSQL server: COUNT ... GROUP BY throughput, push-query latency, and restart time with a large state.

* Throughput: the same Avro turnstile events (a fresh 3-partition topic) are counted per station
  twice: by a persistent ``CREATE TABLE ... AS SELECT station_id, COUNT(*) ... GROUP BY`` on the
  platform's KSQL server (from the statement until every count is in the table's topic, exactly once,
  through the repartition and changelog topics), and by the baseline, a confluent-kafka loop doing
  the same work the server's way: ``consume(num_messages=...)`` batches, each value Avro-decoded
  (``AvroDeserializer``) and counted in a dict. Goal: 50 %.
* Push latency: a push query (``EMIT CHANGES``) on a stream; one event at a time is produced, the
  next as soon as the previous one's row has arrived; from the produce call to the row's line on the
  HTTP stream, p50 and p99 over ``LATENCY_SAMPLES`` events.
* Restart: a private server counts a million events with a million distinct keys (a million rows of
  state), is killed with SIGKILL and started again; the time from the start until an event produced
  after the restart is counted on top of its key's restored count.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import requests
from confluent_kafka import Consumer, Message, Producer, SerializingProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from clients.endpoints import PROJECT_ROOT, data_dir, endpoints, port_of
from clients.kafka import create_topic
from cta import schemas
from tests.support.reading import Start, follow

EVENTS = 200_000
RESTORE_EVENTS = 1_000_000
LATENCY_SAMPLES = 10_000
BATCH = 1000
"""Messages per ``consume`` call of the baseline, as the KSQL server's own consumer takes them."""
GOAL_RATIO = 0.50
STATIONS = [40820 + n * 10 for n in range(100)]
"""The throughput run's keys: the classic project's hundred-odd stations."""


def _topic(admin: AdminClient, partitions: int = 3) -> str:
    name = f"bench.ksql.{uuid.uuid4().hex[:8]}"
    create_topic(admin, name, partitions)
    return name


def _produce_turnstile(bootstrap: str, registry_url: str, topic: str, stations: Iterable[int]) -> dict[int, int]:
    """Produces a turnstile event for each of ``stations``; returns how many each station got."""
    registry = SchemaRegistryClient({"url": registry_url})
    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "key.serializer": AvroSerializer(registry, schemas.load("turnstile_key")),
            "value.serializer": AvroSerializer(registry, schemas.load("turnstile_value")),
        }
    )
    counts: dict[int, int] = {}
    for n, station in enumerate(stations):
        value = {"station_id": station, "station_name": f"Station {station}", "line": "red"}
        while True:
            try:
                producer.produce(topic, key={"timestamp": n}, value=value)
                break
            except BufferError:
                producer.poll(0.05)
        counts[station] = counts.get(station, 0) + 1
        if n % 1000 == 0:
            producer.poll(0)
    assert producer.flush(120) == 0
    return counts


def _cycle(count: int) -> Iterator[int]:
    """``count`` events spread over the hundred stations in turn."""
    return (STATIONS[n % len(STATIONS)] for n in range(count))


def _bare_count(bootstrap: str, registry_url: str, topic: str, total: int) -> float:
    """Seconds for the baseline loop to consume (in batches), decode and count ``total`` events."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest"}
    )
    decode = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    context = SerializationContext(topic, MessageField.VALUE)
    consumer.subscribe([topic])
    counts: dict[int, int] = {}
    seen = 0
    started = time.monotonic()
    try:
        while seen < total:
            for message in consumer.consume(num_messages=BATCH, timeout=1.0):
                if message.error() is None:
                    station = decode(message.value(), context)["station_id"]
                    counts[station] = counts.get(station, 0) + 1
                    seen += 1
        return time.monotonic() - started
    finally:
        consumer.close()


def _ksql(url: str, text: str) -> None:
    response = requests.post(
        f"{url}/ksql", json={"ksql": text, "streamsProperties": {"auto.offset.reset": "earliest"}}, timeout=120
    )
    if response.status_code != 200:
        raise RuntimeError(f"KSQL refused {text!r}: {response.text}")


def _count_statements(name: str, topic: str) -> str:
    return (
        f"CREATE STREAM {name} (station_id INT, station_name STRING, line STRING) "
        f"WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');"
        f"CREATE TABLE {name}_COUNTS WITH (VALUE_FORMAT='JSON') AS "
        f"SELECT station_id, COUNT(*) AS count FROM {name} GROUP BY station_id;"
    )


def _table(bootstrap: str, name: str, start: Start = "beginning", timeout: float = 600) -> Iterator[Message]:
    """The rows of ``name``'s counts table from ``start`` (fixed now), as the query writes them."""
    what = f"the counts of {name}_COUNTS to reach the produced totals"
    return follow(bootstrap, [f"{name}_COUNTS"], what, start, timeout)


def _wait_for_counts(rows: Iterator[Message], expected: dict[int, int]) -> None:
    """Reads the table's rows until each key of ``expected`` has its count (a million keys: kept incrementally)."""
    latest: dict[int, int] = {}
    missing = len(expected)
    for message in rows:
        if not message.value():
            continue
        key, count = struct.unpack(">i", message.key())[0], json.loads(message.value())["COUNT"]
        before, wanted = latest.get(key, 0), expected.get(key)
        if wanted is None or count > wanted:
            raise RuntimeError(f"the table counted {count} for {key}, more events than were produced")
        latest[key] = count
        if before < wanted <= count:
            missing -= 1
            if not missing:
                return


def _throughput(url: str, bootstrap: str, registry_url: str, admin: AdminClient) -> tuple[float, float]:
    topic = _topic(admin)
    expected = _produce_turnstile(bootstrap, registry_url, topic, _cycle(EVENTS))
    bare = EVENTS / _bare_count(bootstrap, registry_url, topic, EVENTS)
    name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
    started = time.monotonic()
    _ksql(url, _count_statements(name, topic))
    _wait_for_counts(_table(bootstrap, name), expected)
    return EVENTS / (time.monotonic() - started), bare


def _push_latency(url: str, bootstrap: str, admin: AdminClient) -> list[float]:
    """Milliseconds from each produce to its row on the push query's stream, one event at a time."""
    topic = _topic(admin, 1)
    name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
    _ksql(url, f"CREATE STREAM {name} (n INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
    rows: queue.Queue[tuple[int, float]] = queue.Queue()
    response = requests.post(
        f"{url}/query", json={"ksql": f"SELECT n FROM {name} EMIT CHANGES;"}, stream=True, timeout=(10, 300)
    )

    def read() -> None:
        try:
            for line in response.iter_lines():
                text = line.decode().strip().rstrip(",")
                if text.startswith('{"row"'):
                    rows.put((json.loads(text)["row"]["columns"][0], time.perf_counter()))
        except (requests.RequestException, AttributeError, ValueError):
            return  # the stream was closed at the end

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})

    def round_trip(n: int, timeout: float = 60) -> float:
        sent = time.perf_counter()
        producer.produce(topic, value=json.dumps({"n": n}).encode())
        producer.poll(0)
        while True:
            got, at = rows.get(timeout=timeout)
            if got == n:
                return 1000 * (at - sent)

    try:
        warm_up = -1
        while True:  # until the query's consumer is positioned and rows flow
            try:
                round_trip(warm_up, timeout=1.0)
                break
            except queue.Empty:
                warm_up -= 1
        return [round_trip(n) for n in range(LATENCY_SAMPLES)]
    finally:
        response.close()
        producer.flush(10)


def _start_server(env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    log_path = data_dir() / "bench-ksql.log"  # the platform's data folder, which a fresh checkout may lack yet
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps it open)
    process = subprocess.Popen([sys.executable, "-m", "stack.ksql"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the private KSQL server exited: see {log_path}")
        try:
            if requests.get(f"{url}/info", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError("the private KSQL server did not start")


def _restart(bootstrap: str, registry_url: str, admin: AdminClient) -> float:
    port = port_of(endpoints().ksql_url) + 20
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SCHEMA_REGISTRY_URL": registry_url,
        "KSQL_URL": url,
        "KSQL_SERVICE_ID": f"bench_{uuid.uuid4().hex[:6]}_",
    }
    topic = _topic(admin)
    expected = _produce_turnstile(bootstrap, registry_url, topic, range(RESTORE_EVENTS))  # a key each
    server = _start_server(env, url)
    try:
        name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
        _ksql(url, _count_statements(name, topic))
        _wait_for_counts(_table(bootstrap, name, timeout=1200), expected)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        rows = _table(bootstrap, name, "now", timeout=300)  # only rows written after the restart
        started = time.monotonic()
        server = _start_server(env, url)
        _produce_turnstile(bootstrap, registry_url, topic, [0])
        _wait_for_counts(rows, {0: 2})  # its restored count, plus one
        return time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)


def run() -> list[dict[str, Any]]:
    settings = endpoints()
    bootstrap, registry_url, url = settings.kafka_bootstrap_servers, settings.schema_registry_url, settings.ksql_url
    admin = AdminClient({"bootstrap.servers": bootstrap})
    rate, bare = _throughput(url, bootstrap, registry_url, admin)
    latencies = _push_latency(url, bootstrap, admin)
    p50, p99 = (statistics.quantiles(latencies, n=100, method="inclusive")[q - 1] for q in (50, 99))
    restart = _restart(bootstrap, registry_url, admin)
    print(
        f"COUNT ... GROUP BY: {rate:,.0f} events/s; batched consume+decode+count loop: {bare:,.0f} events/s "
        f"({rate / bare:.1%}). Push query latency over {len(latencies):,} events: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms. Restart with {RESTORE_EVENTS:,} counted keys: {restart:.1f} s to the next count."
    )
    events = f"{EVENTS:,} Avro events over {len(STATIONS)} keys in a 3-partition topic"
    push = f"{LATENCY_SAMPLES:,} events one at a time into a stream, from the produce call to the push query's row"
    return [
        {
            "metric": "COUNT ... GROUP BY into a table (Avro in)",
            "description": f"{events}: from CREATE TABLE ... AS SELECT to every count in the table's topic",
            "value": rate,
            "unit": "events/s",
        },
        {
            "metric": "batched consume + Avro decode + count loop",
            "description": f"the same events by `consume(num_messages={BATCH})`, AvroDeserializer and a dict",
            "value": bare,
            "unit": "events/s",
        },
        {
            "metric": "KSQL count / batched loop",
            "description": "the KSQL server's count rate as a share of the baseline loop's",
            "value": 100 * rate / bare,
            "unit": "%",
            "baseline": bare,
            "goal": f">= {GOAL_RATIO:.0%}",
        },
        {"metric": "push query, produce to row, p50", "description": push, "value": p50, "unit": "ms"},
        {"metric": "push query, produce to row, p99", "description": push, "value": p99, "unit": "ms"},
        {
            "metric": f"restart with {RESTORE_EVENTS:,} distinct keys counted",
            "description": "kill -9 of a server holding that many rows; from its restart to the next event counted",
            "value": restart,
            "unit": "s",
        },
    ]


if __name__ == "__main__":
    run()
