"""KSQL 5's dialect end to end: the implicit ROWKEY and ROWTIME, KSQL_COL_<position>, dotted names.

The expected records are what KSQL 5 wrote: its own integration test of ``SELECT ROWKEY AS RKEY,
ROWTIME AS RTIME`` (key "8", value RKEY "8", RTIME the record's timestamp), a KSQL 5.2 session of the
classic project (``SELECT * FROM TURNSTILE_SUMMARY`` showing ``ROWTIME | ROWKEY | STATION_ID |
COUNT`` as ``... | 40590 | 40590 | 1``), and the classic project's own ``ksql.py`` statements, posted
unmodified. docs/ksql.md says where each rule comes from.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
from confluent_kafka import Message, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from cta import schemas
from cta.config import SimulationConfig
from producers.models.producer import KafkaWriter
from stack.settings import Settings
from tests.support.ksql import KSQL_JSON, STATIONS, ksql, ok, suffix, turnstile_topic
from tests.support.reading import read_to_end
from tests.support.waiting import wait_for

EARLIEST = {"ksql.streams.auto.offset.reset": "earliest"}
# Timestamps of today: older ones would be past the broker's retention, which may delete them mid-test.
NOW = int(time.time() * 1000)
ORDERS = [  # (key, value, timestamp): KSQL 5's integration tests keyed each order by its ITEMID's number
    (b"1", {"ORDERID": "ORDER_1", "ITEMID": "ITEM_1", "ORDERUNITS": 10.0}, NOW + 1),
    (b"8", {"ORDERID": "ORDER_6", "ITEMID": "ITEM_8", "ORDERUNITS": 80.0}, NOW + 6),
    (b"8", {"ORDERID": "ORDER_7", "ITEMID": "ITEM_8", "ORDERUNITS": 5.0}, NOW + 7),
    (None, {"ORDERID": "ORDER_8", "ITEMID": "ITEM_3", "ORDERUNITS": 30.0}, NOW + 8),
]


def orders_topic(admin: AdminClient, bootstrap: str, orders: list[tuple[bytes | None, Any, int]] = ORDERS) -> str:
    topic = turnstile_topic(admin, partitions=1)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for key, value, timestamp in orders:
        producer.produce(topic, key=key, value=json.dumps(value).encode(), timestamp=timestamp)
    assert producer.flush(30) == 0
    return topic


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Where each partition of ``topic`` ends now (a sink the classic statements name outlives a test run)."""
    ends: dict[int, int] = {}
    for message in read_to_end(bootstrap, [topic]):
        ends[message.partition()] = message.offset() + 1
    return ends


def records(
    bootstrap: str, topic: str, count: int, after: dict[int, int] | None = None
) -> list[tuple[bytes | None, Any, int]]:
    """(key, value, timestamp) of a sink's records past ``after``, once the query has written ``count`` of them."""

    def written() -> list[Message] | None:
        found = [m for m in read_to_end(bootstrap, [topic]) if m.offset() >= (after or {}).get(m.partition(), 0)]
        return found if len(found) >= count else None

    found = wait_for(written, f"{count} records in {topic}", 90)
    return [(m.key(), json.loads(m.value()), m.timestamp()[1]) for m in found]


def test_ksql5_writes_rowkey_and_rowtime_into_the_value_only_under_another_name(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """KSQL 5's testSelectProjectKeyTimestamp: the key stays the source's, ROWKEY and ROWTIME go into the value
    only under an alias, and ``*`` writes every column but them."""
    topic = orders_topic(admin, bootstrap_servers)
    name = f"ORDERS_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} (ORDERID varchar, ITEMID varchar, ORDERUNITS double) "
        f"WITH (kafka_topic='{topic}', value_format='JSON', key='ITEMID');"
        f"CREATE STREAM {name}_KT AS SELECT ROWKEY AS RKEY, ROWTIME AS RTIME, ITEMID FROM {name} "
        f"WHERE ORDERUNITS > 20 AND ITEMID = 'ITEM_8';"
        f"CREATE STREAM {name}_ALL AS SELECT * FROM {name};"
        f"CREATE STREAM {name}_PLUS AS SELECT ROWKEY, ROWTIME + 10000, ORDERUNITS * 2 FROM {name};",
        EARLIEST,
    )
    assert records(bootstrap_servers, f"{name}_KT", 1) == [
        (b"8", {"RKEY": "8", "RTIME": NOW + 6, "ITEMID": "ITEM_8"}, NOW + 6)
    ]
    assert records(bootstrap_servers, f"{name}_ALL", 4) == [(k, v, t) for k, v, t in ORDERS]
    assert records(bootstrap_servers, f"{name}_PLUS", 4) == [
        (key, {"KSQL_COL_1": timestamp + 10000, "KSQL_COL_2": value["ORDERUNITS"] * 2}, timestamp)
        for key, value, timestamp in ORDERS
    ]
    (described,) = ok(ksql_url, f"DESCRIBE {name}_PLUS;")
    fields = [(f["name"], f["schema"]["type"], f.get("type")) for f in described["sourceDescription"]["fields"]]
    assert fields == [("ROWKEY", "STRING", "KEY"), ("KSQL_COL_1", "BIGINT", None), ("KSQL_COL_2", "DOUBLE", None)]


