"""TURNSTILE_HOURLY's records through Kafka to the page's state: the windowed key's bytes reach the model intact."""

from __future__ import annotations

import asyncio
import json
import struct
from dataclasses import replace

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from consumer import KafkaConsumer
from models import Record, TransitStatus

from cta import topics
from stack.settings import Settings
from tests.support.kafka import new_topic

NOON = 1_764_936_000_000
HOUR_MS = 3_600_000


class Recorder(TransitStatus):
    """Keeps the records the consumer hands over, as read from Kafka."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Record] = []

    def apply(self, records: list[Record]) -> None:  # type: ignore[override]
        self.records += records


def test_windowed_records_read_from_kafka_chart_each_hour(running_platform: Settings, bootstrap_servers: str) -> None:
    # A topic of its own (not TURNSTILE_HOURLY, which KSQL owns on a shared platform), written as KSQL writes it.
    topic = new_topic(AdminClient({"bootstrap.servers": bootstrap_servers}), "test.turnstile.hourly")
    producer = Producer({"bootstrap.servers": bootstrap_servers})
    for station_id, hour, entries in ((40380, 0, 3), (40380, 0, 7), (40380, 1, 2), (40900, 1, 11)):
        key = struct.pack(">iq", station_id, NOON + hour * HOUR_MS)
        producer.produce(topic, json.dumps({"ENTRIES": entries}).encode(), key, timestamp=NOON + hour * HOUR_MS)
    producer.flush(30)

    async def read() -> list[Record]:
        recorder = Recorder()
        consumer = KafkaConsumer(topic, recorder, is_avro=False)
        await consumer.start()
        task = asyncio.create_task(consumer.consume())
        try:
            await asyncio.wait_for(consumer.caught_up.wait(), 60)
        finally:
            task.cancel()
            await consumer.close()
        return recorder.records

    status = TransitStatus()
    status.apply([replace(record, topic=topics.TURNSTILE_HOURLY) for record in asyncio.run(read())])
    ridership = status.snapshot()["ridership"]
    assert ridership["hours"][-2:] == [NOON, NOON + HOUR_MS]
    assert ridership["stations"]["40380"][-2:] == [7, 2] and ridership["stations"]["40900"][-2:] == [0, 11]
    assert ridership["busiest"] == [{"station_id": 40900, "entries": 11}, {"station_id": 40380, "entries": 2}]
    assert status.skips.total == 0
