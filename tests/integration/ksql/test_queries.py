"""Push queries stream rows as records arrive; pull queries answer with what the topics hold now."""

from __future__ import annotations

import json
import struct
import threading
from typing import Any

import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests.support.ksql import KSQL_JSON, TurnstileEvents, latest_values, ok, suffix, turnstile_topic
from tests.support.waiting import wait_for


def json_stream(ksql_url: str, admin: AdminClient, bootstrap: str, rows: list[dict[str, Any]]) -> tuple[str, str]:
    topic = turnstile_topic(admin, partitions=2)
    producer = Producer({"bootstrap.servers": bootstrap})
    for row in rows:
        producer.produce(topic, key=row["id"].encode(), value=json.dumps(row).encode())
    producer.flush(10)
    name = f"s_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} (id STRING KEY, amount INT, note STRING) "
        f"WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='JSON');",
    )
    return name, topic


def query_lines(ksql_url: str, sql: str, properties: dict[str, str] | None = None) -> list[str]:
    response = requests.post(
        f"{ksql_url}/query",
        json={"ksql": sql, "streamsProperties": properties or {}},
        headers={"Content-Type": KSQL_JSON},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.text.splitlines()


def test_a_push_query_delivers_new_rows_that_pass_its_filter_until_its_limit(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    """The query reads from the end: a row already in the topic never comes, new ones do.

    The query's reader is positioned at the end some time after the header is sent. Rather than wait
    a guessed time, the test writes a filtered-out and a passing record again and again until a row
    comes: the first row is the passing record of whichever pair the query saw first. (How fast rows
    come is measured by ``make bench``: push query, produce to row.)
    """
    name, topic = json_stream(ksql_url, admin, bootstrap_servers, [{"id": "old", "amount": 7}])
    lines: list[bytes] = []
    response = requests.post(
        f"{ksql_url}/query",
        json={"ksql": f"SELECT id, amount FROM {name} WHERE amount > 5 EMIT CHANGES LIMIT 1;"},
        stream=True,
        timeout=60,
    )

    def read() -> None:
        for line in response.iter_lines():
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_for(lambda: lines, "the push query's header")
    header = json.loads(lines[0].decode().lstrip("[").rstrip(","))
    assert header["header"]["schema"] == "`ID` STRING, `AMOUNT` INTEGER"
    producer = Producer({"bootstrap.servers": bootstrap_servers})

    def a_row_came() -> bool:
        if [line for line in lines[1:] if line.strip()]:
            return True
        producer.produce(topic, key=b"small", value=json.dumps({"id": "small", "amount": 1}).encode())
        producer.produce(topic, key=b"big", value=json.dumps({"ID": "big", "AMOUNT": 9, "NOTE": "x"}).encode())
        producer.flush(30)
        return False

    wait_for(a_row_came, "a row of the push query", 120, every=0.5)
    reader.join(60)
    assert not reader.is_alive(), "the query did not end at its LIMIT"
    rows = [line for line in lines[1:] if line.strip()]
    assert json.loads(rows[0].decode().rstrip(",")) == {"row": {"columns": ["big", 9]}}
    assert json.loads(rows[1].decode().rstrip("]")) == {"finalMessage": "Limit Reached"}
    assert len(rows) == 2


def test_a_pull_query_on_a_stream_reads_every_row_to_the_current_end(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    rows = [{"id": f"k{n}", "amount": n, "note": "a'b" if n == 3 else None} for n in range(6)]
    name, _ = json_stream(ksql_url, admin, bootstrap_servers, rows)
    lines = query_lines(ksql_url, f"SELECT * FROM {name} WHERE amount >= 3;")
    assert lines[0].startswith('[{"header":') and lines[-1].endswith("]")
    found = sorted(json.loads(line.strip(",[]"))["row"]["columns"] for line in lines[1:])
    assert found == [["k3", 3, "a'b"], ["k4", 4, None], ["k5", 5, None]]


def test_a_pull_query_on_a_counted_table_gives_the_latest_count_per_key(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str, running_platform: Settings
) -> None:
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    events.produce(500)
    name = f"t_{suffix()}".upper()
    ok(
        ksql_url,
        f"CREATE STREAM {name} WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');"
        f"CREATE TABLE {name}_COUNTS WITH (VALUE_FORMAT='JSON') AS "
        f"SELECT station_id, COUNT(*) AS count FROM {name} GROUP BY station_id;",
        {"auto.offset.reset": "earliest"},
    )
    latest_values(bootstrap_servers, f"{name}_COUNTS", events.produced, lambda key: struct.unpack(">i", key)[0])
    lines = query_lines(ksql_url, f"SELECT * FROM {name}_COUNTS;")
    header = json.loads(lines[0].lstrip("[").rstrip(","))
    assert header["header"]["schema"] == "`STATION_ID` INTEGER KEY, `COUNT` BIGINT"
    counts = dict(json.loads(line.strip(",]"))["row"]["columns"] for line in lines[1:])
    assert counts == dict(events.produced)
    one = query_lines(ksql_url, f"SELECT COUNT FROM {name}_COUNTS WHERE station_id = 40380;")
    assert [json.loads(line.strip(",]"))["row"]["columns"] for line in one[1:]] == [[events.produced[40380]]]


def test_query_stream_answers_in_the_delimited_format(
    ksql_url: str, admin: AdminClient, bootstrap_servers: str
) -> None:
    name, _ = json_stream(ksql_url, admin, bootstrap_servers, [{"id": "a", "amount": 1}, {"id": "b", "amount": 2}])
    response = requests.post(f"{ksql_url}/query-stream", json={"sql": f"SELECT id, amount FROM {name};"}, timeout=30)
    assert response.status_code == 200
    lines = response.text.splitlines()
    metadata = json.loads(lines[0])
    assert metadata["columnNames"] == ["ID", "AMOUNT"] and metadata["columnTypes"] == ["STRING", "INTEGER"]
    assert sorted(json.loads(line) for line in lines[1:]) == [["a", 1], ["b", 2]]
