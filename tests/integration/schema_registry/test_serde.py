"""Confluent's serializers round-trip records through a real Kafka topic using our registry."""

from __future__ import annotations

import json
import struct
import uuid
import warnings

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.support.reading import read_count

ARRIVAL = {
    "type": "record",
    "name": "Arrival",
    "namespace": "test.serde",
    "fields": [
        {"name": "station_id", "type": "int"},
        {"name": "train_id", "type": "string"},
        {"name": "prev_station_id", "type": ["null", "int"], "default": None},
    ],
}
RECORDS = [
    {"station_id": 40380, "train_id": "BL01", "prev_station_id": None},
    {"station_id": 40370, "train_id": "BL02", "prev_station_id": 40380},
]


@pytest.fixture
def topic(bootstrap: str) -> str:
    name = f"test.schema_registry.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1)])[name].result(30)
    return name


def test_avro_serializer_and_deserializer_round_trip_through_kafka(
    client: SchemaRegistryClient, bootstrap: str, topic: str
) -> None:
    serializer = AvroSerializer(client, json.dumps(ARRIVAL))
    producer = Producer({"bootstrap.servers": bootstrap})
    for record in RECORDS:
        producer.produce(topic, value=serializer(record, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0

    messages = read_count(bootstrap, [topic], len(RECORDS))

    registered_id = client.get_latest_version(f"{topic}-value").schema_id
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})  # no cached schemas
    deserializer = AvroDeserializer(fresh)
    decoded = [deserializer(m.value(), SerializationContext(topic, MessageField.VALUE)) for m in messages]
    assert decoded == RECORDS
    assert all(struct.unpack(">bI", m.value()[:5]) == (0, registered_id) for m in messages)


def test_legacy_avro_producer_and_consumer_round_trip_through_kafka(sr_url: str, bootstrap: str, topic: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from confluent_kafka.avro import AvroConsumer, AvroProducer, loads

        producer = AvroProducer(
            {"bootstrap.servers": bootstrap, "schema.registry.url": sr_url},
            default_value_schema=loads(json.dumps(ARRIVAL)),
        )
        for record in RECORDS:
            producer.produce(topic=topic, value=record)
        assert producer.flush(30) == 0
        consumer = AvroConsumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": topic,
                "auto.offset.reset": "earliest",
                "schema.registry.url": sr_url,
            }
        )
        consumer.subscribe([topic])
        try:
            messages = read_count(bootstrap, [topic], len(RECORDS), consumer=consumer)  # the client under test
        finally:
            consumer.close()
    assert [m.value() for m in messages] == RECORDS


def test_serializer_with_auto_register_off_finds_an_already_registered_schema(
    client: SchemaRegistryClient, topic: str
) -> None:
    client.register_schema(f"{topic}-value", Schema(json.dumps(ARRIVAL), "AVRO"))
    serializer = AvroSerializer(client, json.dumps(ARRIVAL), conf={"auto.register.schemas": False})
    payload = serializer(RECORDS[0], SerializationContext(topic, MessageField.VALUE))
    assert payload[0] == 0
    assert struct.unpack(">I", payload[1:5])[0] == client.get_latest_version(f"{topic}-value").schema_id
