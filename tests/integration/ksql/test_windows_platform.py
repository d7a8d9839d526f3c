"""Windowed tables end to end: Avro turnstile events in Kafka, TURNSTILE_HOURLY's statement on the KSQL
server, windowed rows out (keys as Kafka Streams' TimeWindowedSerde writes them), pull and push queries.

The events carry their simulated time in ``entry_time`` and are written, as the simulation writes them,
at the wall clock's time: the stream ``ksql.py`` declares (``TIMESTAMP='ENTRY_TIME'``) windows them by
the simulated time, which may be days ahead of the clock (Kafka 4 refuses records timed more than an
hour ahead unless the brokers lift ``log.message.timestamp.after.max.ms``, as both platforms do).

The fast-tier cases (ksqlDB's QTT) are in ``tests/unit/ksql/test_windows.py``; this file runs the same engine
with Kafka, the Schema Registry and the server's exactly-once persistent queries.
"""

from __future__ import annotations

import json
import struct
import time
from collections import Counter

import requests
from confluent_kafka import SerializingProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer

from consumers.ksql import CREATE_ENTRIES, CREATE_HOURLY, ENTRIES, HOURLY
from cta import schemas
from cta.topics import TURNSTILE
from stack.settings import Settings
from tests.support.ksql import KSQL_JSON, STATIONS, ok, suffix, turnstile_topic
from tests.support.reading import follow

HOUR = 3_600_000
BASE = 1_700_000_000_000 // HOUR * HOUR  # a whole hour of 2023-11-14 (UTC)
EARLIEST = {"ksql.streams.auto.offset.reset": "earliest"}


def produce_entries(bootstrap: str, registry_url: str, topic: str, entries: list[tuple[int, int]]) -> None:
    """Turnstile events as the simulation writes them (Avro key and value) at the given simulated times; the
    records' own timestamps are the wall clock's."""
    registry = SchemaRegistryClient({"url": registry_url})
    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "key.serializer": AvroSerializer(registry, schemas.load("turnstile_key")),
            "value.serializer": AvroSerializer(registry, schemas.load("turnstile_value")),
        }
    )
    for station, timestamp in entries:
        value = {"station_id": station, "station_name": STATIONS[station], "line": "blue", "entry_time": timestamp}
        producer.produce(topic, key={"timestamp": timestamp}, value=value)
    assert producer.flush(30) == 0


def entries_stream(ksql_url: str, topic: str) -> str:
    """``ksql.py``'s TURNSTILE_ENTRIES statement over ``topic``, under a name of its own."""
    stream = f"ENTRIES_{suffix()}".upper()
    ok(ksql_url, CREATE_ENTRIES.replace(f"STREAM {ENTRIES} ", f"STREAM {stream} ").replace(TURNSTILE, topic))
    return stream


