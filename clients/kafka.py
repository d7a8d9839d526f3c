"""Kafka helpers for the application and our servers: client settings, errors, blocking calls, ready topics.

A topic is *usable* only when every partition's leader answers for it. Right after ``CreateTopics``
returns (or a broker restarts) metadata may already list the topic while its leader still refuses
requests with NOT_LEADER_FOR_PARTITION; :func:`wait_until_usable` waits for the leader to answer a
``ListOffsets`` request for every partition, the cheapest request a leader alone serves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

T = TypeVar("T")

kafka_log = logging.getLogger("kafka")
"""librdkafka's own messages, through Python logging instead of raw lines on stderr."""


def client_config(bootstrap_servers: str, **overrides: Any) -> dict[str, Any]:
    """Settings every Kafka client of ours shares, plus the caller's own."""
    return {"bootstrap.servers": bootstrap_servers, "logger": kafka_log, **overrides}


def error_text(error: KafkaException) -> str:
    """The readable part of a ``KafkaException`` (its ``KafkaError``'s text when it has one)."""
    inner = error.args[0] if error.args else None
    return inner.str() if isinstance(inner, KafkaError) else str(error)


async def off_loop(executor: Executor | None, call: Callable[[], T]) -> T:
    """Runs a blocking client call on ``executor`` so that the event loop keeps serving."""
    return await asyncio.get_running_loop().run_in_executor(executor, call)


def consume_ready(consumer: Consumer, max_messages: int, timeout: float) -> list[Message]:
    """Waits up to ``timeout`` for one message, then takes whatever else is already fetched.

    ``Consumer.consume(n, timeout)`` waits for the whole timeout unless n messages arrive, which
    adds its timeout to the latency of every record on a quiet topic.
    """
    first = consumer.poll(timeout)
    if first is None:
        return []
    return [first, *consumer.consume(max_messages - 1, 0)]


def read_to_end(
    bootstrap_servers: str, partitions: list[TopicPartition], group_id: str, timeout: float | None = None
) -> list[Message]:
    """Every committed record of ``partitions``, from their start to their end as it is now.

    The partitions are assigned, never subscribed, and nothing is committed: ``group_id`` only names
    the reader. Raises TimeoutError when the end is not reached within ``timeout`` seconds, if given.
    """
    if not partitions:
        return []
    reader = Consumer(
        client_config(
            bootstrap_servers,
            **{
                "group.id": group_id,
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                # The end shows on the first fetch that finds nothing new, which the broker holds this
                # long (librdkafka's default, 500 ms, made every KSQL query's start take 1-1.5 s).
                "fetch.wait.max.ms": 10,
            },
        )
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    read: list[Message] = []
    try:
        reader.assign([TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions])
        open_partitions = {(tp.topic, tp.partition) for tp in partitions}
        while open_partitions:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{', '.join(sorted({t for t, _ in open_partitions}))} not read to the end")
            for message in consume_ready(reader, 10_000, 0.05):
                error = message.error()
                if error is None:
                    read.append(message)
                elif error.code() == KafkaError._PARTITION_EOF:
                    open_partitions.discard((message.topic(), message.partition()))
        return read
    finally:
        reader.close()


def create_topic(
    admin: AdminClient,
    name: str,
    partitions: int = 1,
    config: dict[str, str] | None = None,
    replication_factor: int = -1,
    timeout: float = 30.0,
) -> bool:
    """Creates ``name`` (replication -1: the broker's default.replication.factor) and waits until it is usable.

    Returns False when the topic already existed; another client creating it first is fine.
    """
    topic = NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=config or {})
    created = True
    try:
        admin.create_topics([topic], operation_timeout=timeout)[name].result(timeout)
    except KafkaException as error:
        if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
        created = False
    wait_until_usable(admin, name, timeout)
    return created


def wait_until_usable(admin: AdminClient, topic: str, timeout: float = 30.0) -> int:
    """Waits until every partition of ``topic`` has a leader that answers for it; returns the partition count.

    Raises ``KafkaException`` (UNKNOWN_TOPIC_OR_PART) if the topic does not exist by then, and
    TimeoutError if it exists but its leaders do not answer in time.
    """
    deadline = time.monotonic() + timeout
    last = "no metadata yet"
    while True:
        partitions = _partitions_with_leaders(admin, topic)
        if partitions:
            try:
                requests = {TopicPartition(topic, p): OffsetSpec.latest() for p in partitions}
                for future in admin.list_offsets(requests, request_timeout=5).values():
                    future.result(10)
                return len(partitions)
            except KafkaException as error:
                last = error_text(error)
        if time.monotonic() > deadline:
            if not partitions and last == "no metadata yet":
                raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"Topic {topic} does not exist"))
            raise TimeoutError(f"topic {topic} was not usable within {timeout:.0f} s ({last})")
        time.sleep(0.05)


def _partitions_with_leaders(admin: AdminClient, topic: str) -> list[int]:
    """The partition ids of ``topic`` if metadata shows a leader for each of them, else []."""
    found = admin.list_topics(topic, timeout=10).topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        return []
    if any(p.leader < 0 or p.error is not None for p in found.partitions.values()):
        return []
    return sorted(found.partitions)
