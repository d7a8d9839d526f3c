"""Helpers for the JDBC source connector tests: scratch tables, connectors and topic reads.

Every test creates tables, connectors and topics with names of its own (``t_<hex>``) and removes
its connectors and tables afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg2
import pytest
import requests
from confluent_kafka import Consumer, KafkaError

from stack.platform import lifecycle
from stack.platform.supervisor import stop
from stack.settings import Settings
from tests.helpers import wait_for

JDBC = "io.confluent.connect.jdbc.JdbcSourceConnector"
OUR_JDBC = "org.chicago.cta.connect.jdbc.JdbcSourceConnector"
JSON_WITHOUT_SCHEMAS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}
TIMEOUT = 60.0


def connect_url() -> str:
    return os.environ.get("KAFKA_CONNECT_URL", "http://localhost:8083").rstrip("/")


def jdbc_url(settings: Settings, port: int | None = None) -> str:
    return f"jdbc:postgresql://localhost:{port or settings.postgres_port}/{settings.postgres_db}"


@dataclass
class Lab:
    """One test's view of the platform: its own name prefix, and what to clean up afterwards."""

    settings: Settings
    bootstrap: str
    name: str = field(default_factory=lambda: f"t_{uuid.uuid4().hex[:10]}")
    connectors: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    # --- PostgreSQL ---------------------------------------------------------------------------
    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        with (
            psycopg2.connect(
                host="localhost",
                port=self.settings.postgres_port,
                user=self.settings.postgres_user,
                password=self.settings.postgres_password,
                dbname=self.settings.postgres_db,
            ) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def table(self, suffix: str, columns: str) -> str:
        """Creates a scratch table ``<name>_<suffix>``; dropped after the test."""
        table = f"{self.name}_{suffix}"
        self.sql(f"CREATE TABLE {table} ({columns})")
        self.tables.append(table)
        return table

    # --- Kafka Connect ------------------------------------------------------------------------
    def config(self, **overrides: str) -> dict[str, str]:
        """A JDBC source configuration for this test's tables (topic prefix ``<name>.``)."""
        s = self.settings
        return {
            "connector.class": JDBC,
            **JSON_WITHOUT_SCHEMAS,
            "connection.url": jdbc_url(s),
            "connection.user": s.postgres_user,
            "connection.password": s.postgres_password,
            "topic.prefix": f"{self.name}.",
            "poll.interval.ms": "500",
            **overrides,
        }

    def create(self, config: dict[str, str], suffix: str = "c", tasks: int | None = None) -> str:
        """Creates (or updates) a connector, and waits until it and ``tasks`` tasks (default: any) run."""
        name = f"{self.name}-{suffix}"
        response = requests.put(f"{connect_url()}/connectors/{name}/config", json=config, timeout=TIMEOUT)
        assert response.ok, response.text
        if name not in self.connectors:
            self.connectors.append(name)
        self.wait_running(name, tasks)
        return name

    def status(self, name: str) -> dict:
        response = requests.get(f"{connect_url()}/connectors/{name}/status", timeout=TIMEOUT)
        return response.json() if response.ok else {}

    def wait_running(self, name: str, tasks: int | None = None) -> dict:
        def running() -> dict | None:
            status = self.status(name)
            states = [t["state"] for t in status.get("tasks", [])]
            failed = [t for t in status.get("tasks", []) if t["state"] == "FAILED"]
            assert not failed, failed[0].get("trace", "")[:2000]
            ok = status.get("connector", {}).get("state") == "RUNNING" and states and set(states) == {"RUNNING"}
            return status if ok and (tasks is None or len(states) == tasks) else None

        return wait_for(running, f"connector {name} running")

    def delete(self, name: str) -> None:
        for method, path in (("PUT", "/stop"), ("DELETE", "/offsets"), ("DELETE", "")):
            requests.request(method, f"{connect_url()}/connectors/{name}{path}", timeout=TIMEOUT)

    # --- Kafka --------------------------------------------------------------------------------
    def read(self, topic: str, count: int, timeout: float = TIMEOUT, settle: float = 0.0) -> list[dict | None]:
        """The JSON values of ``topic`` from the start: waits for ``count`` records, then ``settle``
        seconds more to catch any extra ones (duplicates)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"g-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "topic.metadata.refresh.interval.ms": 500,
            }
        )
        consumer.subscribe([topic])
        values: list[dict | None] = []
        try:
            deadline = time.monotonic() + timeout
            settled_at = None
            while time.monotonic() < (settled_at or deadline):
                message = consumer.poll(0.5)
                if message is None:
                    continue
                if message.error():
                    # The topic appears when the connector writes its first record.
                    assert message.error().code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._PARTITION_EOF)
                    continue
                assert message.key() is None
                values.append(json.loads(message.value()) if message.value() is not None else None)
                if len(values) >= count and settled_at is None:
                    settled_at = time.monotonic() + settle
        finally:
            consumer.close()
        assert len(values) >= count, f"{len(values)} of {count} records arrived in {topic} within {timeout:.0f} s"
        return values


def restart_connect(settings: Settings) -> None:
    """Stops the Connect worker gracefully (it commits its offsets) and starts it again with `up`."""
    import subprocess
    import sys

    from stack.settings import PROJECT_ROOT

    stop([lifecycle.running_services(settings)["connect"]], timeout=60)
    subprocess.run([sys.executable, "-m", "stack", "up"], cwd=PROJECT_ROOT, check=True, capture_output=True)


@pytest.fixture
def lab(running_platform: Settings, bootstrap_servers: str) -> Iterator[Lab]:
    lab = Lab(running_platform, bootstrap_servers)
    yield lab
    for name in lab.connectors:
        lab.delete(name)
    for table in lab.tables:
        lab.sql(f"DROP TABLE IF EXISTS {table}")
