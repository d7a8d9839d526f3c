"""Each mode, custom queries, SQL type mapping, numeric.mapping and tasks.max, on scratch tables."""

from __future__ import annotations

import base64
from decimal import Decimal

import requests

from tests.support.connect import Lab, connect_url


def test_bulk_mode_copies_the_whole_table_at_every_poll(lab: Lab) -> None:
    table = lab.table("bulk", "id INTEGER NOT NULL, name TEXT")
    lab.sql(f"INSERT INTO {table} VALUES (1, 'one'), (2, 'two'), (3, NULL)")
    lab.create(lab.config(**{"table.whitelist": table, "mode": "bulk"}))
    rows = lab.read(f"{lab.name}.{table}", 6)
    assert rows[:3] == [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 3, "name": None}]
    assert rows[3:6] == rows[:3]


def test_incrementing_mode_copies_new_rows_only(lab: Lab) -> None:
    table = lab.table("inc", "id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL")
    lab.sql(f"INSERT INTO {table} (name) VALUES ('a'), ('b')")
    name = lab.create(
        lab.config(**{"table.whitelist": table, "mode": "incrementing", "incrementing.column.name": "id"})
    )
    topic = f"{lab.name}.{table}"
    assert lab.read(topic, 2) == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    lab.sql(f"UPDATE {table} SET name = 'changed' WHERE id = 1")  # invisible to incrementing mode
    lab.sql(f"INSERT INTO {table} (name) VALUES ('c')")
    expected = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]
    assert lab.read_all(topic, 3, name) == expected


def test_timestamp_mode_copies_updated_rows_again(lab: Lab) -> None:
    table = lab.table("ts", "id INTEGER NOT NULL, name TEXT NOT NULL, updated TIMESTAMP NOT NULL")
    lab.sql(f"INSERT INTO {table} VALUES (1, 'a', now() - interval '1 minute'), (2, 'b', now() - interval '1 minute')")
    name = lab.create(lab.config(**{"table.whitelist": table, "mode": "timestamp", "timestamp.column.name": "updated"}))
    topic = f"{lab.name}.{table}"
    assert [row["name"] for row in lab.read(topic, 2)] == ["a", "b"]
    lab.sql(f"UPDATE {table} SET name = 'a2', updated = clock_timestamp() WHERE id = 1")
    rows = lab.read_all(topic, 3, name)
    assert [(row["id"], row["name"]) for row in rows] == [(1, "a"), (2, "b"), (1, "a2")]
    assert isinstance(rows[2]["updated"], int)  # Connect Timestamp: milliseconds since the epoch


def test_timestamp_incrementing_mode_reads_rows_sharing_a_timestamp_exactly_once(lab: Lab) -> None:
    table = lab.table("tsi", "id SERIAL PRIMARY KEY, name TEXT NOT NULL, updated TIMESTAMP NOT NULL")
    lab.sql(
        f"INSERT INTO {table} (name, updated) SELECT 'r' || n, now() - interval '1 minute' FROM generate_series(1, 5) n"
    )
    config = {
        "table.whitelist": table,
        "mode": "timestamp+incrementing",
        "timestamp.column.name": "updated",
        "incrementing.column.name": "id",
        "batch.max.rows": "2",  # offsets land between rows of the same timestamp
    }
    name = lab.create(lab.config(**config))
    topic = f"{lab.name}.{table}"
    assert [row["id"] for row in lab.read(topic, 5)] == [1, 2, 3, 4, 5]
    lab.sql(f"UPDATE {table} SET name = 'changed', updated = clock_timestamp() WHERE id = 3")
    rows = lab.read_all(topic, 6, name)
    assert [(row["id"], row["name"]) for row in rows][5:] == [(3, "changed")]
    assert len(rows) == 6


def test_custom_query_writes_to_the_topic_prefix(lab: Lab) -> None:
    table = lab.table("q", "id INTEGER PRIMARY KEY, name TEXT NOT NULL, secret TEXT")
    lab.sql(f"INSERT INTO {table} VALUES (1, 'a', 'x'), (2, 'b', 'y')")
    query = f"SELECT id, upper(name) AS shout FROM {table}"
    name = lab.create(lab.config(**{"query": query, "mode": "incrementing", "incrementing.column.name": "id"}))
    topic = f"{lab.name}."
    assert lab.read(topic, 2) == [{"id": 1, "shout": "A"}, {"id": 2, "shout": "B"}]
    lab.sql(f"INSERT INTO {table} VALUES (3, 'c', 'z')")
    assert lab.read_all(topic, 3, name)[2:] == [{"id": 3, "shout": "C"}]


