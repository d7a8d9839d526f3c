"""What the Schema Registry converter tests share: Confluent's Python serializers, subjects, topics.

The Avro and JSON Schema converter tests check our converters against confluent-kafka's own
serializers and deserializers, so both need them wired to the platform's registry, the latest
schema of a subject, a topic of their own, and the classic stations connector with a converter.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import requests
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from producers import connector
from tests.support.connect import Lab

# A Connect schema with what each format maps its own way: INT8/INT16, a map with int keys (an array
# of key/value entries in both), an optional named struct and a Decimal. The tests write it with a
# converter and read it back with Confluent's deserializer and with the converter.
SAMPLE_SCHEMA = {
    "type": "struct",
    "fields": [
        {"type": "int8", "optional": False, "field": "tiny"},
        {"type": "int16", "optional": True, "field": "small"},
        {
            "type": "map",
            "keys": {"type": "int32", "optional": False},
            "values": {"type": "string", "optional": False},
            "optional": False,
            "field": "names",
        },
        {
            "type": "struct",
            "fields": [{"type": "int32", "optional": False, "field": "x"}],
            "optional": True,
            "name": "org.chicago.cta.test.Point",
            "field": "where",
        },
        {
            "type": "bytes",
            "optional": False,
            "name": "org.apache.kafka.connect.data.Decimal",
            "version": 1,
            "parameters": {"scale": "1"},
            "field": "amount",
        },
    ],
    "optional": False,
    "name": "org.chicago.cta.test.Sample",
    "version": 2,
    "doc": "a sample",
}
SAMPLE_PAYLOAD = {"tiny": -3, "small": None, "names": [[1, "one"]], "where": {"x": 5}, "amount": 1.5}


def registry(url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": url})


def topic_name() -> str:
    """A topic name of a test's own, so that the subjects named after it are the test's too."""
    return f"t_{uuid.uuid4().hex[:10]}"


def latest(url: str, subject: str) -> dict[str, Any]:
    """The registry's answer for the latest version of ``subject`` (id, schema text, schemaType...)."""
    response = requests.get(f"{url}/subjects/{subject}/versions/latest", timeout=10)
    assert response.ok, response.text
    return response.json()


def classic_stations(lab: Lab, value_converter: str, url: str) -> str:
    """The classic stations connector with ``value_converter`` on the registry; returns its topic.

    The topic gets the test's prefix (the classic topic holds the project's JSON records), so the
    subject is ``<prefix>org.chicago.cta.stations-value``: TopicNameStrategy's ``<topic>-value``.
    """
    config = {
        **connector.jdbc_config(connector.postgres()),
        "value.converter": value_converter,
        "value.converter.schema.registry.url": url,
        "topic.prefix": f"{lab.name}.org.chicago.cta.",
    }
    del config["value.converter.schemas.enable"]
    lab.create(config)
    return f"{lab.name}.org.chicago.cta.stations"


def avro_serialize(url: str, schema: dict | str, topic: str, value: dict[str, Any], **conf: Any) -> bytes:
    """``value`` as confluent-kafka's AvroSerializer writes it (registering ``schema``)."""
    text = schema if isinstance(schema, str) else json.dumps(schema)
    serializer = AvroSerializer(registry(url), text, conf=conf or None)
    data = serializer(value, SerializationContext(topic, MessageField.VALUE))
    assert data is not None
    return data


def avro_deserialize(url: str, topic: str, data: bytes | None) -> Any:
    """``data`` as confluent-kafka's AvroDeserializer reads it, with the writer's schema."""
    return _avro_deserializer(url)(data, SerializationContext(topic, MessageField.VALUE))


@cache
def _avro_deserializer(url: str) -> AvroDeserializer:
    """One per registry: a new client costs 76 ms (its HTTP client), 23 s for the classic table's 300 records.

    A deserializer only looks schemas up by id, and an id's schema never changes, so sharing it hides nothing.
    """
    return AvroDeserializer(registry(url))


def json_serialize(url: str, schema: dict, topic: str, value: dict[str, Any]) -> bytes:
    """``value`` as confluent-kafka's JSONSerializer writes it (registering ``schema``, validating ``value``)."""
    serializer = JSONSerializer(json.dumps(schema), registry(url))
    data = serializer(value, SerializationContext(topic, MessageField.VALUE))
    assert data is not None
    return data


def json_deserialize(url: str, topic: str, data: bytes | None) -> Any:
    """``data`` as confluent-kafka's JSONDeserializer reads it: checked against the writer's schema."""
    return _json_deserializer(url)(data, SerializationContext(topic, MessageField.VALUE))


@cache
def _json_deserializer(url: str) -> JSONDeserializer:
    """One per registry, as ``_avro_deserializer``."""
    return JSONDeserializer(None, schema_registry_client=registry(url))
