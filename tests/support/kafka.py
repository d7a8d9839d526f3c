"""Kafka for tests: fresh topics, consumers that read from the start, reads of a known count of records."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import Consumer, DeserializingConsumer, Message
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from clients.kafka import create_topic
from tests.support.waiting import wait_for


def avro_consumer(bootstrap: str, registry_url: str, group: str, keys: bool = True) -> DeserializingConsumer:
    """A consumer reading from the start with confluent-kafka's own Avro deserializers."""
    registry = SchemaRegistryClient({"url": registry_url})
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "value.deserializer": AvroDeserializer(registry),
    }
    if keys:
        config["key.deserializer"] = AvroDeserializer(registry)
    return DeserializingConsumer(config)


def new_topic(admin: AdminClient, prefix: str, partitions: int = 1) -> str:
    """A fresh topic, created and usable (its leaders answer) before the test touches it."""
    name = f"{prefix}.{uuid.uuid4().hex[:10]}"
    create_topic(admin, name, partitions)
    return name


def read_all(bootstrap: str, topic: str, count: int, deserializing: DeserializingConsumer | None = None) -> list[Any]:
    consumer = deserializing or Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    messages: list[Message] = []

    def all_read() -> bool:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            messages.append(message)
        return len(messages) >= count

    try:
        wait_for(all_read, f"{count} message(s) of {topic}", 120, every=0)
    finally:
        consumer.close()
    assert len(messages) == count
    return messages


def group_name() -> str:
    return f"test-group-{uuid.uuid4().hex[:8]}"


def zigzag_varint(data: bytes, at: int) -> int:
    """The Avro int (zig-zag varint) at ``data[at]``: reads a record's first field without its schema."""
    shift = result = 0
    while True:
        byte = data[at]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return (result >> 1) ^ -(result & 1)
        shift, at = shift + 7, at + 1