def hourly_table(
    ksql_url: str, admin: AdminClient, running_platform: Settings, bootstrap: str, base: int = BASE
) -> tuple[str, Counter]:
    """TURNSTILE_HOURLY's statement over a topic of its own, and the entries per (station, hour) it was fed:
    for three simulated hours from ``base``."""
    topic = turnstile_topic(admin)
    entries = [
        (station, base + hour * HOUR + minute * 60_000)
        for hour in range(3)
        for minute in range(0, 60, 7)
        for station in list(STATIONS)[: hour + 2]
    ]
    produce_entries(bootstrap, running_platform.endpoints.schema_registry_url, topic, entries)
    stream, table = entries_stream(ksql_url, topic), f"HOURLY_{suffix()}".upper()
    ok(ksql_url, CREATE_HOURLY.replace(HOURLY, table).replace(f"FROM {ENTRIES} ", f"FROM {stream} "), EARLIEST)
    return table, Counter((station, (timestamp - base) // HOUR) for station, timestamp in entries)


def windowed_counts(
    bootstrap: str, topic: str, expected: Counter, base: int = BASE
) -> dict[tuple[int, int], tuple[int, int]]:
    """The table's latest committed record per key: (station, hour) -> (ENTRIES, timestamp), once complete."""
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for message in follow(bootstrap, [topic], f"{topic} to hold the expected hourly counts", timeout=120):
        station, start = struct.unpack(">iq", message.key())
        latest[(station, (start - base) // HOUR)] = (json.loads(message.value())["ENTRIES"], message.timestamp()[1])
        if {key: count for key, (count, _) in latest.items()} == dict(expected):
            break
    return latest


def query(ksql_url: str, sql: str) -> tuple[str, list[list]]:
    response = requests.post(
        f"{ksql_url}/query",
        json={"ksql": sql, "streamsProperties": {}},
        headers={"Content-Type": KSQL_JSON},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer[0]["header"]["schema"], [element["row"]["columns"] for element in answer[1:]]


def test_the_hourly_table_counts_entries_per_station_and_hour_of_simulated_time(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    table, expected = hourly_table(ksql_url, admin, running_platform, bootstrap_servers)
    latest = windowed_counts(bootstrap_servers, table, expected)
    for (_, hour), (_, timestamp) in latest.items():  # a row carries its window's latest simulated time
        assert BASE + hour * HOUR <= timestamp < BASE + (hour + 1) * HOUR
    described = ok(ksql_url, f"DESCRIBE {table};")[0]["sourceDescription"]
    assert described["windowType"] == "TUMBLING"
    assert [(f["name"], f.get("type")) for f in described["fields"]] == [("STATION_ID", "KEY"), ("ENTRIES", None)]
    listed = {t["name"]: t["isWindowed"] for t in ok(ksql_url, "SHOW TABLES;")[0]["tables"]}
    assert listed[table] is True


def test_simulated_hours_days_ahead_of_the_clock_are_counted_and_answered(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    """The simulation's clock runs 60 times the wall clock's pace: its hours soon lie days ahead, and the
    table's rows (timed by them) must still be written and answered."""
    ahead = (int(time.time() * 1000) // HOUR + 72) * HOUR
    table, expected = hourly_table(ksql_url, admin, running_platform, bootstrap_servers, base=ahead)
    latest = windowed_counts(bootstrap_servers, table, expected, base=ahead)
    assert max(timestamp for _, timestamp in latest.values()) >= ahead + 2 * HOUR
    _, rows = query(ksql_url, f"SELECT STATION_ID, ENTRIES FROM {table} WHERE WINDOWSTART = {ahead + 2 * HOUR};")
    assert sorted(rows) == sorted([station, expected[(station, 2)]] for station in list(STATIONS)[:4])


def test_entries_without_a_simulated_time_are_left_out_of_the_hours(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    """Records written before ``entry_time`` existed (the first schema, without it) have no simulated time:
    the hourly table skips them, as ksqlDB skips a record without a timestamp; the others count."""
    topic = turnstile_topic(admin, partitions=1)
    registry = SchemaRegistryClient({"url": running_platform.endpoints.schema_registry_url})
    older = json.loads(schemas.load("turnstile_value"))
    older["fields"] = [f for f in older["fields"] if f["name"] != "entry_time"]
    producer = SerializingProducer(
        {
            "bootstrap.servers": bootstrap_servers,
            "key.serializer": AvroSerializer(registry, schemas.load("turnstile_key")),
            "value.serializer": AvroSerializer(registry, json.dumps(older)),
        }
    )
    producer.produce(
        topic, key={"timestamp": BASE}, value={"station_id": 40820, "station_name": "Austin", "line": "blue"}
    )
    assert producer.flush(30) == 0
    produce_entries(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic, [(40380, BASE + 1)])
    stream, table = entries_stream(ksql_url, topic), f"HOURLY_{suffix()}".upper()
    ok(ksql_url, CREATE_HOURLY.replace(HOURLY, table).replace(f"FROM {ENTRIES} ", f"FROM {stream} "), EARLIEST)
    windowed_counts(bootstrap_servers, table, Counter({(40380, 0): 1}))
    _, rows = query(ksql_url, f"SELECT STATION_ID, ENTRIES FROM {table};")
    assert rows == [[40380, 1]]


def test_pull_queries_answer_by_station_and_hour_range(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    table, expected = hourly_table(ksql_url, admin, running_platform, bootstrap_servers)
    windowed_counts(bootstrap_servers, table, expected)
    station = 40380  # Clark/Lake: counted in every hour
    schema, rows = query(ksql_url, f"SELECT * FROM {table} WHERE STATION_ID = {station};")
    assert schema == "`STATION_ID` INTEGER KEY, `WINDOWSTART` BIGINT KEY, `WINDOWEND` BIGINT KEY, `ENTRIES` BIGINT"
    assert sorted(rows) == [
        [station, BASE + hour * HOUR, BASE + (hour + 1) * HOUR, expected[(station, hour)]] for hour in range(3)
    ]
    _, rows = query(
        ksql_url,
        f"SELECT WINDOWSTART, ENTRIES FROM {table} WHERE STATION_ID = {station} "
        f"AND WINDOWSTART >= {BASE + HOUR} AND WINDOWSTART < {BASE + 3 * HOUR};",
    )
    assert sorted(rows) == [[BASE + HOUR, expected[(station, 1)]], [BASE + 2 * HOUR, expected[(station, 2)]]]
    # BASE is 2023-11-14T22:00:00Z, the first hour: Austin and Clark/Lake have entries in it
    _, rows = query(ksql_url, f"SELECT STATION_ID FROM {table} WHERE WINDOWSTART = '2023-11-14T22:00:00';")
    assert sorted(rows) == [[40380], [40820]]


def test_a_push_query_streams_hourly_rows_with_their_window(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin, partitions=1)
    produce_entries(
        bootstrap_servers, running_platform.endpoints.schema_registry_url, topic, [(40820, BASE + 5), (40820, BASE + 9)]
    )
    stream = entries_stream(ksql_url, topic)
    response = requests.post(
        f"{ksql_url}/query-stream",
        json={
            "sql": f"SELECT STATION_ID, WINDOWSTART, WINDOWEND, COUNT(*) AS ENTRIES FROM {stream} "
            "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY STATION_ID EMIT CHANGES LIMIT 2;",
            "properties": {"auto.offset.reset": "earliest"},
        },
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    metadata, *rows = response.json()
    assert metadata["columnNames"] == ["STATION_ID", "WINDOWSTART", "WINDOWEND", "ENTRIES"]
    assert rows == [[40820, BASE, BASE + HOUR, 1], [40820, BASE, BASE + HOUR, 2]]
