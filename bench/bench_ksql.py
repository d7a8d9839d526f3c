"""The KSQL server: COUNT ... GROUP BY throughput, push-query latency, and restart time with a large state.

* Throughput: the same Avro turnstile events (a fresh 3-partition topic) are counted per station
  twice: by a persistent ``CREATE TABLE ... AS SELECT station_id, COUNT(*) ... GROUP BY`` on the
  platform's KSQL server (from the statement until every count is in the table's topic, exactly once,
  through the repartition and changelog topics), and by the baseline, a bare confluent-kafka loop
  that consumes, Avro-decodes (``AvroDeserializer``) and counts the same topic in a dict. Goal: 50 %.
* Push latency: one event at a time into a stream that a push query (``EMIT CHANGES``) watches;
  from the produce call to the row's line on the HTTP stream, p50 and p99.
* Restart: a private server counts a million events, is killed with SIGKILL and started again; the
  time from the start until an event produced after the restart is counted on top of the million.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import requests
from confluent_kafka import Consumer, DeserializingConsumer, Producer, SerializingProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer

from clients.endpoints import PROJECT_ROOT, data_dir, endpoints, port_of
from clients.kafka import create_topic
from cta import schemas

EVENTS = 200_000
RESTORE_EVENTS = 1_000_000
LATENCY_SAMPLES = 100
GOAL_RATIO = 0.50
STATIONS = [40820 + n * 10 for n in range(100)]


def _topic(admin: AdminClient, partitions: int = 3) -> str:
    name = f"bench.ksql.{uuid.uuid4().hex[:8]}"
    create_topic(admin, name, partitions)
    return name


def _produce_turnstile(bootstrap: str, registry_url: str, topic: str, count: int) -> dict[int, int]:
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
    for n in range(count):
        station = STATIONS[n % len(STATIONS)]
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


def _bare_count(bootstrap: str, registry_url: str, topic: str, total: int) -> float:
    """Seconds for the baseline loop to consume, decode and count ``total`` events."""
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry_url})),
        }
    )
    consumer.subscribe([topic])
    counts: dict[int, int] = {}
    seen = 0
    started = time.monotonic()
    try:
        while seen < total:
            message = consumer.poll(1.0)
            if message is None or message.error() is not None:
                continue
            station = message.value()["station_id"]
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


def _wait_for_counts(bootstrap: str, topic: str, expected: dict[int, int], timeout: float = 600) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    latest: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.2):
                if message.error() is None and message.value():
                    latest[struct.unpack(">i", message.key())[0]] = json.loads(message.value())["COUNT"]
            if all(latest.get(k, 0) >= v for k, v in expected.items()):
                if latest != expected:
                    raise RuntimeError("the table counted more events than were produced")
                return
        raise TimeoutError(f"the counts did not reach the produced totals within {timeout:.0f} s")
    finally:
        consumer.close()


def _throughput(url: str, bootstrap: str, registry_url: str, admin: AdminClient) -> tuple[float, float]:
    topic = _topic(admin)
    expected = _produce_turnstile(bootstrap, registry_url, topic, EVENTS)
    bare = EVENTS / _bare_count(bootstrap, registry_url, topic, EVENTS)
    name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
    started = time.monotonic()
    _ksql(url, _count_statements(name, topic))
    _wait_for_counts(bootstrap, f"{name}_COUNTS", expected)
    return EVENTS / (time.monotonic() - started), bare


def _push_latency(url: str, bootstrap: str, admin: AdminClient) -> tuple[float, float]:
    topic = _topic(admin, 1)
    name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
    _ksql(url, f"CREATE STREAM {name} (n INT) WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
    arrived: dict[int, float] = {}
    response = requests.post(
        f"{url}/query",
        json={"ksql": f"SELECT n FROM {name} EMIT CHANGES LIMIT {LATENCY_SAMPLES};"},
        stream=True,
        timeout=300,
    )

    def read() -> None:
        for line in response.iter_lines():
            text = line.decode().strip().rstrip(",")
            if text.startswith('{"row"'):
                arrived[json.loads(text)["row"]["columns"][0]] = time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1.0)  # the query's consumer is positioned at the end by now
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
    sent: dict[int, float] = {}
    for n in range(LATENCY_SAMPLES):
        sent[n] = time.monotonic()
        producer.produce(topic, value=json.dumps({"n": n}).encode())
        producer.flush(10)
        time.sleep(0.05)
    reader.join(60)
    latencies = sorted(1000 * (arrived[n] - sent[n]) for n in sent if n in arrived)
    if len(latencies) < LATENCY_SAMPLES:
        raise RuntimeError(f"only {len(latencies)} of {LATENCY_SAMPLES} rows arrived")
    return statistics.median(latencies), latencies[int(0.99 * len(latencies)) - 1]


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
    expected = _produce_turnstile(bootstrap, registry_url, topic, RESTORE_EVENTS)
    server = _start_server(env, url)
    try:
        name = f"BENCH_{uuid.uuid4().hex[:8]}".upper()
        _ksql(url, _count_statements(name, topic))
        _wait_for_counts(bootstrap, f"{name}_COUNTS", expected, timeout=1200)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        started = time.monotonic()
        server = _start_server(env, url)
        more = _produce_turnstile(bootstrap, registry_url, topic, 1)
        expected = {k: v + more.get(k, 0) for k, v in expected.items()}
        _wait_for_counts(bootstrap, f"{name}_COUNTS", expected)
        return time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)


def run() -> list[dict[str, Any]]:
    settings = endpoints()
    bootstrap, registry_url, url = settings.kafka_bootstrap_servers, settings.schema_registry_url, settings.ksql_url
    admin = AdminClient({"bootstrap.servers": bootstrap})
    rate, bare = _throughput(url, bootstrap, registry_url, admin)
    p50, p99 = _push_latency(url, bootstrap, admin)
    restart = _restart(bootstrap, registry_url, admin)
    print(
        f"COUNT ... GROUP BY: {rate:,.0f} events/s; bare consume+decode+count loop: {bare:,.0f} events/s "
        f"({rate / bare:.1%}). Push query latency p50 {p50:.1f} ms, p99 {p99:.1f} ms. "
        f"Restart with {RESTORE_EVENTS:,} counted events: {restart:.1f} s to the next count."
    )
    return [
        {"metric": "COUNT ... GROUP BY into a table (Avro in)", "value": rate, "unit": "events/s"},
        {"metric": "bare consume + Avro decode + count loop", "value": bare, "unit": "events/s"},
        {
            "metric": "KSQL count / bare loop",
            "value": 100 * rate / bare,
            "unit": "%",
            "baseline": bare,
            "goal": f">= {GOAL_RATIO:.0%}",
        },
        {"metric": "push query, produce to row, p50", "value": p50, "unit": "ms"},
        {"metric": "push query, produce to row, p99", "value": p99, "unit": "ms"},
        {"metric": f"restart with {RESTORE_EVENTS:,} counted events", "value": restart, "unit": "s"},
    ]


if __name__ == "__main__":
    run()
