"""Our AvroConverter, under Confluent's class name, against confluent-kafka's Avro serializers.

Source direction: Connect (our JDBC source connector) writes with the converter, and confluent-kafka's
AvroDeserializer reads what it wrote. Sink direction: confluent-kafka's AvroSerializer writes, and
the converter class reads it as a sink task's worker would (ConverterHarness.java, see
converter_harness.py), which shows the Connect schema a sink gets.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from confluent_kafka.schema_registry import Schema

from stack.settings import Settings
from tests.support.connect import WASHINGTON_WABASH_OUTER_LOOP, Lab, connect_url
from tests.support.converter_harness import AVRO, ConverterError, ConverterHarness
from tests.support.registry_converters import (
    SAMPLE_PAYLOAD,
    SAMPLE_SCHEMA,
    avro_deserialize,
    avro_serialize,
    classic_stations,
    latest,
    registry,
    topic_name,
)
from tests.support.waiting import wait_for

# What Confluent's AvroConverter registers for the stations table (Confluent's JDBC connector names
# the struct after the table; the nullable "order" column is an optional field).
STATIONS_AVRO_SCHEMA = {
    "type": "record",
    "name": "stations",
    "fields": [
        {"name": "stop_id", "type": "int"},
        {"name": "direction_id", "type": "string"},
        {"name": "stop_name", "type": "string"},
        {"name": "station_name", "type": "string"},
        {"name": "station_descriptive_name", "type": "string"},
        {"name": "station_id", "type": "int"},
        {"name": "order", "type": ["null", "int"], "default": None},
        {"name": "red", "type": "boolean"},
        {"name": "blue", "type": "boolean"},
        {"name": "green", "type": "boolean"},
        *({"name": line, "type": "boolean"} for line in ("brown", "orange", "pink", "purple", "yellow")),
    ],
    "connect.name": "stations",
}


# --- Source direction: Connect writes, confluent-kafka reads -------------------------------------


def test_classic_stations_configuration_with_avro_converter_writes_records_confluent_reads(
    lab: Lab, registry_url: str
) -> None:
    """The classic connector configuration, its value converter set to Confluent's AvroConverter."""
    topic_name = classic_stations(lab, AVRO, registry_url)

    records = lab.read_raw(topic_name, 300)
    rows = [avro_deserialize(registry_url, topic_name, record) for record in records]
    assert len({row["stop_id"] for row in rows}) == 300
    row = next(row for row in rows if row["stop_id"] == 30383)
    assert row == WASHINGTON_WABASH_OUTER_LOOP
    registered = latest(registry_url, f"{topic_name}-value")
    assert json.loads(registered["schema"]) == STATIONS_AVRO_SCHEMA
    assert {record[1:5] for record in records} == {registered["id"].to_bytes(4, "big")}


def test_sql_types_arrive_as_avro_logical_types(lab: Lab, registry_url: str) -> None:
    """NUMERIC, DATE, TIME, TIMESTAMP, SMALLINT, BYTEA and NULLs, decoded by fastavro's logical types."""
    table = lab.table(
        "types",
        "id SERIAL PRIMARY KEY, price NUMERIC(10,2) NOT NULL, day DATE NOT NULL, at TIMESTAMP, "
        "clock TIME, small SMALLINT, raw BYTEA, note TEXT",
    )
    lab.sql(
        f"INSERT INTO {table} (price, day, at, clock, small, raw, note) VALUES "
        "(12.34, '2024-10-07', '2024-10-07 08:30:15.250', '08:30:15', -7, '\\x00ff10', 'first'), "
        "(-0.5, '1969-12-31', NULL, NULL, NULL, NULL, NULL)"
    )
    config = lab.config(
        **{
            "table.whitelist": table,
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "value.converter": AVRO,
            "value.converter.schema.registry.url": registry_url,
        }
    )
    lab.create(config)
    topic_name = f"{lab.name}.{table}"

    first, second = (avro_deserialize(registry_url, topic_name, record) for record in lab.read_raw(topic_name, 2))
    assert first == {
        "id": 1,
        "price": Decimal("12.34"),
        "day": datetime.date(2024, 10, 7),
        "at": datetime.datetime(2024, 10, 7, 8, 30, 15, 250000, tzinfo=datetime.UTC),
        "clock": datetime.time(8, 30, 15),
        "small": -7,
        "raw": b"\x00\xff\x10",
        "note": "first",
    }
    assert second == {
        "id": 2,
        "price": Decimal("-0.50"),
        "day": datetime.date(1969, 12, 31),
        **dict.fromkeys(["at", "clock", "small", "raw", "note"]),
    }
    fields = {
        field["name"]: field["type"]
        for field in json.loads(latest(registry_url, f"{topic_name}-value")["schema"])["fields"]
    }
    assert fields["price"] == {
        "type": "bytes",
        "scale": 2,
        "precision": 64,
        "connect.version": 1,
        "connect.parameters": {"scale": "2"},
        "connect.name": "org.apache.kafka.connect.data.Decimal",
        "logicalType": "decimal",
    }
    assert fields["day"] == {
        "type": "int",
        "connect.version": 1,
        "connect.name": "org.apache.kafka.connect.data.Date",
        "logicalType": "date",
    }
    assert fields["at"] == [
        "null",
        {
            "type": "long",
            "connect.version": 1,
            "connect.name": "org.apache.kafka.connect.data.Timestamp",
            "logicalType": "timestamp-millis",
        },
    ]
    assert fields["small"] == ["null", {"type": "int", "connect.type": "int16"}]


