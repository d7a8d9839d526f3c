"""Our JsonSchemaConverter, under Confluent's class name, against confluent-kafka's JSON Schema serializers.

As for Avro (test_avro_converter.py): Connect writes with the converter and confluent-kafka's
JSONDeserializer reads it (validating each document against the registered schema); confluent-kafka's
JSONSerializer writes and the converter class reads it as a sink's worker would (ConverterHarness.java).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from tests.support.connect import WASHINGTON_WABASH_OUTER_LOOP, Lab
from tests.support.converter_harness import JSON_SCHEMA, ConverterError, ConverterHarness
from tests.support.registry_converters import (
    SAMPLE_PAYLOAD,
    SAMPLE_SCHEMA,
    avro_serialize,
    classic_stations,
    json_deserialize,
    json_serialize,
    latest,
    topic_name,
)

# --- Source direction ----------------------------------------------------------------------------


def test_classic_stations_configuration_with_json_schema_converter(lab: Lab, registry_url: str) -> None:
    topic_name = classic_stations(lab, JSON_SCHEMA, registry_url)

    rows = [json_deserialize(registry_url, topic_name, record) for record in lab.read_raw(topic_name, 300)]
    assert len({row["stop_id"] for row in rows}) == 300
    assert next(row for row in rows if row["stop_id"] == 30383) == WASHINGTON_WABASH_OUTER_LOOP
    registered = latest(registry_url, f"{topic_name}-value")
    assert registered["schemaType"] == "JSON"
    schema = json.loads(registered["schema"])
    assert schema["title"] == "stations" and schema["type"] == "object"
    assert schema["properties"]["stop_id"] == {"type": "integer", "connect.type": "int32", "connect.index": 0}
    assert schema["properties"]["order"] == {
        "oneOf": [{"type": "null"}, {"type": "integer", "connect.type": "int32"}],
        "connect.index": 6,
    }
    assert schema["properties"]["red"] == {"type": "boolean", "connect.index": 7}


@pytest.mark.parametrize(
    ("decimal_format", "price"),
    [("NUMERIC", 12.34), (None, base64.b64encode((1234).to_bytes(2, "big")).decode())],
)
def test_sql_types_as_json_schema(lab: Lab, registry_url: str, decimal_format: str | None, price: Any) -> None:
    """Decimals are JSON numbers with decimal.format=NUMERIC, and base64 bytes by default, as Confluent's."""
    table = lab.table("types", "id SERIAL PRIMARY KEY, price NUMERIC(10,2) NOT NULL, day DATE, raw BYTEA, n SMALLINT")
    lab.sql(f"INSERT INTO {table} (price, day, raw, n) VALUES (12.34, '1970-01-11', '\\x00ff', 3)")
    overrides = {
        "table.whitelist": table,
        "mode": "incrementing",
        "incrementing.column.name": "id",
        "value.converter": JSON_SCHEMA,
        "value.converter.schema.registry.url": registry_url,
    }
    if decimal_format:
        overrides["value.converter.decimal.format"] = decimal_format
    lab.create(lab.config(**overrides))
    topic_name = f"{lab.name}.{table}"

    (record,) = lab.read_raw(topic_name, 1)
    assert record is not None
    assert json.loads(record[5:]) == {"id": 1, "price": price, "day": 10, "raw": "AP8=", "n": 3}
    properties = json.loads(latest(registry_url, f"{topic_name}-value")["schema"])["properties"]
    assert properties["price"] == {
        "title": "org.apache.kafka.connect.data.Decimal",
        "type": "number",
        "connect.type": "bytes",
        "connect.version": 1,
        "connect.parameters": {"scale": "2"},
        "connect.index": 1,
    }
    assert properties["raw"]["oneOf"][1] == {"type": "string", "connect.type": "bytes"}
    if decimal_format:  # a base64 string is no JSON number: the Python client's validation refuses it
        assert json_deserialize(registry_url, topic_name, record)["price"] == 12.34


# --- Sink direction ------------------------------------------------------------------------------

READING = {
    "title": "org.chicago.cta.test.Reading",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "label": {"oneOf": [{"type": "null"}, {"type": "string"}]},
        "status": {"enum": ["ok", "late"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "ratio": {"type": "number"},
        "where": {"$ref": "#/definitions/Point"},
    },
    "required": ["id", "status", "tags", "ratio", "where"],
    "definitions": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}}}},
}
ENUM = "io.confluent.connect.json.Enum"


