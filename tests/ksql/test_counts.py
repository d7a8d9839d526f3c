"""The classic project's KSQL 5 statements and their modern equivalents count every turnstile event exactly."""

from __future__ import annotations

import struct

from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests.ksql.conftest import TurnstileEvents, latest_values, ok, suffix, turnstile_topic

EARLIEST = {"ksql.streams.auto.offset.reset": "earliest"}


def test_the_classic_ksql5_statements_count_every_event(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    events.produce(3000)
    name = f"turnstile_{suffix()}"
    summary = f"{name}_summary"
    entities = ok(
        ksql_url,
        f"""
        CREATE TABLE {name} (
            station_id INT,
            station_name VARCHAR,
            line VARCHAR
        ) WITH (
            KAFKA_TOPIC='{topic}',
            VALUE_FORMAT='AVRO',
            KEY='station_id'
        );

        CREATE TABLE {summary}
        WITH (VALUE_FORMAT='JSON') AS
            SELECT station_id, COUNT(station_id) AS count
            FROM {name}
            GROUP BY station_id;
        """,
        EARLIEST,
    )
    assert entities[0]["commandStatus"]["message"] == "Table created"
    assert entities[1]["commandStatus"]["queryId"].startswith(f"CTAS_{summary.upper()}_")
    events.produce(1000, start=3000)

    rows = latest_values(bootstrap_servers, summary.upper(), events.produced, lambda key: int(key.decode()))
    # KSQL 5's layout: a STRING key, and the group-by column in the value beside the count.
    assert {station: row["COUNT"] for station, row in rows.items()} == dict(events.produced)
    assert all(row["STATION_ID"] == station for station, row in rows.items())


def test_the_modern_statements_count_every_event_with_a_kafka_int_key(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    events.produce(2000)
    name = f"turnstile_{suffix()}"
    summary = f"{name}_SUMMARY"
    ok(
        ksql_url,
        f"""
        CREATE STREAM {name} (station_id INT, station_name STRING, line STRING)
            WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');
        CREATE TABLE {summary} WITH (VALUE_FORMAT='JSON') AS
            SELECT station_id, AS_VALUE(station_id) AS station, COUNT(*) AS count
            FROM {name} GROUP BY station_id EMIT CHANGES;
        """,
        EARLIEST,
    )
    events.produce(1000, start=2000)

    rows = latest_values(bootstrap_servers, summary.upper(), events.produced, lambda key: struct.unpack(">i", key)[0])
    assert {station: row["COUNT"] for station, row in rows.items()} == dict(events.produced)
    assert all(row == {"STATION": station, "COUNT": row["COUNT"]} for station, row in rows.items())


def test_a_stream_declared_without_columns_takes_them_from_the_registry(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin, partitions=1)
    TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic).produce(1)
    name = f"events_{suffix()}"
    ok(ksql_url, f"CREATE STREAM {name} WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');")
    (described,) = ok(ksql_url, f"DESCRIBE {name};")
    fields = [(f["name"], f["schema"]["type"]) for f in described["sourceDescription"]["fields"]]
    assert fields == [("STATION_ID", "INTEGER"), ("STATION_NAME", "VARCHAR"), ("LINE", "VARCHAR")]
