"""Rows per second our JDBC source connector copies from PostgreSQL into Kafka, next to COPY.

A 1,000,000-row table (id, station, name, timestamp, value) is copied once in bulk mode and once in
incrementing mode, each by a fresh connector writing JSON without schemas to its own topic, timed
from the connector's creation until the topic holds every row. The baseline, on the same table in
the same run, is PostgreSQL's own ``COPY ... TO STDOUT`` read by psycopg2: the fastest way out of
the database, with no Kafka at all. It measures the platform that ``python -m bench`` has started.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import requests
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from clients.endpoints import endpoints

ROWS = 1_000_000
BATCH_MAX_ROWS = 1000
TIMEOUT = 600.0


class _Discard(io.RawIOBase):
    """A sink for COPY that only counts bytes, so the baseline measures reading, not storing."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


def _postgres():
    url = urlsplit(endpoints().postgres_url)
    return psycopg2.connect(
        host="localhost", port=url.port, user=url.username, password=url.password, dbname=url.path.lstrip("/")
    )


def _connect_url() -> str:
    return endpoints().kafka_connect_url


def _copy_rate(table: str) -> float:
    with _postgres() as conn, conn.cursor() as cur:
        started = time.monotonic()
        cur.copy_expert(f"COPY {table} TO STDOUT", _Discard())
        return ROWS / (time.monotonic() - started)


def _connector_rate(table: str, mode: str, bootstrap: str) -> float:
    name = f"bench-{mode}-{uuid.uuid4().hex[:6]}"
    prefix = f"bench.{name}."
    topic = prefix + table
    url = urlsplit(endpoints().postgres_url)
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "connection.url": f"jdbc:postgresql://localhost:{url.port}{url.path}",
        "connection.user": url.username,
        "connection.password": url.password,
        "table.whitelist": table,
        "mode": mode,
        "incrementing.column.name": "id",
        "topic.prefix": prefix,
        "poll.interval.ms": "3600000",  # one pass
        "batch.max.rows": str(BATCH_MAX_ROWS),
    }
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": name})
    started = time.monotonic()
    response = requests.put(f"{_connect_url()}/connectors/{name}/config", json=config, timeout=60)
    response.raise_for_status()
    try:
        while True:
            try:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
            except KafkaException:
                high = 0  # the topic does not exist until the first batch
            if high >= ROWS:
                return ROWS / (time.monotonic() - started)
            if time.monotonic() - started > TIMEOUT:
                raise RuntimeError(f"{mode}: only {high} of {ROWS} rows in {topic} after {TIMEOUT:.0f} s")
            time.sleep(0.2)
    finally:
        consumer.close()
        for method, path in (("PUT", "/stop"), ("DELETE", "/offsets"), ("DELETE", "")):
            requests.request(method, f"{_connect_url()}/connectors/{name}{path}", timeout=60)
        admin = AdminClient({"bootstrap.servers": bootstrap})  # referenced until the result arrives
        admin.delete_topics([topic])[topic].result(30)


def run() -> list[dict[str, Any]]:
    bootstrap = endpoints().kafka_bootstrap_servers
    table = f"bench_jdbc_{uuid.uuid4().hex[:6]}"
    with _postgres() as conn, conn.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, station_id INTEGER NOT NULL, name TEXT NOT NULL,"
            " seen TIMESTAMP NOT NULL, value DOUBLE PRECISION)"
        )
        cur.execute(
            f"INSERT INTO {table} SELECT n, 40000 + n % 1000, 'station ' || n % 1000,"
            f" timestamp '2024-10-07' + n * interval '1 second', n / 7.0 FROM generate_series(1, {ROWS}) AS n"
        )
    try:
        copy = _copy_rate(table)
        bulk = _connector_rate(table, "bulk", bootstrap)
        incrementing = _connector_rate(table, "incrementing", bootstrap)
    finally:
        with _postgres() as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE {table}")
    print(f"COPY {copy:,.0f} rows/s; connector bulk {bulk:,.0f} rows/s, incrementing {incrementing:,.0f} rows/s.")
    copied = f"a fresh JDBC source connector copying a {ROWS:,}-row table to a topic, from its creation to the last row"
    return [
        {"metric": "JDBC connector, bulk", "description": f"{copied}, mode bulk", "value": bulk, "unit": "rows/s"},
        {
            "metric": "JDBC connector, incrementing",
            "description": f"{copied}, mode incrementing",
            "value": incrementing,
            "unit": "rows/s",
        },
        {
            "metric": "PostgreSQL COPY TO STDOUT (baseline)",
            "description": "the same table read by psycopg2's `COPY ... TO STDOUT`, no Kafka at all",
            "value": copy,
            "unit": "rows/s",
        },
        {
            "metric": "bulk / COPY",
            "description": "the connector in bulk mode as a share of the COPY rate",
            "value": 100 * bulk / copy,
            "unit": "%",
            "baseline": copy,
        },
        {
            "metric": "incrementing / COPY",
            "description": "the connector in incrementing mode as a share of the COPY rate",
            "value": 100 * incrementing / copy,
            "unit": "%",
            "baseline": copy,
        },
    ]


if __name__ == "__main__":
    run()