def test_sql_types_map_to_connect_schemas_as_confluent_maps_them(lab: Lab) -> None:
    table = lab.table(
        "types",
        "i INTEGER NOT NULL, s SMALLINT, b BIGINT, f4 REAL, f8 DOUBLE PRECISION, n NUMERIC(10,2), t TEXT,"
        " v VARCHAR(5), ok BOOLEAN, d DATE, tm TIME, ts TIMESTAMP, by BYTEA, u UUID, j JSONB",
    )
    lab.sql(
        f"INSERT INTO {table} VALUES (1, 2, 3, 1.5, 2.25, 12.34, 'text', 'vc', true, '2024-10-07', '08:30:00',"
        " '2024-10-07 08:30:00.123', '\\x0102', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}')"
    )
    lab.create(lab.config(**{"table.whitelist": table, "mode": "bulk", "value.converter.schemas.enable": "true"}))
    record = lab.read(f"{lab.name}.{table}", 1)[0]
    schema, value = record["schema"], record["payload"]
    assert schema["name"] == table and schema["type"] == "struct" and schema["optional"] is False
    fields = {f["field"]: (f["type"], f.get("name"), f["optional"]) for f in schema["fields"]}
    assert fields == {
        "i": ("int32", None, False),
        "s": ("int16", None, True),
        "b": ("int64", None, True),
        "f4": ("float", None, True),
        "f8": ("double", None, True),
        "n": ("bytes", "org.apache.kafka.connect.data.Decimal", True),
        "t": ("string", None, True),
        "v": ("string", None, True),
        "ok": ("boolean", None, True),
        "d": ("int32", "org.apache.kafka.connect.data.Date", True),
        "tm": ("int32", "org.apache.kafka.connect.data.Time", True),
        "ts": ("int64", "org.apache.kafka.connect.data.Timestamp", True),
        "by": ("bytes", None, True),
        "u": ("string", None, True),
        "j": ("string", None, True),
    }
    decimal = next(f for f in schema["fields"] if f["field"] == "n")
    assert decimal["parameters"]["scale"] == "2"
    assert Decimal(int.from_bytes(base64.b64decode(value["n"]), "big", signed=True)).scaleb(-2) == Decimal("12.34")
    assert value["d"] == 20003  # days since 1970-01-01
    assert value["tm"] == (8 * 60 + 30) * 60 * 1000
    assert value["ts"] == 1728289800123
    assert base64.b64decode(value["by"]) == b"\x01\x02"
    assert (value["i"], value["s"], value["b"], value["f4"], value["f8"], value["ok"]) == (1, 2, 3, 1.5, 2.25, True)
    assert value["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" and value["j"] == '{"k": 1}'


def test_numeric_mapping_best_fit_and_precision_only(lab: Lab) -> None:
    table = lab.table("num", "small NUMERIC(2,0), medium NUMERIC(9,0), big NUMERIC(18,0), money NUMERIC(10,2)")
    lab.sql(f"INSERT INTO {table} VALUES (12, 123456789, 123456789012345678, 12.5)")
    best = lab.config(**{"table.whitelist": table, "mode": "bulk", "numeric.mapping": "best_fit"})
    lab.create(best, suffix="best")
    assert lab.read(f"{lab.name}.{table}", 1)[0] == {
        "small": 12,
        "medium": 123456789,
        "big": 123456789012345678,
        "money": 12.5,
    }
    precision = {**best, "numeric.mapping": "precision_only", "topic.prefix": f"{lab.name}.p."}
    lab.create(precision, suffix="precision")
    row = lab.read(f"{lab.name}.p.{table}", 1)[0]
    assert (row["small"], row["medium"], row["big"]) == (12, 123456789, 123456789012345678)
    assert base64.b64decode(row["money"]) == (1250).to_bytes(2, "big")  # still a Decimal


def test_tasks_max_spreads_tables_over_tasks(lab: Lab) -> None:
    tables = [lab.table(f"part{n}", "id INTEGER PRIMARY KEY") for n in range(3)]
    for n, table in enumerate(tables):
        lab.sql(f"INSERT INTO {table} SELECT generate_series(1, {n + 1})")
    config = lab.config(
        **{
            "table.whitelist": ",".join(tables),
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "tasks.max": "2",
        }
    )
    name = lab.create(config, tasks=2)
    for n, table in enumerate(tables):
        assert [row["id"] for row in lab.read(f"{lab.name}.{table}", n + 1)] == list(range(1, n + 2))
    tasks = requests.get(f"{connect_url(lab.settings)}/connectors/{name}/tasks", timeout=10).json()
    assert len(tasks) == 2
    lab.create({**config, "tasks.max": "5"}, tasks=3)  # never more tasks than tables
