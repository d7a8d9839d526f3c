"""The one Kafka producer behind every produce request.

A single idempotent confluent-kafka ``Producer`` (acks=all) is shared by all requests so that
records of concurrent requests are batched together by librdkafka.  Delivery reports are served by
a dedicated thread that blocks in ``poll()``; each request awaits one asyncio future that the thread
resolves when the last record of its batch is acknowledged, so the Tornado loop never blocks and a
batch costs one cross-thread wake-up, not one per record.

``confluent_kafka.aio.AIOProducer`` is not used: it holds messages in its own buffer until a size or
time threshold before handing them to librdkafka, which would add up to a second to every request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from .errors import Errors

log = logging.getLogger(__name__)

# librdkafka's default partitioner hashes keys with CRC32; Java clients (and Confluent's REST Proxy)
# use murmur2, so a keyed record lands on the same partition whichever client wrote it.
_PRODUCER_DEFAULTS = {
    "enable.idempotence": True,
    "acks": "all",
    "partitioner": "murmur2_random",
    "linger.ms": 0,
    "message.timeout.ms": 30000,
}


@dataclass(frozen=True)
class OutgoingRecord:
    """A record ready for Kafka: serialized key and value, and a partition (-1: let Kafka choose)."""

    key: bytes | None
    value: bytes | None
    partition: int = -1


@dataclass(frozen=True)
class DeliveryResult:
    """Where a record was written, or why it was not (Confluent's per-record error codes)."""

    partition: int | None = None
    offset: int | None = None
    error_code: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, int | str | None]:
        return {
            "partition": self.partition,
            "offset": self.offset,
            "error_code": self.error_code,
            "error": self.error,
        }


def _failure(err: KafkaError) -> DeliveryResult:
    code = Errors.KAFKA_RETRIABLE_ERROR if err.retriable() else Errors.KAFKA_ERROR
    return DeliveryResult(error_code=code.error_code, error=err.str())


class _PendingBatch:
    """Collects the delivery reports of one request's records and wakes the request at the end."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.results: list[DeliveryResult | None] = [None] * size
        self.future: asyncio.Future[list[DeliveryResult | None]] = loop.create_future()
        self._loop = loop
        self._outstanding = size
        self._lock = threading.Lock()

    def settle(self, index: int, result: DeliveryResult) -> None:
        """Records one outcome; called from the delivery thread or, for refused records, the loop."""
        self.results[index] = result
        with self._lock:
            self._outstanding -= 1
            finished = self._outstanding == 0
        if finished:
            self._loop.call_soon_threadsafe(self._finish)

    def _finish(self) -> None:
        if not self.future.done():
            self.future.set_result(self.results)


class KafkaProducer:
    """Produces batches of serialized records and reports each record's partition and offset."""

    def __init__(self, client_config: dict[str, Any]) -> None:
        self._producer = Producer({**client_config, **_PRODUCER_DEFAULTS})
        self._closing = threading.Event()
        self._reporter = threading.Thread(
            target=self._serve_delivery_reports, name="rest-proxy-delivery-reports", daemon=True
        )
        self._reporter.start()

    def _serve_delivery_reports(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.1)

    async def produce(self, topic: str, records: Sequence[OutgoingRecord]) -> list[DeliveryResult]:
        """Hands every record to librdkafka, then waits for all their delivery reports."""
        if not records:
            return []
        batch = _PendingBatch(asyncio.get_running_loop(), len(records))
        for index, record in enumerate(records):
            await self._enqueue(topic, record, batch, index)
        results = await batch.future
        return [r for r in results if r is not None]

    async def _enqueue(self, topic: str, record: OutgoingRecord, batch: _PendingBatch, index: int) -> None:
        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                batch.settle(index, _failure(err))
            else:
                batch.settle(index, DeliveryResult(partition=msg.partition(), offset=msg.offset()))

        while True:
            try:
                self._producer.produce(
                    topic, value=record.value, key=record.key, partition=record.partition, on_delivery=on_delivery
                )
                return
            except BufferError:
                # librdkafka's queue is full: give the delivery thread a moment to drain it.
                await asyncio.sleep(0.005)
            except KafkaException as exc:
                batch.settle(index, _failure(exc.args[0]))
                return

    def close(self) -> None:
        """Waits (up to 10 s) for records still in flight, then stops the delivery thread."""
        remaining = self._producer.flush(10)
        if remaining:
            log.warning("Shutting down with %d records that Kafka has not acknowledged.", remaining)
        self._closing.set()
        self._reporter.join()
