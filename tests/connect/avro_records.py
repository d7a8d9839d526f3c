"""Reading and writing Avro records as Confluent's Python clients do, for the converter tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.helpers import wait_for

READ_TIMEOUT = 120.0  # a guard only: reads end when their records are there


def registry(url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": url})


def serialize(url: str, schema: dict | str, topic: str, value: dict[str, Any], **conf: Any) -> bytes:
    """``value`` as confluent-kafka's AvroSerializer writes it (registering ``schema``)."""
    text = schema if isinstance(schema, str) else json.dumps(schema)
    serializer = AvroSerializer(registry(url), text, conf=conf or None)
    data = serializer(value, SerializationContext(topic, MessageField.VALUE))
    assert data is not None
    return data


def deserialize(url: str, topic: str, data: bytes) -> Any:
    """``data`` as confluent-kafka's AvroDeserializer reads it, with the writer's schema."""
    return AvroDeserializer(registry(url))(data, SerializationContext(topic, MessageField.VALUE))


def read_raw(bootstrap: str, topic: str, count: int) -> list[bytes | None]:
    """The first ``count`` values of ``topic``, as bytes, once they have arrived."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"g-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "topic.metadata.refresh.interval.ms": 500,
        }
    )
    consumer.subscribe([topic])
    values: list[bytes | None] = []

    def arrived() -> bool:
        message = consumer.poll(0.5)
        if message is None:
            return False
        if message.error():
            # The topic appears when the connector writes its first record.
            assert message.error().code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._PARTITION_EOF)
            return False
        values.append(message.value())
        return len(values) >= count

    try:
        wait_for(arrived, f"{count} records in {topic}", READ_TIMEOUT, every=0)
    finally:
        consumer.close()
    return values
