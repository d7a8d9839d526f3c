"""Creates the Kafka Connect source connector that copies PostgreSQL's stations table to Kafka.

The topic ``org.chicago.cta.stations`` gets one flat JSON record per stop (the table's columns, no
embedded schema), written by a JDBC source connector with the classic project's configuration on
both platforms: Confluent's connector on the Docker images, our own connector under the same class
name on the local platform (stack/connectors/jdbc).

Connect keeps the connector's offset (the last ``stop_id`` copied) after the connector is deleted;
``python connector.py --delete`` deletes both, so a connector created again copies the table again.

Run alone with ``python connector.py``; running it again changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from cta import endpoints

logger = logging.getLogger(__name__)

CONNECTOR_NAME = "stations"
TOPIC = "org.chicago.cta.stations"
JDBC = "io.confluent.connect.jdbc.JdbcSourceConnector"
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
    return endpoints().kafka_connect_url


def postgres() -> dict[str, str]:
    url = urlsplit(endpoints().postgres_url)
    return {
        "host": url.hostname or "localhost",
        "port": str(url.port or 5432),
        "user": url.username or "cta_admin",
        "password": url.password or "chicago",
        "dbname": url.path.lstrip("/") or "cta",
    }


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


def configure_connector() -> None:
    """Creates or updates the ``stations`` connector and waits until it runs."""
    config = jdbc_config(postgres())
    current = _request("GET", f"/connectors/{CONNECTOR_NAME}/config")
    if current.ok and current.json() == {**config, "name": CONNECTOR_NAME}:
        # An identical PUT would still restart the connector and its task for nothing.
        logger.info("The %s connector is already configured (%s).", CONNECTOR_NAME, config["connector.class"])
    else:
        if current.ok:
            # Another configuration (an earlier version's, or a failed one): delete the connector
            # first. After a PUT, Connect reports the old run's state for a moment, and a FAILED
            # one would be taken for the new configuration's failure.
            logger.info("Replacing the %s connector's earlier configuration.", CONNECTOR_NAME)
            _request("DELETE", f"/connectors/{CONNECTOR_NAME}")
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
    """Deletes the connector and its offsets (Connect keeps offsets after a plain DELETE).

    Connect 4 deletes offsets only of a stopped connector: stop, delete the offsets, then delete it.
    """
    if _request("GET", f"/connectors/{CONNECTOR_NAME}").status_code != 200:
        logger.info("There is no %s connector.", CONNECTOR_NAME)
        return
    for method, path in (("PUT", "/stop"), ("DELETE", "/offsets"), ("DELETE", "")):
        response = _request(method, f"/connectors/{CONNECTOR_NAME}{path}")
        if not response.ok:
            raise ConnectorError(f"Kafka Connect did not delete the {CONNECTOR_NAME} connector: {_message(response)}")
    logger.info("Deleted the %s connector and its offsets.", CONNECTOR_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delete", action="store_true", help="delete the connector and its stored offsets")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        delete_connector() if args.delete else configure_connector()
    except ConnectorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
