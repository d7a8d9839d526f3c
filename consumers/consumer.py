"""One Kafka consumer for the status page: Avro or JSON, a topic or a pattern, on Tornado's event loop.

confluent-kafka's ``AIOConsumer`` runs each blocking call on a worker thread and hands its result
back to the loop, so waiting for messages never blocks the page. The loop waits for the first
message (``poll``), then takes whatever else has already arrived (``consume`` with no wait) and
hands the batch to :class:`TransitStatus` at once: a message reaches the browsers as soon as it
arrives, and a burst costs one update. Avro values are decoded with the library's asyncio
deserializer, whose Schema Registry look-ups do not block the loop either.

The page keeps no state of its own: each start reads it back from Kafka. Tables (the stations,
TURNSTILE_SUMMARY) are read from the beginning; streams whose latest messages are the state
(arrivals, weather) from ``history`` messages before the end of each partition. So nothing is
committed, and each process reads in a consumer group of its own. A table's history is applied
batch by batch as it is read, in offset order (its latest update wins), so its size never sits in
memory; a stream's history, up to where each partition ended at the start, is applied at once in
timestamp order, as a train's arrivals are spread over the topics of its stations. Once each
partition is read to where it ended, :attr:`caught_up` is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TIMESTAMP_NOT_AVAILABLE, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from confluent_kafka.aio import AIOConsumer
from confluent_kafka.schema_registry import AsyncSchemaRegistryClient
from confluent_kafka.schema_registry.avro import AsyncAvroDeserializer
from models import Record, TransitStatus
from models.status import now_ms

from clients.kafka import client_config, kafka_log, off_loop
from cta import endpoints

logger = logging.getLogger(__name__)

OFFSET_TAIL_BASE = -2000
"""librdkafka's logical offset "``n`` messages before the end" is ``OFFSET_TAIL_BASE - n``."""
BATCH = 500
POLL_TIMEOUT = 1.0
"""Seconds a worker thread waits for the first message; the loop is free meanwhile."""
OFFSETS_TIMEOUT = 10.0
# Latency first: a fetch returns as soon as one byte is there, and an idle one within 0.1 s (so a
# partition assigned meanwhile waits no longer); a topic that did not exist yet (the stations table
# Faust writes on a first start, the arrivals topics) is found within a second, where 5 s was most
# of a first start's wait for its first train; small requests are not held back by Nagle's algorithm.
LATENCY_SETTINGS = {
    "fetch.min.bytes": 1,
    "fetch.wait.max.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
    "socket.nagle.disable": True,
}