def test_unreachable_registry_fails_the_task_with_a_clear_message(lab: Lab) -> None:
    table = lab.table("t", "id SERIAL PRIMARY KEY, name TEXT")
    lab.sql(f"INSERT INTO {table} (name) VALUES ('a')")
    config = lab.config(
        **{
            "table.whitelist": table,
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "value.converter": AVRO,
            "value.converter.schema.registry.url": "http://localhost:1",
        }
    )
    name = f"{lab.name}-c"
    response = requests.put(f"{connect_url(lab.settings)}/connectors/{name}/config", json=config, timeout=60)
    assert response.ok, response.text
    lab.connectors.append(name)

    def failed_task() -> str | None:
        tasks = lab.status(name).get("tasks", [])
        return next((task["trace"] for task in tasks if task["state"] == "FAILED"), None)

    trace = wait_for(failed_task, f"the task of {name} to fail")
    assert f"Failed to serialize Avro data from topic {lab.name}.{table}" in trace
    assert "The Schema Registry cannot be reached at http://localhost:1 (ConnectException" in trace


def test_a_connector_without_the_registry_url_is_refused(running_platform: Settings) -> None:
    name = f"t_{uuid.uuid4().hex[:10]}"
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": "jdbc:postgresql://localhost:1/none",
        "value.converter": AVRO,
    }
    response = requests.put(f"{connect_url(running_platform)}/connectors/{name}/config", json=config, timeout=60)
    assert response.status_code == 400, response.text
    assert 'Missing required configuration "schema.registry.url"' in response.json()["message"]


# --- Sink direction: confluent-kafka writes, the converter reads ----------------------------------

READING = {
    "type": "record",
    "name": "Reading",
    "namespace": "org.chicago.cta.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "label", "type": ["null", "string"], "default": None},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["ok", "late"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "int"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ratio", "type": "double", "default": 0.5},
        {"name": "either", "type": ["int", "string"]},
    ],
}
READING_VALUE = {
    "id": 7,
    "label": None,
    "status": "late",
    "tags": ["a", "b"],
    "counts": {"x": 1},
    "price": Decimal("12.34"),
    "day": datetime.date(2024, 10, 7),
    "at": datetime.datetime(2024, 10, 7, 8, 30, tzinfo=datetime.UTC),
    "ratio": 0.25,
    "either": "two",
}
ENUM = "io.confluent.connect.avro.Enum"
# The Connect schema Confluent's AvroConverter reads READING as (in JsonConverter's notation).
READING_CONNECT_SCHEMA = {
    "type": "struct",
    "fields": [
        {"type": "int64", "optional": False, "field": "id"},
        {"type": "string", "optional": True, "field": "label"},
        {
            "type": "string",
            "optional": False,
            "name": "org.chicago.cta.test.Status",
            "parameters": {ENUM: "org.chicago.cta.test.Status", f"{ENUM}.ok": "ok", f"{ENUM}.late": "late"},
            "field": "status",
        },
        {"type": "array", "items": {"type": "string", "optional": False}, "optional": False, "field": "tags"},
        {
            "type": "map",
            "keys": {"type": "string", "optional": False},
            "values": {"type": "int32", "optional": False},
            "optional": False,
            "field": "counts",
        },
        {
            "type": "bytes",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Decimal",
            "version": 1,
            "parameters": {"scale": "2", "connect.decimal.precision": "10"},
            "field": "price",
        },
        {
            "type": "int32",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Date",
            "version": 1,
            "field": "day",
        },
        {
            "type": "int64",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Timestamp",
            "version": 1,
            "field": "at",
        },
        {
            "type": "double",
            "optional": False,
            "default": 0.5,
            "parameters": {"io.confluent.connect.avro.field.default": "true"},
            "field": "ratio",
        },
        {
            "type": "struct",
            "fields": [
                {"type": "int32", "optional": True, "field": "int"},
                {"type": "string", "optional": True, "field": "string"},
            ],
            "optional": False,
            "name": "io.confluent.connect.avro.Union",
            "field": "either",
        },
    ],
    "optional": False,
    "name": "org.chicago.cta.test.Reading",
    "version": 1,
}