def test_a_ksql5_table_declared_without_key_keeps_the_record_key_as_rowkey(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    keyed = [order for order in ORDERS if order[0] is not None]  # a table's records have keys
    topic = orders_topic(admin, bootstrap_servers, keyed)
    name = f"ORDERS_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE TABLE {name} (ORDERID varchar, ITEMID varchar, ORDERUNITS double) "
        f"WITH (kafka_topic='{topic}', value_format='JSON');"
        f"CREATE TABLE {name}_K AS SELECT ROWKEY AS K, ORDERID FROM {name};",
        EARLIEST,
    )
    assert records(bootstrap_servers, f"{name}_K", 3) == [
        (key, {"K": key.decode(), "ORDERID": value["ORDERID"]}, timestamp) for key, value, timestamp in keyed
    ]


def test_ksql5_groups_by_rowkey_into_a_string_key(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    topic = orders_topic(admin, bootstrap_servers)
    name = f"ORDERS_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} (ORDERID varchar, ITEMID varchar, ORDERUNITS double) "
        f"WITH (kafka_topic='{topic}', value_format='JSON', key='ITEMID');"
        f"CREATE TABLE {name}_N AS SELECT ROWKEY, COUNT(*), SUM(ORDERUNITS) AS UNITS FROM {name} "
        f"WHERE ROWKEY IS NOT NULL GROUP BY ROWKEY;",
        EARLIEST,
    )
    latest = {key: value for key, value, _ in records(bootstrap_servers, f"{name}_N", 2)}
    assert latest == {b"1": {"KSQL_COL_1": 1, "UNITS": 10.0}, b"8": {"KSQL_COL_1": 2, "UNITS": 85.0}}


def test_rowkey_is_ksql5s_alone(ksql_url: str, admin: AdminClient, bootstrap_servers: str) -> None:
    """A stream declared without KEY= or key columns is ksqlDB's, which has no implicit ROWKEY."""
    topic = orders_topic(admin, bootstrap_servers)
    name = f"ORDERS_{suffix()}".upper()
    ok(ksql_url, f"CREATE STREAM {name} (ORDERID varchar) WITH (kafka_topic='{topic}', value_format='JSON');")
    refused = ksql(ksql_url, f"CREATE STREAM {name}_K AS SELECT ROWKEY, ORDERID FROM {name};")
    assert refused.status_code == 400
    assert refused.json()["error_code"] == 40001 and "'ROWKEY' cannot be resolved" in refused.json()["message"]


# --- the classic project's ksql.py, posted unmodified to a KSQL server of its own ---------------------------
#
# Their topics are named in the statements, so they outlive a test run: what the tests expect is computed from
# everything the input topic holds, and the output is read from where it ended before the test.

CLASSIC = (  # the first line ends in a space
    "\nCREATE TABLE turnstile (station_id BIGINT, station_name VARCHAR, line VARCHAR) \n"
    "WITH (KAFKA_TOPIC='com.udacity.project1.turnstiles', VALUE_FORMAT='AVRO', key='station_id');\n"
    """
CREATE TABLE turnstile_summary
WITH (
    KAFKA_TOPIC = 'turnstile_summary',
    VALUE_FORMAT='JSON'
)
AS
 SELECT station_id, count(*) as count FROM turnstile
 GROUP by station_id;
"""
)
DOTTED = """
CREATE TABLE turnstile (
    station_id INTEGER,
    station_name VARCHAR,
    line INTEGER
) WITH (
    KAFKA_TOPIC='com.udacity.turnstile',
    VALUE_FORMAT='AVRO',
    KEY='station_id'
);

CREATE TABLE com.udacity.turnstile_summary
WITH (
    KAFKA_TOPIC='com.udacity.turnstile_summary',
    VALUE_FORMAT='JSON'
) AS
    SELECT station_id, count(*) as count FROM turnstile GROUP BY station_id;
"""


def classic_server(private_servers: Callable[[int], Any]) -> str:
    """A KSQL server of its own (a fresh service id): the classic names TURNSTILE and TURNSTILE_SUMMARY are free."""
    server = private_servers(0)
    server.start()
    return server.url


