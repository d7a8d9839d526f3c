"""Reading topics in tests and benchmarks: the one way to read what a topic holds, or will hold.

Three reads, the three that tests and benchmarks need:

- :func:`read_to_end`: every record from the start (or a timestamp) to where each partition ends now;
- :func:`read_count`: a known number of records, and not one more in what arrived with them;
- :func:`follow`: records as they arrive, from the start, from now or from a timestamp, until the
  caller has seen what it waits for and stops iterating.

Each reader assigns partitions instead of joining a group: there is no rebalance to wait for, so a busy
machine makes a read slower but never shorter. It reads committed records only, fixes where it starts
when it is called (a record written after the call is never skipped), deserializes keys and values with
the deserializers it is given (confluent-kafka's own, :func:`avro`), and ends a read that hangs with a
TimeoutError that names what it waited for. A consumer of the caller's (a client under test) can be
read with :func:`read_count` too.

It lives in ``tests/support`` rather than ``clients/``: the application never reads a topic to an end
or a count (its consumers follow topics in groups for as long as they run), while ``bench/`` already
stands on ``tests.support`` (``processes``, ``pipeline``, ``waiting``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, Literal

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import Deserializer, MessageField, SerializationContext

from clients.kafka import client_config

Start = Literal["beginning", "now"] | int
"""Where a read starts in each partition: its beginning, its end at the call, or its first record at or
after a timestamp (ms; where there is none, its end at the call)."""

Batches = Generator[list[Message], None, None]

BATCH = 10_000
POLL = 0.2
"""A batch is what came in ``POLL`` seconds (or ``BATCH`` records, if sooner): a reader that wakes up for
every record would take the CPU from the servers it waits for (``bench_ksql`` measures one of them)."""
TRANSIENT = {KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN}
"""Errors a consumer reports and gets over by itself (a connection closed by the broker)."""


def avro(registry_url: str) -> AvroDeserializer:
    """confluent-kafka's Avro deserializer on the Schema Registry at ``registry_url``."""
    return AvroDeserializer(SchemaRegistryClient({"url": registry_url}))


def read_to_end(
    bootstrap: str,
    topics: Iterable[str],
    since: Start = "beginning",
    timeout: float = 300.0,
    keys: Deserializer | None = None,
    values: Deserializer | None = None,
) -> list[Message]:
    """Every committed record of ``topics`` from ``since`` to where each partition ends now.

    Topics that do not exist are left out (asking for one by name could make the broker create it).
    """
    names = list(topics)
    reader = _consumer(bootstrap, eof=True)
    try:
        existing = reader.list_topics(timeout=30).topics
        partitions = [TopicPartition(t, p) for t in names if t in existing for p in existing[t].partitions]
        reader.assign(_starts(reader, bootstrap, partitions, since))
        open_partitions = {(tp.topic, tp.partition) for tp in partitions}
        batches = _batches(lambda: reader.consume(BATCH, POLL), f"the end of {', '.join(names)[:200]}", timeout)
        messages: list[Message] = []
        while open_partitions:
            for message in next(batches):
                if message.error() is None:
                    messages.append(_decoded(message, keys, values))
                else:
                    open_partitions.discard((message.topic(), message.partition()))
        return messages
    finally:
        reader.close()


def follow(
    bootstrap: str,
    topics: Iterable[str],
    what: str,
    start: Start = "beginning",
    timeout: float = 120.0,
    keys: Deserializer | None = None,
    values: Deserializer | None = None,
) -> Iterator[Message]:
    """The committed records of ``topics`` from ``start``, as they arrive, until the caller stops iterating.

    Waits for topics that do not exist yet (a connector's or a query's sink); raises TimeoutError
    naming ``what`` when the caller has not stopped ``timeout`` seconds after the call.
    """
    batches = _followed(bootstrap, list(topics), what, start, timeout)
    return (_decoded(message, keys, values) for batch in batches for message in batch if message.error() is None)


def read_count(
    bootstrap: str,
    topics: Iterable[str],
    count: int,
    timeout: float = 120.0,
    keys: Deserializer | None = None,
    values: Deserializer | None = None,
    consumer: Any = None,
) -> list[Message]:
    """The first ``count`` records of ``topics``; an AssertionError if more arrived with them.

    ``consumer``: a consumer of the caller's, already subscribed or assigned (a client under test:
    confluent-kafka's legacy ``AvroConsumer``, a group member that commits afterwards), read with
    ``poll`` and left open; ``keys`` and ``values`` do not apply to it.
    """
    names = list(topics)
    what = f"{count} record(s) of {', '.join(names)}"
    if consumer is None:
        batches = _followed(bootstrap, names, what, "beginning", timeout)
    else:
        batches = _batches(lambda: _polled(consumer), what, timeout)
    messages: list[Message] = []
    while len(messages) < count:
        messages.extend(message for message in next(batches) if message.error() is None)
    batches.close()
    assert len(messages) == count, f"{len(messages)} records in {', '.join(names)} where {count} were expected"
    if consumer is not None:
        return messages
    return [_decoded(message, keys, values) for message in messages]


