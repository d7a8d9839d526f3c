"""The one Kafka producer behind every produce request.

A single idempotent confluent-kafka ``Producer`` (acks=all) is shared by all requests so that
records of concurrent requests are batched together by librdkafka.  A request's records are handed
over in one synchronous loop (the loop yields only when librdkafka's queue is full).  Delivery
reports are served by a dedicated thread that blocks in ``poll()``; each request awaits one asyncio
future that the thread resolves when the last record of its batch is acknowledged, so the Tornado
loop never blocks and a batch costs one cross-thread wake-up, not one per record.

``confluent_kafka.aio.AIOProducer`` is not used: it holds messages in its own buffer until a size or
time threshold before handing them to librdkafka, which would add up to a second to every request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from .errors import Errors

log = logging.getLogger(__name__)
T = TypeVar("T")

# librdkafka's default partitioner hashes keys with CRC32; Java clients (and Confluent's REST Proxy)
# use murmur2, so a keyed record lands on the same partition whichever client wrote it.  Records
# without a key come with their partition drawn (requests.py), a request's together.
#
# Batching: a produce request goes out as soon as records wait (no linger) and at most two are in
# flight per broker; records handed over meanwhile wait for an answer and then go together.  An idle
# proxy thus answers a lone client without delay, and a busy one sends few, large requests.
# librdkafka wakes from a linger only on its millisecond timer: the 1 ms linger used before added
# 1.1 ms to a 100-record request's 1.7 ms (median, measured in the proxy), and its only gain, fewer
# produce requests, comes from the bound on requests in flight.  With one in flight, a client's
# request arriving while another's records travel waited for that whole round trip (4 HTTP requests
# in flight: 53 % of direct against 71 % with two, the same CPU); with five (idempotence's most),
# concurrent requests went out in many small produce requests (CPU per 100 records 1.2 -> 1.6 ms).
_PRODUCER_DEFAULTS = {
    "enable.idempotence": True,
    "acks": "all",
    "partitioner": "murmur2_random",
    "linger.ms": 0,
    "max.in.flight.requests.per.connection": 2,
    "message.timeout.ms": 30000,
}
# How long a request waits for room when librdkafka's queue is full.
_QUEUE_FULL_PAUSE_S = 0.005


OutgoingRecord = tuple[bytes | None, bytes | None, int]
"""A record ready for Kafka: serialized key and value, and a partition (-1: let Kafka choose); a plain
tuple, as :data:`~stack.rest_proxy.requests.ProducedRecord` is."""


Delivered = Callable[[int, int], T]
"""What a request makes of a record Kafka acknowledged: from its partition and offset."""
Failed = Callable[[int, str], T]
"""What a request makes of a record Kafka refused: from Confluent's error code and the error's text."""


def _error_code(err: KafkaError) -> int:
    return (Errors.KAFKA_RETRIABLE_ERROR if err.retriable() else Errors.KAFKA_ERROR).error_code


class _PendingBatch(Generic[T]):
    """Collects the outcomes of one request's records and wakes the request once, at the last.

    Each record's outcome is made into the request's answer entry by the delivery thread as its
    report arrives, so the event loop only joins them. The batch counts settled records with
    ``itertools.count``, whose ``next`` the GIL makes atomic: both the delivery thread and the loop
    (for records refused at hand-over) settle records, and no lock is taken per record.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int, delivered: Delivered[T], failed: Failed[T]) -> None:
        self.results: list[Any] = [None] * size  # each slot a T once its record is settled
        self.future: asyncio.Future[list[T]] = loop.create_future()
        self.delivered = delivered
        self.failed = failed
        self._loop = loop
        self._size = size
        self._settled = itertools.count(1)

    def reporter(self, index: int) -> Callable[[KafkaError | None, Message], None]:
        """The delivery callback of record ``index``."""
        results, delivered = self.results, self.delivered

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is None:
                results[index] = delivered(msg.partition(), msg.offset())
                self.count()
            else:
                self.settle(index, err)

        return on_delivery

    def settle(self, index: int, err: KafkaError) -> None:
        """Records a refusal; called from the delivery thread or, for records refused at hand-over, the loop."""
        self.results[index] = self.failed(_error_code(err), err.str())
        self.count()

    def count(self) -> None:
        if next(self._settled) == self._size:
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

    async def produce(
        self, topic: str, records: Sequence[OutgoingRecord], delivered: Delivered[T], failed: Failed[T]
    ) -> list[T]:
        """Hands every record to librdkafka, waits for all their delivery reports; each record's outcome, in order."""
        if not records:
            return []
        batch = _PendingBatch(asyncio.get_running_loop(), len(records), delivered, failed)
        waiting = self._hand_over(topic, records, batch, range(len(records)))
        while waiting:
            # librdkafka's queue is full: give the delivery thread a moment to drain it.
            await asyncio.sleep(_QUEUE_FULL_PAUSE_S)
            waiting = self._hand_over(topic, records, batch, waiting)
        return await batch.future

    def _hand_over(
        self, topic: str, records: Sequence[OutgoingRecord], batch: _PendingBatch[T], indices: Sequence[int]
    ) -> list[int]:
        """Produces the records at ``indices`` in order, one ``produce_batch`` per run of records with the same target.

        ``produce_batch`` takes one target partition (or -1 for the partitioner) for all its records,
        and a request's records must reach each partition in request order, so only neighbours
        share a call; a request usually is one run. Returns the indices still to produce because
        librdkafka's queue was full (from the first refused one on); any other refusal is that
        record's failure.
        """
        done = 0
        for partition, run in itertools.groupby(indices, key=lambda index: records[index][2]):
            group = list(run)
            messages = []
            for index in group:
                key, value, _ = records[index]
                messages.append({"key": key, "value": value, "callback": batch.reporter(index)})
            try:
                self._producer.produce_batch(topic, messages, partition=partition)
            except KafkaException as exc:  # the whole run refused, e.g. a topic name librdkafka rejects
                messages = [{"_error": exc.args[0]}] * len(group)
            for position, (index, message) in enumerate(zip(group, messages, strict=True)):
                error = message.get("_error")
                if error is None:
                    continue
                if error.code() == KafkaError._QUEUE_FULL:
                    return list(indices[done + position :])
                batch.settle(index, error)
            done += len(group)
        return []

    def close(self) -> None:
        """Waits (up to 10 s) for records still in flight, then stops the delivery thread."""
        remaining = self._producer.flush(10)
        if remaining:
            log.warning("Shutting down with %d records that Kafka has not acknowledged.", remaining)
        self._closing.set()
        self._reporter.join()
