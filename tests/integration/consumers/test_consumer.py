"""What the consumer applies once it has read Kafka's history at its start: the order decides the picture."""

from __future__ import annotations

import asyncio
import json
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from consumer import KafkaConsumer
from models import Record, TransitStatus

from cta import topics
from stack.settings import Settings
from tests.support.kafka import new_topic


def red_line() -> TransitStatus:
    status = TransitStatus()
    status.apply(
        [
            Record(topics.STATIONS_TABLE, {"station_id": i, "station_name": f"S{i}", "order": i, "line": "red"}, 1)
            for i in (1, 2)
        ]
    )
    return status


def test_a_tables_history_is_applied_in_offset_order_whatever_the_timestamps() -> None:
    status = red_line()
    consumer = KafkaConsumer(topics.TURNSTILE_SUMMARY, status, is_avro=False)
    # KSQL stamps a count with the entry that changed it: a later count can carry an earlier time.
    consumer._backlog = [
        Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 1, "COUNT": 5}, 105, offset=0),
        Record(topics.TURNSTILE_SUMMARY, {"STATION_ID": 1, "COUNT": 6}, 100, offset=1),
    ]
    consumer._finish_catching_up()
    assert status.lines.lines["red"].stations[1].entries == 6
    assert consumer.caught_up.is_set()


def test_a_streams_history_is_applied_in_timestamp_order_across_topics() -> None:
    status = red_line()
    consumer = KafkaConsumer(f"^{topics.ARRIVALS_PREFIX}", status, history=50)

    def arrival(station: int, at: int, prev: int | None) -> Record:
        value = {
            "station_id": station,
            "train_id": "RL001",
            "direction": "b",
            "line": "red",
            "train_status": "in_service",
            "prev_station_id": prev,
            "prev_direction": prev and "b",
        }
        return Record(topics.arrivals(f"S{station}", station), value, at)

    consumer._backlog = [arrival(2, 2000, 1), arrival(1, 1000, None)]  # read topic by topic
    consumer._finish_catching_up()
    assert status.lines.lines["red"].trains["RL001"].station_id == 2
    assert status.skips.total == 0


class Recorder(TransitStatus):
    """The page's state, remembering the values the consumer hands it."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[object] = []

    def apply(self, records: list[Record]) -> None:  # type: ignore[override]
        self.values += [record.value for record in records]


def test_the_page_reads_only_committed_transactions(running_platform: Settings, bootstrap_servers: str) -> None:
    """KSQL writes its tables in transactions; an aborted one (a failed batch) must not reach the page."""
    topic = new_topic(AdminClient({"bootstrap.servers": bootstrap_servers}), "test.committed")
    producer = Producer({"bootstrap.servers": bootstrap_servers, "transactional.id": f"test-{uuid.uuid4().hex}"})
    producer.init_transactions(30)
    for value, commit in (("aborted", False), ("committed", True)):
        producer.begin_transaction()
        producer.produce(topic, json.dumps(value).encode())
        producer.flush(30)
        producer.commit_transaction(30) if commit else producer.abort_transaction(30)

    async def read() -> list[object]:
        recorder = Recorder()
        consumer = KafkaConsumer(topic, recorder, is_avro=False)
        await consumer.start()
        task = asyncio.create_task(consumer.consume())
        try:
            await asyncio.wait_for(consumer.caught_up.wait(), 60)
        finally:
            task.cancel()
            await consumer.close()
        return recorder.values

    assert asyncio.run(read()) == ["committed"]
