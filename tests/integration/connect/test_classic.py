"""The classic project's `stations` connector configuration, posted unmodified, on our connector."""

from __future__ import annotations

import json

from confluent_kafka import Producer

from producers import connector
from tests.support.connect import WASHINGTON_WABASH_OUTER_LOOP, Lab
from tests.support.waiting import wait_for


def test_classic_configuration_copies_all_300_stops_as_confluent_writes_them(lab: Lab) -> None:
    config = connector.jdbc_config(connector.postgres())
    assert config["connector.class"] == "io.confluent.connect.jdbc.JdbcSourceConnector"
    connector.configure_connector()  # the project's own `stations` connector: kept after the test

    rows = lab.read_all(connector.TOPIC, 300, connector.CONNECTOR_NAME)
    assert len(rows) == 300
    assert len({row["stop_id"] for row in rows}) == 300
    row = next(row for row in rows if row["stop_id"] == 30383)
    assert list(row.items()) == list(WASHINGTON_WABASH_OUTER_LOOP.items())
    for row in rows:
        assert list(row) == list(WASHINGTON_WABASH_OUTER_LOOP)
        assert all(type(row[k]) is type(v) for k, v in WASHINGTON_WABASH_OUTER_LOOP.items())


def test_row_inserted_into_stations_arrives_at_a_later_poll(lab: Lab) -> None:
    """The classic configuration with a 2 s poll interval copies a row inserted after its first poll.

    The row is inserted as the classic project would, with the classic columns' values only: the
    other lines' flags take their default, false.

    Nothing times the arrival: on a busy machine Connect polls late, and that is no error.
    """
    config = {
        **connector.jdbc_config(connector.postgres()),
        "topic.prefix": f"{lab.name}.",
        "poll.interval.ms": "2000",
    }
    lab.create(config)
    topic = f"{lab.name}.stations"
    lab.read(topic, 300)
    stop_id = 99_000 + int(lab.name[-4:], 16) % 999
    try:
        lab.sql(
            "INSERT INTO stations VALUES (%s, 'N', 'Test stop', 'Test', 'Test (Red)', 49999, 1, true, false, false)",
            (stop_id,),
        )
        rows = lab.read(topic, 301)
    finally:
        lab.sql("DELETE FROM stations WHERE stop_id = %s", (stop_id,))
    assert rows[-1]["stop_id"] == stop_id and rows[-1]["red"] is True
    assert rows[-1]["brown"] is False and rows[-1]["yellow"] is False
    assert len(rows) == 301


def test_an_earlier_versions_failed_stations_connector_is_replaced_and_runs(lab: Lab) -> None:
    """Earlier versions ran a Debezium `stations` connector; its plugin is gone, so Connect reports it FAILED.

    The record is written to Connect's config topic as Connect writes it, as an old data folder holds it.
    """
    debezium = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "name": "stations"}
    producer = Producer({"bootstrap.servers": lab.bootstrap})
    producer.produce("_connect-configs", key=b"connector-stations", value=json.dumps({"properties": debezium}).encode())
    producer.flush(10)
    wait_for(
        lambda: "FAILED" in connector._request("GET", f"/connectors/{connector.CONNECTOR_NAME}/status").text,
        "Connect to report the old connector failed",
        30,
    )
    connector.configure_connector()
    status = connector._request("GET", f"/connectors/{connector.CONNECTOR_NAME}/status").json()
    assert status["connector"]["state"] == "RUNNING"
    assert [task["state"] for task in status["tasks"]] == ["RUNNING"]