def test_records_confluents_serializer_writes_read_as_confluents_converter_reads_them(
    harness: ConverterHarness, registry_url: str
) -> None:
    name = topic_name()
    data = avro_serialize(registry_url, READING, name, READING_VALUE)
    envelope = harness.to_connect(AVRO, {"schema.registry.url": registry_url}, name, data)
    assert envelope["schema"] == READING_CONNECT_SCHEMA
    assert envelope["payload"] == {
        "id": 7,
        "label": None,
        "status": "late",
        "tags": ["a", "b"],
        "counts": {"x": 1},
        "price": 12.34,
        "day": (datetime.date(2024, 10, 7) - datetime.date(1970, 1, 1)).days,
        "at": int(READING_VALUE["at"].timestamp() * 1000),
        "ratio": 0.25,
        "either": {"int": None, "string": "two"},
    }


def test_records_read_and_written_again_keep_enums_unions_and_defaults(
    harness: ConverterHarness, registry_url: str
) -> None:
    """A sink-side record written again (as a source would): with enhanced.avro.schema.support, enums stay enums."""
    config = {"schema.registry.url": registry_url, "enhanced.avro.schema.support": "true"}
    data = avro_serialize(registry_url, READING, topic_name(), READING_VALUE)
    envelope = harness.to_connect(AVRO, config, topic_name(), data)
    again = topic_name()
    written = harness.from_connect(AVRO, config, again, envelope)
    assert written is not None

    assert avro_deserialize(registry_url, again, written) == READING_VALUE
    fields = {f["name"]: f for f in json.loads(latest(registry_url, f"{again}-value")["schema"])["fields"]}
    assert fields["status"]["type"]["type"] == "enum"
    assert fields["status"]["type"]["symbols"] == ["ok", "late"]
    assert fields["either"]["type"] == ["int", "string"]
    assert fields["ratio"]["default"] == 0.5
    assert fields["price"]["type"]["precision"] == 10


def test_connect_data_written_reads_back_in_confluents_deserializer_and_in_the_converter(
    harness: ConverterHarness, registry_url: str
) -> None:
    """SAMPLE_SCHEMA written, read by Confluent's deserializer and by the converter."""
    schema, payload = SAMPLE_SCHEMA, SAMPLE_PAYLOAD
    name = topic_name()
    config = {"schema.registry.url": registry_url}
    data = harness.from_connect(AVRO, config, name, {"schema": schema, "payload": payload})
    assert data is not None

    assert avro_deserialize(registry_url, name, data) == {
        "tiny": -3,
        "small": None,
        "names": [{"key": 1, "value": "one"}],
        "where": {"x": 5},
        "amount": Decimal("1.5"),
    }
    registered = json.loads(latest(registry_url, f"{name}-value")["schema"])
    assert registered["connect.version"] == 2 and registered["connect.doc"] == "a sample"
    fields = {field["name"]: field for field in registered["fields"]}
    assert fields["tiny"]["type"] == {"type": "int", "connect.type": "int8"}
    assert fields["names"]["type"]["items"]["name"] == "MapEntry"
    assert fields["names"]["type"]["items"]["namespace"] == "io.confluent.connect.avro"
    assert fields["where"] == {"name": "where", "type": ["null", {**fields["where"]["type"][1]}], "default": None}

    back = harness.to_connect(AVRO, config, name, data)
    assert back == {"schema": schema, "payload": payload}


def test_a_tombstone_stays_a_tombstone(harness: ConverterHarness, registry_url: str) -> None:
    config = {"schema.registry.url": registry_url}
    optional = {"type": "string", "optional": True}
    assert harness.from_connect(AVRO, config, topic_name(), {"schema": optional, "payload": None}) is None
    assert harness.to_connect(AVRO, config, topic_name(), None) is None


def test_data_without_the_magic_byte_is_refused(harness: ConverterHarness, registry_url: str) -> None:
    with pytest.raises(ConverterError, match="Unknown magic byte!"):
        harness.to_connect(AVRO, {"schema.registry.url": registry_url}, topic_name(), b'{"json": true}')


# --- Subjects and schema choice ------------------------------------------------------------------

POINT_SCHEMA = {
    "type": "struct",
    "fields": [{"type": "int32", "optional": False, "field": "x"}],
    "optional": False,
    "name": "org.chicago.cta.test.Point",
}


