"""Kafka for tests: fresh topics, group names, and a record's first Avro field (reads: ``reading.py``)."""

from __future__ import annotations

import uuid

from confluent_kafka.admin import AdminClient

from clients.kafka import create_topic


def new_topic(admin: AdminClient, prefix: str, partitions: int = 1) -> str:
    """A fresh topic, created and usable (its leaders answer) before the test touches it."""
    name = f"{prefix}.{uuid.uuid4().hex[:10]}"
    create_topic(admin, name, partitions)
    return name


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