def produce_entries(settings: Settings, topic: str, count: int) -> None:
    """Turnstile entries written as the simulation writes them: producers/' writer, Avro key and value."""
    writer = KafkaWriter(SimulationConfig(settings.endpoints))
    turnstile = writer.topic(topic, schemas.load("turnstile_key"), schemas.load("turnstile_value"), partitions=3)
    ids = list(STATIONS)
    for n in range(count):
        station = ids[n * 7 // 3 % len(ids)]
        value = {"station_id": station, "station_name": STATIONS[station], "line": "blue"}
        turnstile.produce({"timestamp": 1_700_000_000_000 + n}, value)
    assert writer.flush() == 0


def entries(settings: Settings, topic: str) -> list[tuple[bytes, dict[str, Any]]]:
    """Every entry the topic holds: its key's bytes and its value."""
    registry = SchemaRegistryClient({"url": settings.endpoints.schema_registry_url})
    values = AvroDeserializer(registry)
    return [
        (m.key(), values(m.value(), SerializationContext(topic, MessageField.VALUE)))
        for m in read_to_end(settings.endpoints.kafka_bootstrap_servers, [topic])
    ]


def pull(url: str, sql: str) -> tuple[list[str], list[list[Any]]]:
    """A pull query's column names and rows, from /query."""
    response = requests.post(f"{url}/query", json={"ksql": sql}, headers={"Content-Type": KSQL_JSON}, timeout=60)
    assert response.status_code == 200, response.text
    header, *rows = json.loads(response.text)
    names = [column.split("`")[1] for column in header["header"]["schema"].split(", ")]
    return names, [row["row"]["columns"] for row in rows if "row" in row]


def test_the_classic_statements_write_what_ksql5_wrote(
    running_platform: Settings, bootstrap_servers: str, private_servers: Callable[[int], Any]
) -> None:
    url = classic_server(private_servers)
    produce_entries(running_platform, "com.udacity.project1.turnstiles", 600)
    before = end_offsets(bootstrap_servers, "turnstile_summary")
    created = ok(url, CLASSIC, EARLIEST)
    assert created[0]["commandStatus"]["message"] == "Table created"
    held = entries(running_platform, "com.udacity.project1.turnstiles")
    counts = Counter(value["station_id"] for _, value in held)

    def counted() -> dict[bytes, Any] | None:
        latest = {key: value for key, value, _ in records(bootstrap_servers, "turnstile_summary", 1, before)}
        return (
            latest
            if len(latest) == len(counts) and all(v["COUNT"] == counts[v["STATION_ID"]] for v in latest.values())
            else None
        )

    latest = wait_for(counted, "every station's count in turnstile_summary", 90)
    # The key is the station id as text, and the value has the station id beside the count.
    assert latest == {str(s).encode(): {"STATION_ID": s, "COUNT": n} for s, n in counts.items()}

    names, rows = pull(url, "SELECT * FROM TURNSTILE_SUMMARY;")
    assert names == ["ROWTIME", "ROWKEY", "STATION_ID", "COUNT"]
    assert sorted(row[1:] for row in rows) == sorted([str(s), s, n] for s, n in counts.items())
    names, rows = pull(url, "SELECT * FROM TURNSTILE LIMIT 10;")
    assert names == ["ROWTIME", "ROWKEY", "STATION_ID", "STATION_NAME", "LINE"]
    # ROWKEY is the Avro key read as a string, as Kafka's StringDeserializer reads it (replacement characters).
    # Keys that read as the same text are one key of the table, in KSQL 5 too.
    stations_by_key: dict[str, set[int]] = {}
    for key, value in held:
        stations_by_key.setdefault(key.decode("utf-8", errors="replace"), set()).add(value["station_id"])
    assert len(rows) == 10 and all(row[2] in stations_by_key[row[1]] for row in rows)


def test_the_classic_dotted_names_name_the_summary_after_their_last_part(
    running_platform: Settings, bootstrap_servers: str, private_servers: Callable[[int], Any]
) -> None:
    """This solution declared LINE an INTEGER, which the Avro values hold as a string: KSQL 5 skipped every entry
    (\"Cannot deserialize type string as type int32\"), and so does this server."""
    url = classic_server(private_servers)
    produce_entries(running_platform, "com.udacity.turnstile", 300)
    before = end_offsets(bootstrap_servers, "com.udacity.turnstile_summary")
    ok(url, DOTTED, EARLIEST)
    tables = {t["name"]: t["topic"] for t in ok(url, "SHOW TABLES;")[0]["tables"]}
    assert tables == {"TURNSTILE": "com.udacity.turnstile", "TURNSTILE_SUMMARY": "com.udacity.turnstile_summary"}
    held = len(read_to_end(bootstrap_servers, ["com.udacity.turnstile"]))

    def failed() -> bool:
        described = ok(url, "DESCRIBE EXTENDED com.udacity.turnstile_summary;")[0]["sourceDescription"]
        return described["errorStats"] == f"failed-messages: {held}"

    wait_for(failed, "every entry to fail to deserialize", 90)
    assert end_offsets(bootstrap_servers, "com.udacity.turnstile_summary") == before
