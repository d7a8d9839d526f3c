"""What the consumer applies once it has read Kafka's history at its start: the order decides the picture."""

from __future__ import annotations

from consumer import KafkaConsumer
from models import Record, TransitStatus

from cta import topics


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
