"""The classic project's KSQL 5 statements and their modern equivalents count every turnstile event exactly."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from stack.settings import Settings
from tests.support.ksql import TurnstileEvents, ksql, latest_values, ok, query_caught_up, suffix, turnstile_topic
from tests.support.reading import avro, follow, read_to_end
from tests.support.waiting import wait_for

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
    assert fields == [
        ("STATION_ID", "INTEGER"),
        ("STATION_NAME", "STRING"),
        ("LINE", "STRING"),
        ("ENTRY_TIME", "BIGINT"),
    ]


def json_events(admin: AdminClient, bootstrap: str, rows: list[dict[str, object]]) -> str:
    """A one-partition topic holding ``rows`` in order (so that LATEST_BY_OFFSET has one answer)."""
    topic = turnstile_topic(admin, partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for row in rows:
        producer.produce(topic, value=json.dumps(row).encode())
    assert producer.flush(10) == 0
    return topic


def read_table(
    bootstrap: str, topic: str, holds: Callable[[dict[bytes, dict[str, object]]], bool]
) -> dict[bytes, dict[str, object]]:
    """The latest value per key of a table's topic, once ``holds`` is true of it and the query writing
    the table has read all its input (a later change would show).

    If ``holds`` is still false after 90 s, the table is returned as it is, for the caller's
    assertion to show what differs.
    """
    latest: dict[bytes, dict[str, object]] = {}
    try:
        for message in follow(bootstrap, [topic], f"the rows of {topic}", timeout=90):
            latest[message.key()] = json.loads(message.value())
            if holds(latest):
                break
    except TimeoutError:
        return latest
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wait_for(lambda: query_caught_up(admin, bootstrap, topic), f"the query writing {topic} to read all its input")
    return {message.key(): json.loads(message.value()) for message in read_to_end(bootstrap, [topic])}


RIDES = [
    {"line": "red", "station": "Howard", "fare": 2.5, "riders": 3},
    {"line": "red", "station": "Howard", "fare": 1.0, "riders": 1},
    {"line": "blue", "station": "O'Hare", "fare": 5.0, "riders": 2},
    {"line": "red", "station": "Lake", "fare": None, "riders": 4},
    {"line": "blue", "station": "O'Hare", "fare": 3.0, "riders": None},
]


def test_every_aggregate_over_a_json_stream(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    topic = json_events(admin, bootstrap_servers, RIDES)
    name = f"RIDES_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} (line STRING, station STRING, fare DOUBLE, riders INT)"
        f" WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');"
        f"CREATE TABLE {name}_BY_LINE AS SELECT line, COUNT(*) AS rides, COUNT(fare) AS paid, SUM(riders) AS riders,"
        f" MIN(fare) AS cheapest, MAX(fare) AS dearest, AVG(fare) AS average, LATEST_BY_OFFSET(station) AS last_station"
        f" FROM {name} GROUP BY line;",
        EARLIEST,
    )
    expected = {
        b"red": {
            "RIDES": 3,
            "PAID": 2,
            "RIDERS": 8,
            "CHEAPEST": 1.0,
            "DEAREST": 2.5,
            "AVERAGE": 1.75,
            "LAST_STATION": "Lake",
        },
        b"blue": {
            "RIDES": 2,
            "PAID": 2,
            "RIDERS": 2,
            "CHEAPEST": 3.0,
            "DEAREST": 5.0,
            "AVERAGE": 4.0,
            "LAST_STATION": "O'Hare",
        },
    }
    assert read_table(bootstrap_servers, f"{name}_BY_LINE", lambda table: table == expected) == expected


def test_grouping_by_two_columns_keys_as_each_dialect_does(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    topic = json_events(admin, bootstrap_servers, RIDES)
    name = f"RIDES_{suffix()}".upper()
    columns = "(line STRING, station STRING, fare DOUBLE, riders INT)"
    ok(ksql_url, f"CREATE STREAM {name} {columns} WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');")
    refused = ksql(
        ksql_url, f"CREATE TABLE {name}_K AS SELECT line, station, COUNT(*) AS n FROM {name} GROUP BY line, station;"
    )
    assert refused.status_code == 400 and "'KAFKA' format only supports a single field" in refused.json()["message"]

    ok(
        ksql_url,
        f"CREATE TABLE {name}_J WITH (KEY_FORMAT='JSON') AS "
        f"SELECT line, station, COUNT(*) AS n FROM {name} GROUP BY line, station;",
        EARLIEST,
    )
    modern = {
        '{"LINE": "red", "STATION": "Howard"}': {"N": 2},
        '{"LINE": "blue", "STATION": "O\'Hare"}': {"N": 2},
        '{"LINE": "red", "STATION": "Lake"}': {"N": 1},
    }

    def by_json_key(table: dict[bytes, dict[str, object]]) -> dict[str, dict[str, object]]:
        return {json.dumps(json.loads(k), sort_keys=True): v for k, v in table.items()}

    assert by_json_key(read_table(bootstrap_servers, f"{name}_J", lambda t: by_json_key(t) == modern)) == modern

    ok(ksql_url, f"CREATE TABLE {name}_OLD {columns} WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON', KEY='line');")
    ok(
        ksql_url,
        f"CREATE TABLE {name}_OLD_COUNTS AS "
        f"SELECT line, station, COUNT(*) AS n FROM {name}_OLD GROUP BY line, station;",
        EARLIEST,
    )
    legacy = {
        b"red|+|Howard": {"LINE": "red", "STATION": "Howard", "N": 2},
        b"blue|+|O'Hare": {"LINE": "blue", "STATION": "O'Hare", "N": 2},
        b"red|+|Lake": {"LINE": "red", "STATION": "Lake", "N": 1},
    }
    assert read_table(bootstrap_servers, f"{name}_OLD_COUNTS", lambda table: table == legacy) == legacy


def test_an_avro_table_registers_its_schema_and_reads_with_confluents_deserializer(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    events.produce(300)
    name = f"T_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');"
        f"CREATE TABLE {name}_COUNTS AS SELECT station_id, LATEST_BY_OFFSET(line) AS line, COUNT(*) AS count"
        f" FROM {name} GROUP BY station_id;",
        EARLIEST,
    )
    latest: dict[int, dict[str, object]] = {}
    values = avro(running_platform.endpoints.schema_registry_url)
    for message in follow(bootstrap_servers, [f"{name}_COUNTS"], f"every count in {name}_COUNTS", 90, values=values):
        latest[struct.unpack(">i", message.key())[0]] = message.value()
        if {k: v["COUNT"] for k, v in latest.items()} == dict(events.produced):
            break
    assert {k: v["COUNT"] for k, v in latest.items()} == dict(events.produced)
    assert all(value == {"LINE": "blue", "COUNT": value["COUNT"]} for value in latest.values())
    registry = SchemaRegistryClient({"url": running_platform.endpoints.schema_registry_url})
    schema = json.loads(registry.get_latest_version(f"{name}_COUNTS-value").schema.schema_str)
    assert schema["name"] == "KsqlDataSourceSchema" and [f["name"] for f in schema["fields"]] == ["LINE", "COUNT"]