@pytest.mark.parametrize(
    ("strategy", "is_key", "subject"),
    [
        (None, False, "{topic}-value"),
        (None, True, "{topic}-key"),
        ("io.confluent.kafka.serializers.subject.RecordNameStrategy", False, "org.chicago.cta.test.Point"),
        ("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy", True, "{topic}-org.chicago.cta.test.Point"),
    ],
)
def test_subject_name_strategies(
    harness: ConverterHarness, registry_url: str, strategy: str | None, is_key: bool, subject: str
) -> None:
    name = topic_name()
    config = {"schema.registry.url": registry_url}
    if strategy:
        config[f"{'key' if is_key else 'value'}.subject.name.strategy"] = strategy
    envelope = {"schema": POINT_SCHEMA, "payload": {"x": 1}}
    data = harness.from_connect(AVRO, config, name, envelope, is_key=is_key)
    assert data is not None
    registered = latest(registry_url, subject.format(topic=name))
    assert data[1:5] == registered["id"].to_bytes(4, "big")


def test_an_unknown_subject_name_strategy_is_refused(harness: ConverterHarness, registry_url: str) -> None:
    config = {"schema.registry.url": registry_url, "value.subject.name.strategy": "com.example.Mine"}
    with pytest.raises(ConverterError, match=r"value\.subject\.name\.strategy.*Unknown subject name strategy"):
        harness.from_connect(AVRO, config, topic_name(), {"schema": POINT_SCHEMA, "payload": {"x": 1}})


def test_without_auto_registration_the_schema_must_be_registered(harness: ConverterHarness, registry_url: str) -> None:
    name = topic_name()
    config = {"schema.registry.url": registry_url, "auto.register.schemas": "false"}
    envelope = {"schema": POINT_SCHEMA, "payload": {"x": 1}}
    with pytest.raises(ConverterError, match=r"answered 404 \(error code 40401\)"):
        harness.from_connect(AVRO, config, name, envelope)

    registered = harness.from_connect(AVRO, {"schema.registry.url": registry_url}, name, envelope)
    assert harness.from_connect(AVRO, config, name, envelope) == registered


def test_use_latest_version_writes_with_the_subjects_latest_schema(
    harness: ConverterHarness, registry_url: str
) -> None:
    """The latest schema has another field order and a field Connect's data lacks, with a default."""
    name = topic_name()
    newer = {
        "type": "record",
        "name": "Point",
        "namespace": "org.chicago.cta.test",
        "fields": [{"name": "label", "type": "string", "default": "none"}, {"name": "x", "type": "int"}],
    }
    schema_id = registry(registry_url).register_schema(f"{name}-value", Schema(json.dumps(newer), "AVRO"))
    config = {"schema.registry.url": registry_url, "auto.register.schemas": "false", "use.latest.version": "true"}
    data = harness.from_connect(AVRO, config, name, {"schema": POINT_SCHEMA, "payload": {"x": 4}})
    assert data is not None and data[1:5] == schema_id.to_bytes(4, "big")
    assert avro_deserialize(registry_url, name, data) == {"label": "none", "x": 4}


def test_the_next_registry_url_is_tried_when_one_cannot_be_reached(
    harness: ConverterHarness, registry_url: str
) -> None:
    config = {"schema.registry.url": f"http://localhost:1,{registry_url}"}
    data = harness.from_connect(AVRO, config, topic_name(), {"schema": POINT_SCHEMA, "payload": {"x": 2}})
    assert data is not None and data[0] == 0


@pytest.mark.parametrize(
    ("url", "extra", "expected"),
    [
        ("http://user:p%40ss@localhost:{port}", {}, "user:p@ss"),
        (
            "http://localhost:{port}",
            {"basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "svc:secret"},
            "svc:secret",
        ),
    ],
)
def test_basic_auth_credentials_are_sent(
    harness: ConverterHarness, url: str, extra: dict[str, str], expected: str
) -> None:
    """Our registry has no authentication: a listener on a free port records what a client sends."""
    seen: list[str | None] = []

    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Authorization"))
            body = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config = {"schema.registry.url": url.format(port=server.server_port), **extra}
        with pytest.raises(ConverterError, match=r"answered 401 \(error code 401\): Unauthorized"):
            harness.from_connect(AVRO, config, topic_name(), {"schema": POINT_SCHEMA, "payload": {"x": 1}})
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Basic " + base64.b64encode(expected.encode()).decode()]


def test_connect_lists_the_converters_under_both_names(running_platform: Settings) -> None:
    response = requests.get(
        f"{connect_url(running_platform)}/connector-plugins", params={"connectorsOnly": "false"}, timeout=10
    )
    converters = {p["class"]: p.get("version") for p in response.json() if p["type"] == "converter"}
    for name in (
        "io.confluent.connect.avro.AvroConverter",
        "io.confluent.connect.json.JsonSchemaConverter",
        "org.chicago.cta.connect.converters.AvroConverter",
        "org.chicago.cta.connect.converters.JsonSchemaConverter",
    ):
        assert converters.get(name) == "1.0.0", name
