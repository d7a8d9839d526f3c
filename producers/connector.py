"""Creates the Kafka Connect source connector that copies PostgreSQL's stations table to Kafka.

The topic ``org.chicago.cta.stations`` gets one flat JSON record per stop (the table's columns, no
embedded schema) whichever platform runs: with Confluent's JDBC source connector where the Connect
worker offers it (the Docker images), else with Debezium's PostgreSQL connector (the local platform),
unwrapped to the row and routed to the same topic.

Debezium reads through a logical replication slot, named after the connector. PostgreSQL keeps all
WAL a slot has not confirmed, so the slot must live exactly as long as the connector: kept across
restarts (the connector resumes where it stopped, without a second snapshot and without duplicate
records), dropped with it: ``python connector.py --delete`` deletes the connector, then its slot.

Run alone with ``python connector.py``; running it again changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import requests

logger = logging.getLogger(__name__)

CONNECTOR_NAME = "stations"
TOPIC = "org.chicago.cta.stations"
JDBC = "io.confluent.connect.jdbc.JdbcSourceConnector"
DEBEZIUM = "io.debezium.connector.postgresql.PostgresConnector"
TIMEOUT = 10.0
RUNNING_TIMEOUT = 60.0
JSON_WITHOUT_SCHEMAS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


class ConnectorError(Exception):
    """Connect is down or refused the connector; the message says so in one line."""


def connect_url() -> str:
    return os.environ.get("KAFKA_CONNECT_URL", "http://localhost:8083").rstrip("/")


def postgres() -> dict[str, str]:
    url = urlsplit(os.environ.get("POSTGRES_URL", "postgresql://cta_admin:chicago@localhost:5432/cta"))
    return {
        "host": url.hostname or "localhost",
        "port": str(url.port or 5432),
        "user": url.username or "cta_admin",
        "password": url.password or "chicago",
        "dbname": url.path.lstrip("/") or "cta",
    }


def slot_name(connector: str) -> str:
    """A replication slot per connector: two connectors on one slot would fight over it."""
    return "cta_" + "".join(c if c.isalnum() else "_" for c in connector.lower())


def jdbc_config(db: dict[str, str]) -> dict[str, str]:
    return {
        "connector.class": JDBC,
        **JSON_WITHOUT_SCHEMAS,
        "batch.max.rows": "500",
        "connection.url": f"jdbc:postgresql://{db['host']}:{db['port']}/{db['dbname']}",
        "connection.user": db["user"],
        "connection.password": db["password"],
        "table.whitelist": "stations",
        "mode": "incrementing",
        "incrementing.column.name": "stop_id",
        "topic.prefix": "org.chicago.cta.",
        "poll.interval.ms": "3600000",  # the stations change rarely: look once an hour
    }


def debezium_config(db: dict[str, str], connector: str = CONNECTOR_NAME) -> dict[str, str]:
    slot = slot_name(connector)
    return {
        "connector.class": DEBEZIUM,
        "plugin.name": "pgoutput",
        "database.hostname": db["host"],
        "database.port": db["port"],
        "database.user": db["user"],
        "database.password": db["password"],
        "database.dbname": db["dbname"],
        "topic.prefix": "cta",
        "table.include.list": "public.stations",
        "slot.name": slot,
        # A publication of this table only, per connector like the slot.
        "publication.name": f"{slot}_publication",
        "publication.autocreate.mode": "filtered",
        "snapshot.mode": "initial",
        "transforms": "unwrap,route",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": ".*",
        "transforms.route.replacement": TOPIC,
        **JSON_WITHOUT_SCHEMAS,
    }


def _request(method: str, path: str, **kwargs: Any) -> requests.Response:
    url = f"{connect_url()}{path}"
    try:
        return requests.request(method, url, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as error:
        raise ConnectorError(
            f"Kafka Connect is not reachable at {connect_url()} ({type(error).__name__}): "
            "start the platform (`python -m stack up`) or set KAFKA_CONNECT_URL."
        ) from error


def _message(response: requests.Response) -> str:
    try:
        return str(response.json()["message"]).splitlines()[0]
    except (ValueError, KeyError, TypeError, IndexError):
        return response.text.strip()[:300]


def desired_config() -> dict[str, str]:
    """JDBC where the worker has it, else Debezium."""
    response = _request("GET", "/connector-plugins")
    if not response.ok:
        raise ConnectorError(f"Kafka Connect could not list its plugins: {_message(response)}")
    plugins = {plugin.get("class") for plugin in response.json()}
    if JDBC in plugins:
        return jdbc_config(postgres())
    if DEBEZIUM in plugins:
        return debezium_config(postgres())
    raise ConnectorError(
        f"Kafka Connect at {connect_url()} has neither the JDBC nor the Debezium PostgreSQL connector."
    )


def configure_connector() -> None:
    """Creates or updates the ``stations`` connector and waits until it runs."""
    config = desired_config()
    current = _request("GET", f"/connectors/{CONNECTOR_NAME}/config")
    if current.ok and current.json() == {**config, "name": CONNECTOR_NAME}:
        # An identical PUT would still restart the connector; one restarted in the middle of its
        # first snapshot would copy the table again.
        logger.info("The %s connector is already configured (%s).", CONNECTOR_NAME, config["connector.class"])
    else:
        response = _request("PUT", f"/connectors/{CONNECTOR_NAME}/config", json=config)
        if not response.ok:
            raise ConnectorError(f"Kafka Connect refused the {CONNECTOR_NAME} connector: {_message(response)}")
        logger.info("Configured the %s connector (%s) to fill %s.", CONNECTOR_NAME, config["connector.class"], TOPIC)
    _wait_running()


def _wait_running() -> None:
    deadline = time.monotonic() + RUNNING_TIMEOUT
    state = "unknown"
    while time.monotonic() < deadline:
        response = _request("GET", f"/connectors/{CONNECTOR_NAME}/status")
        if response.ok:
            status = response.json()
            tasks = status.get("tasks", [])
            failed = [t for t in [status.get("connector", {}), *tasks] if t.get("state") == "FAILED"]
            if failed:
                trace = (failed[0].get("trace") or "no reason given").strip().splitlines()[0]
                raise ConnectorError(f"The {CONNECTOR_NAME} connector failed: {trace}")
            state = status.get("connector", {}).get("state", state)
            if state == "RUNNING" and tasks and all(t.get("state") == "RUNNING" for t in tasks):
                logger.info("The %s connector is running.", CONNECTOR_NAME)
                return
        time.sleep(0.5)
    raise ConnectorError(
        f"The {CONNECTOR_NAME} connector is not running after {RUNNING_TIMEOUT:.0f} s (state {state})."
    )


def delete_connector() -> None:
    """Deletes the connector with its offsets and, for Debezium, its slot, so PostgreSQL can free its WAL.

    The offsets go too: Connect keeps them after a DELETE, and a connector created again under the
    same name would try to resume from a position of the dropped slot and fail.
    """
    if _request("GET", f"/connectors/{CONNECTOR_NAME}").status_code == 200:
        for method, path in (("PUT", "/stop"), ("DELETE", "/offsets"), ("DELETE", "")):
            response = _request(method, f"/connectors/{CONNECTOR_NAME}{path}")
            if not response.ok:
                raise ConnectorError(
                    f"Kafka Connect did not delete the {CONNECTOR_NAME} connector: {_message(response)}"
                )
        logger.info("Deleted the %s connector and its offsets.", CONNECTOR_NAME)
    db, slot = postgres(), slot_name(CONNECTOR_NAME)
    deadline = time.monotonic() + RUNNING_TIMEOUT
    conn = psycopg2.connect(**db)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while True:
                # The task lets go of the slot a moment after the DELETE answers.
                cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
                row = cur.fetchone()
                if row is None:
                    return
                if not row[0] or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            cur.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            cur.execute(f'DROP PUBLICATION IF EXISTS "{slot}_publication"')
    finally:
        conn.close()
    logger.info("Dropped replication slot %s.", slot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delete", action="store_true", help="delete the connector and its replication slot")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        delete_connector() if args.delete else configure_connector()
    except ConnectorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(
            f"error: PostgreSQL refused to drop the replication slot: {str(error).strip().splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
