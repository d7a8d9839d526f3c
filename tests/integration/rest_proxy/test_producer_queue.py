"""The proxy's producer when librdkafka's queue is full: it waits for room and keeps each partition's order."""

from __future__ import annotations

import asyncio

from stack.rest_proxy.producer import KafkaProducer, OutgoingRecord


def test_records_refused_for_a_full_queue_are_produced_later_in_request_order(kafka_bootstrap: str, topic: str) -> None:
    # A queue of 5 messages refuses most of a 40-record request at first; those records must be
    # handed over again, after the ones before them, so that each partition still holds the
    # request's order. Records alternate between a named partition and the partitioner (-1), so
    # the request is many runs of one target each.
    producer = KafkaProducer({"bootstrap.servers": kafka_bootstrap, "queue.buffering.max.messages": 5})
    records: list[OutgoingRecord] = [(None, str(i).encode(), 1 if i % 3 else -1) for i in range(40)]
    try:
        results = asyncio.run(producer.produce(topic, records, lambda *where: where, lambda *error: error))
    finally:
        producer.close()

    assert all(isinstance(offset, int) for _, offset in results), results
    assert all(partition == 1 for (partition, _), (_, _, target) in zip(results, records, strict=True) if target == 1)
    for partition in {partition for partition, _ in results}:
        offsets = [offset for p, offset in results if p == partition]
        assert offsets == list(range(len(offsets)))
