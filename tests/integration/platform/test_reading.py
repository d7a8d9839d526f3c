"""``tests/support/reading.py``, the one way tests and benchmarks read a topic, against the platform's Kafka."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from stack.settings import Settings
from tests.support.kafka import new_topic
from tests.support.reading import avro, follow, read_count, read_to_end

SCHEMA = json.dumps({"type": "record", "name": "Ride", "fields": [{"name": "station", "type": "int"}]})


def produce(bootstrap: str, topic: str, values: list[bytes], timestamp: int = 0, partition: int = -1) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=value, timestamp=timestamp, partition=partition)
    assert producer.flush(30) == 0


@pytest.fixture
def topic(bootstrap_servers: str) -> str:
    return new_topic(AdminClient({"bootstrap.servers": bootstrap_servers}), "test.reading", partitions=2)


def test_read_to_end_reads_every_partition_and_leaves_out_a_topic_that_does_not_exist(
    bootstrap_servers: str, topic: str
) -> None:
    for partition in (0, 1):
        produce(bootstrap_servers, topic, [b"%d" % n for n in range(partition, 20, 2)], partition=partition)
    missing = f"test.reading.missing.{uuid.uuid4().hex[:8]}"
    read = read_to_end(bootstrap_servers, [topic, missing])
    assert sorted(int(m.value()) for m in read) == list(range(20))
    assert missing not in AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(timeout=10).topics


def test_read_to_end_since_a_timestamp_skips_older_records(bootstrap_servers: str, topic: str) -> None:
    produce(bootstrap_servers, topic, [b"old"], timestamp=1_000)
    produce(bootstrap_servers, topic, [b"new"], timestamp=2_000)
    assert [m.value() for m in read_to_end(bootstrap_servers, [topic], since=2_000)] == [b"new"]
    assert read_to_end(bootstrap_servers, [topic], since=3_000) == []


def test_read_count_refuses_more_records_than_it_was_told(bootstrap_servers: str, topic: str) -> None:
    produce(bootstrap_servers, topic, [b"one", b"two", b"three"], partition=0)  # read in one batch
    assert sorted(m.value() for m in read_count(bootstrap_servers, [topic], 3)) == [b"one", b"three", b"two"]
    with pytest.raises(AssertionError, match=r"3 records in \S+ where 2 were expected"):
        read_count(bootstrap_servers, [topic], 2)


def test_follow_from_now_sees_only_what_is_written_after_it_starts(bootstrap_servers: str, topic: str) -> None:
    produce(bootstrap_servers, topic, [b"before"])
    records = follow(bootstrap_servers, [topic], "the record written after the call", "now", timeout=60)
    produce(bootstrap_servers, topic, [b"after"])  # before the first record is asked for: still read
    assert next(records).value() == b"after"
    records.close()


def test_follow_waits_for_a_topic_to_appear_and_times_out_naming_what_it_waited_for(bootstrap_servers: str) -> None:
    missing = f"test.reading.later.{uuid.uuid4().hex[:8]}"
    with pytest.raises(TimeoutError, match="a record that never comes"):
        next(follow(bootstrap_servers, [missing], "a record that never comes", timeout=2))


def test_avro_deserializes_keys_and_values_with_confluents_deserializer(
    bootstrap_servers: str, topic: str, running_platform: Settings
) -> None:
    registry_url = running_platform.endpoints.schema_registry_url
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), SCHEMA)
    producer = Producer({"bootstrap.servers": bootstrap_servers})
    for station in (40380, 40900):
        producer.produce(
            topic,
            key=serializer({"station": station}, SerializationContext(topic, MessageField.KEY)),
            value=serializer({"station": station}, SerializationContext(topic, MessageField.VALUE)),
        )
    assert producer.flush(30) == 0
    read = read_to_end(bootstrap_servers, [topic], keys=avro(registry_url), values=avro(registry_url))
    assert sorted((m.key()["station"], m.value()["station"]) for m in read) == [(40380, 40380), (40900, 40900)]