class KafkaConsumer:
    """Feeds one topic (or every topic matching a ``^`` pattern) to :class:`TransitStatus`."""

    def __init__(
        self, topic_name_pattern: str, status: TransitStatus, is_avro: bool = True, history: int | None = None
    ) -> None:
        self.topic_name_pattern = topic_name_pattern
        self.status = status
        self.is_avro = is_avro
        self.history = history
        """Messages re-read per partition at the start; None: everything, from the beginning."""
        self.caught_up = asyncio.Event()
        self._ends: dict[tuple[str, int], int] = {}
        """Partitions still being read up to their end at the start: (topic, partition) -> end offset."""
        self._assigned = False
        self._backlog: list[Record] = []
        """A stream's history, read at the start, applied in timestamp order once read to its end."""
        self._read_at_start = 0
        self._consumer: AIOConsumer | None = None
        self._admin: AdminClient | None = None
        self._deserializer: AsyncAvroDeserializer | None = None
        self._reported: set[int] = set()

    async def start(self) -> None:
        """Subscribes; messages flow once :meth:`consume` runs."""
        settings = endpoints()
        if self.is_avro:
            registry = AsyncSchemaRegistryClient({"url": settings.schema_registry_url})
            self._deserializer = await AsyncAvroDeserializer(registry)
        self._admin = AdminClient(client_config(settings.kafka_bootstrap_servers))
        self._consumer = AIOConsumer(
            {
                "bootstrap.servers": settings.kafka_bootstrap_servers,
                "group.id": f"cta-status-page-{uuid.uuid4().hex[:12]}",
                "enable.auto.commit": False,
                # KSQL writes TURNSTILE_SUMMARY in transactions: an aborted batch's counts never reach the page.
                "isolation.level": "read_committed",
                # New topics matching the pattern add partitions without re-reading the others.
                "partition.assignment.strategy": "cooperative-sticky",
                "logger": kafka_log,
                **LATENCY_SETTINGS,
            },
            max_workers=2,  # one for the call in flight, one for the re-entrant assign of on_assign
        )
        await self._consumer.subscribe([self.topic_name_pattern], on_assign=self._on_assign)

    async def _on_assign(self, consumer: AIOConsumer, partitions: list[TopicPartition]) -> None:
        for partition in partitions:
            partition.offset = OFFSET_BEGINNING if self.history is None else OFFSET_TAIL_BASE - self.history
        await consumer.incremental_assign(partitions)
        if self.caught_up.is_set():
            return  # a topic created later: read live
        self._ends.update(await off_loop(None, lambda: self._non_empty_ends(partitions)))
        self._assigned = True
        if not self._ends:
            self._finish_catching_up()

    def _non_empty_ends(self, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """The end offset of each partition that holds messages, in one request per broker and kind."""
        assert self._admin is not None
        ends = {}
        for spec in (OffsetSpec.earliest(), OffsetSpec.latest()):
            wanted = {TopicPartition(p.topic, p.partition): spec for p in partitions}
            answers = self._admin.list_offsets(wanted, request_timeout=OFFSETS_TIMEOUT)
            ends[spec] = {(tp.topic, tp.partition): answer.result().offset for tp, answer in answers.items()}
        low, high = ends.values()
        return {partition: end for partition, end in high.items() if end > low[partition]}

    async def consume(self) -> None:
        """Reads until cancelled, applying each batch as soon as it arrives."""
        assert self._consumer is not None, "start() first"
        while True:
            first = await self._consumer.poll(POLL_TIMEOUT)
            if first is None:
                if self._assigned and not self.caught_up.is_set():
                    self._finish_catching_up()  # nothing more to read: the ends were control records
                continue
            batch = [first, *await self._consumer.consume(BATCH, 0)]
            records = [record for message in batch if (record := await self._decode(message)) is not None]
            if self.caught_up.is_set():
                self._apply(records)
                continue
            self._read_at_start += len(records)
            if self.history is None:
                self._apply(records)
            else:
                self._backlog += records
            for record in records:
                end = self._ends.get((record.topic, record.partition))
                if end is not None and record.offset + 1 >= end:
                    del self._ends[(record.topic, record.partition)]
            if not self._ends:
                self._finish_catching_up()

    def _finish_catching_up(self) -> None:
        """Applies a stream's history in the order it happened, across partitions; then the consumer is caught up.

        A table's updates were applied as read, in offset order: its latest update is the one written
        last, whatever its timestamp (KSQL stamps a count with the entry that changed it, and entries
        from several partitions are not counted in timestamp order).
        """
        if self.history is not None:
            self._backlog.sort(key=lambda record: record.timestamp_ms)  # stable: a partition keeps its order
        self._apply(self._backlog)
        logger.info("Read %d message(s) of %s.", self._read_at_start, self.topic_name_pattern)
        self._backlog = []
        self.caught_up.set()

    def _apply(self, records: list[Record]) -> None:
        try:
            self.status.apply(records)
        except Exception:  # a bug in a model must not stop the page; the log has the traceback
            logger.exception("Could not apply %d message(s) of %s.", len(records), self.topic_name_pattern)

    async def _decode(self, message: Message) -> Record | None:
        if message.error() is not None:
            self._report(message.error())
            return None
        raw = message.value()
        try:
            if raw is None:
                value: Any = None
            elif self._deserializer is not None:
                # No serialization context: the schema id in the message is all it needs, so the
                # registry is asked once per schema rather than once per topic.
                value = await self._deserializer(raw, None)
            else:
                value = json.loads(raw)
        except Exception as error:  # the deserializers raise several kinds; each is one bad message
            self.status.undecodable(message.topic(), f"{type(error).__name__}: {error}")
            return None
        kind, timestamp = message.timestamp()
        if kind == TIMESTAMP_NOT_AVAILABLE:
            timestamp = now_ms()
        return Record(message.topic(), value, timestamp, message.key(), message.partition(), message.offset())

    def _report(self, error: KafkaError) -> None:
        """Logs each kind of consumer error once (a missing topic would otherwise repeat every few seconds)."""
        if error.code() in self._reported:
            return
        self._reported.add(error.code())
        if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            logger.warning("Topic %s does not exist yet; it is read as soon as it does.", self.topic_name_pattern)
        else:
            logger.warning("Kafka reports for %s: %s", self.topic_name_pattern, error.str())

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.close()