def test_documents_confluents_serializer_writes_read_as_confluents_converter_reads_them(
    harness: ConverterHarness, registry_url: str
) -> None:
    name = topic_name()
    value = {"id": 7, "label": None, "status": "late", "tags": ["a"], "ratio": 0.25, "where": {"x": 3}}
    data = json_serialize(registry_url, READING, name, value)
    envelope = harness.to_connect(JSON_SCHEMA, {"schema.registry.url": registry_url}, name, data)
    assert envelope is not None
    assert envelope["schema"] == {
        "type": "struct",
        "fields": [
            {"type": "int64", "optional": False, "field": "id"},
            {"type": "string", "optional": True, "field": "label"},
            {
                "type": "string",
                "optional": False,
                "parameters": {ENUM: "", f"{ENUM}.ok": "ok", f"{ENUM}.late": "late"},
                "field": "status",
            },
            {"type": "array", "items": {"type": "string", "optional": False}, "optional": False, "field": "tags"},
            {"type": "double", "optional": False, "field": "ratio"},
            {
                "type": "struct",
                "fields": [{"type": "int64", "optional": False, "field": "x"}],
                "optional": False,
                "field": "where",
            },
        ],
        "optional": False,
        "name": "org.chicago.cta.test.Reading",
        "version": 1,
    }
    assert envelope["payload"] == value


def test_properties_not_required_are_optional_with_use_optional_for_nonrequired(
    harness: ConverterHarness, registry_url: str
) -> None:
    name = topic_name()
    data = json_serialize(registry_url, {**READING, "required": ["id"]}, name, {"id": 1, "status": "ok"})
    config = {"schema.registry.url": registry_url}
    with pytest.raises(ConverterError, match='Invalid value: null used for required field: "tags"'):
        harness.to_connect(JSON_SCHEMA, config, name, data)
    envelope = harness.to_connect(JSON_SCHEMA, {**config, "use.optional.for.nonrequired": "true"}, name, data)
    assert envelope is not None
    assert envelope["payload"] == {"id": 1, "label": None, "status": "ok", "tags": None, "ratio": None, "where": None}


def test_connect_data_round_trips_and_validates_in_confluents_deserializer(
    harness: ConverterHarness, registry_url: str
) -> None:
    """SAMPLE_SCHEMA with a float, a map with string keys and a Date, written and read by both sides."""
    more_fields = [
        {"type": "float", "optional": False, "field": "ratio"},
        {
            "type": "map",
            "keys": {"type": "string", "optional": False},
            "values": {"type": "boolean", "optional": False},
            "optional": False,
            "field": "flags",
        },
        {
            "type": "int32",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Date",
            "version": 1,
            "field": "day",
        },
    ]
    schema = {**SAMPLE_SCHEMA, "fields": [*SAMPLE_SCHEMA["fields"], *more_fields]}
    payload = {**SAMPLE_PAYLOAD, "ratio": 0.5, "flags": {"a": True}, "day": 10}
    name = topic_name()
    config = {"schema.registry.url": registry_url, "decimal.format": "NUMERIC"}
    data = harness.from_connect(JSON_SCHEMA, config, name, {"schema": schema, "payload": payload})
    assert data is not None

    assert json_deserialize(registry_url, name, data) == {
        **payload,
        "names": [{"key": 1, "value": "one"}],
    }
    registered = json.loads(latest(registry_url, f"{name}-value")["schema"])
    assert registered["title"] == "org.chicago.cta.test.Sample"
    assert registered["description"] == "a sample" and registered["connect.version"] == 2
    assert registered["properties"]["tiny"] == {"type": "integer", "connect.type": "int8", "connect.index": 0}
    assert registered["properties"]["flags"]["additionalProperties"] == {"type": "boolean"}
    assert harness.to_connect(JSON_SCHEMA, config, name, data) == {"schema": schema, "payload": payload}


def test_record_name_strategy_names_the_subject_after_the_title(harness: ConverterHarness, registry_url: str) -> None:
    point = {
        "type": "struct",
        "fields": [{"type": "int32", "optional": False, "field": "x"}],
        "optional": False,
        "name": f"org.chicago.cta.test.Point{uuid.uuid4().hex[:6]}",
    }
    config = {
        "schema.registry.url": registry_url,
        "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy",
    }
    data = harness.from_connect(JSON_SCHEMA, config, topic_name(), {"schema": point, "payload": {"x": 1}})
    assert data is not None
    registered = latest(registry_url, point["name"])
    assert registered["schemaType"] == "JSON" and data[1:5] == registered["id"].to_bytes(4, "big")


def test_an_avro_schema_id_is_refused(harness: ConverterHarness, registry_url: str) -> None:
    name = topic_name()
    data = avro_serialize(registry_url, {"type": "record", "name": "R", "fields": []}, name, {})
    with pytest.raises(ConverterError, match="has type AVRO; this converter reads JSON schemas"):
        harness.to_connect(JSON_SCHEMA, {"schema.registry.url": registry_url}, name, data)