def _followed(bootstrap: str, names: list[str], what: str, start: Start, timeout: float) -> Batches:
    """Batches of ``names`` from ``start``, fixed now (not when the caller first asks for a batch)."""
    deadline = time.monotonic() + timeout
    reader = _consumer(bootstrap)
    try:
        partitions = _partitions_once_they_exist(reader, names, what, deadline)
        reader.assign(_starts(reader, bootstrap, partitions, start))
    except BaseException:
        reader.close()
        raise
    return _closing(reader, _batches(lambda: reader.consume(BATCH, POLL), what, timeout, deadline))


def _closing(reader: Consumer, batches: Iterator[list[Message]]) -> Batches:
    try:
        yield from batches
    finally:
        reader.close()


def _batches(fetch: Callable[[], list[Message]], what: str, timeout: float, deadline: float = 0.0) -> Batches:
    """Batches of records and end-of-partition events from ``fetch`` until ``deadline`` (default: ``timeout``
    seconds from now); KafkaException for any other error but a passing one."""
    deadline = deadline or time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = []
        for message in fetch():
            error = message.error()
            if error is None or error.code() == KafkaError._PARTITION_EOF:
                batch.append(message)
            elif error.code() not in TRANSIENT and not error.retriable():
                raise KafkaException(error)
        yield batch
    raise TimeoutError(f"{what}: not read within {timeout:.0f} s")


def _polled(consumer: Any) -> list[Message]:
    message = consumer.poll(POLL)
    return [] if message is None else [message]


def _consumer(bootstrap: str, eof: bool = False) -> Consumer:
    """A consumer with no group to join: it is only assigned partitions."""
    settings = {
        "group.id": f"read-{uuid.uuid4().hex}",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.partition.eof": eof,
        # A partition's end shows on the first fetch that finds nothing new, which the broker holds this
        # long: librdkafka's 500 ms made every read to the end take half a second more.
        **({"fetch.wait.max.ms": 10} if eof else {}),
    }
    return Consumer(client_config(bootstrap, **settings))


def _partitions_once_they_exist(reader: Consumer, names: list[str], what: str, deadline: float) -> list[TopicPartition]:
    while True:
        existing = reader.list_topics(timeout=30).topics
        found = [existing.get(name) for name in names]
        if all(t is not None and t.error is None and t.partitions for t in found):
            return [TopicPartition(t.topic, p) for t in found if t is not None for p in sorted(t.partitions)]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: {', '.join(names)} did not appear")
        time.sleep(0.2)


def _starts(reader: Consumer, bootstrap: str, partitions: list[TopicPartition], start: Start) -> list[TopicPartition]:
    """Each partition's first offset to read, fixed now."""
    if start == "beginning":
        return [TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions]
    if start == "now":
        return _ends(bootstrap, partitions)
    asked = [TopicPartition(tp.topic, tp.partition, start) for tp in partitions]
    found = reader.offsets_for_times(asked, timeout=30) if asked else []
    past = _ends(bootstrap, [tp for tp in found if tp.offset < 0])
    return [tp for tp in found if tp.offset >= 0] + past


def _ends(bootstrap: str, partitions: list[TopicPartition]) -> list[TopicPartition]:
    """Where each partition's committed records end, asked in one request: one request per partition
    took seconds on a busy broker for a hundred topics, so the first topics' starts were fixed seconds
    before the last ones'."""
    if not partitions:
        return []
    admin = AdminClient(client_config(bootstrap))
    asked = {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in partitions}
    answers = admin.list_offsets(asked, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=30)
    return [TopicPartition(tp.topic, tp.partition, future.result(60).offset) for tp, future in answers.items()]


def _decoded(message: Message, keys: Deserializer | None, values: Deserializer | None) -> Message:
    """``message`` with its key and value deserialized in place, as ``DeserializingConsumer.poll`` does."""
    if keys is not None:
        message.set_key(keys(message.key(), SerializationContext(message.topic(), MessageField.KEY)))
    if values is not None:
        message.set_value(values(message.value(), SerializationContext(message.topic(), MessageField.VALUE)))
    return message
