"""Kafka Connect for tests: scratch tables, connectors and topic reads (``Lab``), and restarting Connect.

Every test creates tables, connectors and topics with names of its own (``t_<hex>``) and removes
its connectors and tables afterwards, so tests never see each other's rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from itertools import islice

import psycopg2
import requests
from confluent_kafka import Message

from stack.platform import lifecycle
from stack.platform.supervisor import stop
from stack.settings import Settings
from tests.support.reading import follow, read_to_end
from tests.support.waiting import wait_for

JDBC = "io.confluent.connect.jdbc.JdbcSourceConnector"


OUR_JDBC = "org.chicago.cta.connect.jdbc.JdbcSourceConnector"


JSON_WITHOUT_SCHEMAS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


TIMEOUT = 60.0


READ_TIMEOUT = 120.0  # a guard only: reads end when their records are there


# Confluent's connector writes each row as one JSON object: the table's columns in table order,
# SQL types as JSON types (INTEGER -> number, VARCHAR -> string, BOOLEAN -> true/false). The
# registry converters' records read back as the same row.
WASHINGTON_WABASH_OUTER_LOOP = {
    "stop_id": 30383,
    "direction_id": "N",
    "stop_name": "Washington/Wabash (Outer Loop)",
    "station_name": "Washington/Wabash",
    "station_descriptive_name": "Washington/Wabash (Brown, Green, Orange, Purple & Pink Lines)",
    "station_id": 41700,
    "order": 16,
    "red": False,
    "blue": False,
    "green": True,
    "brown": True,
    "orange": False,
    "pink": False,
    "purple": False,
    "yellow": False,
}


def connect_url(settings: Settings) -> str:
    """Kafka Connect's REST API on the platform of ``settings``."""
    return settings.endpoints.kafka_connect_url


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
        response = requests.put(f"{connect_url(self.settings)}/connectors/{name}/config", json=config, timeout=TIMEOUT)
        assert response.ok, response.text
        if name not in self.connectors:
            self.connectors.append(name)
        self.wait_running(name, tasks)
        return name

    def status(self, name: str) -> dict:
        response = requests.get(f"{connect_url(self.settings)}/connectors/{name}/status", timeout=TIMEOUT)
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
            requests.request(method, f"{connect_url(self.settings)}/connectors/{name}{path}", timeout=TIMEOUT)

    # --- Kafka --------------------------------------------------------------------------------
    def read(self, topic: str, count: int, timeout: float = READ_TIMEOUT) -> list[dict | None]:
        """The JSON values of ``topic`` from the start, once at least ``count`` have arrived."""
        messages = self._first_messages(topic, count, timeout)
        assert all(message.key() is None for message in messages)
        return [None if message.value() is None else json.loads(message.value()) for message in messages]

    def read_raw(self, topic: str, count: int) -> list[bytes | None]:
        """The first ``count`` values of ``topic``, as bytes (a converter's wire format), once they have arrived."""
        return [message.value() for message in self._first_messages(topic, count, READ_TIMEOUT)]

    def _first_messages(self, topic: str, count: int, timeout: float) -> list[Message]:
        """The first ``count`` records of ``topic``, which appears when the connector writes its first record."""
        return list(islice(follow(self.bootstrap, [topic], f"{count} records in {topic}", timeout=timeout), count))

    def read_all(self, topic: str, count: int, name: str) -> list[dict | None]:
        """``topic`` from its start to its end, once connector ``name`` has copied ``count`` rows into it.

        Connect stores a row's offset once its record, and every record before it, is in Kafka: when the
        offset of the last row read is stored, the topic is read to its end, so a row copied twice shows.
        """
        last = self.read(topic, count)[-1]
        assert last is not None
        config = requests.get(f"{connect_url(self.settings)}/connectors/{name}/config", timeout=TIMEOUT).json()
        # The offset's parts in the order its rows are read: by timestamp, then by incrementing column.
        parts = [
            (part, config[f"{part}.column.name"])
            for part in ("timestamp", "incrementing")
            if config.get(f"{part}.column.name")
        ]
        wanted = [last[column] for _, column in parts]

        def stored() -> bool:
            offset = self.stored_offset(name) or {}
            return [offset.get(part, -1) for part, _ in parts] >= wanted

        wait_for(stored, f"connector {name} to store the offset of {last}", READ_TIMEOUT)
        return self.read_to_end(topic)

    def read_to_end(self, topic: str) -> list[dict | None]:
        """The JSON values of ``topic``, from the start of each partition to its end as it is now."""
        return [None if m.value() is None else json.loads(m.value()) for m in read_to_end(self.bootstrap, [topic])]

    def stored_offset(self, name: str) -> dict | None:
        """The source offset Connect has stored for connector ``name`` (one table or query), None before any."""
        response = requests.get(f"{connect_url(self.settings)}/connectors/{name}/offsets", timeout=TIMEOUT)
        offsets = response.json().get("offsets", []) if response.ok else []
        return offsets[0]["offset"] if offsets else None


def restart_connect(settings: Settings) -> None:
    """Stops the Connect worker gracefully (it commits its offsets) and starts it again with `up`."""
    import subprocess
    import sys

    from clients.endpoints import PROJECT_ROOT

    stop([lifecycle.running_services(settings)["connect"]], timeout=60)
    subprocess.run([sys.executable, "-m", "stack", "up"], cwd=PROJECT_ROOT, check=True, capture_output=True)
