"""A windowed table's counts stay exact when its server is killed with SIGKILL mid-stream and started again:
the windows' groups (hour-long, open across the restart) come back from the changelog, each batch's rows, groups
and offsets commit together."""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Callable

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

from stack.settings import Settings
from tests.helpers import wait_for
from tests.ksql.conftest import KsqlProcess, TurnstileEvents, ok, suffix, turnstile_topic
from tests.ksql.test_recovery import produce_around

WINDOWED_STATEMENTS = """
CREATE STREAM {name} (station_id INT, station_name STRING, line STRING)
    WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');
CREATE TABLE {name}_BY_TIME WITH (VALUE_FORMAT='JSON') AS
    SELECT station_id, COUNT(*) AS entries FROM {name}
    WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 30 MINUTES) GROUP BY station_id;
"""


def has_rows(bootstrap: str, topic: str) -> bool:
    """Whether a committed transaction wrote rows to ``topic``."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{suffix()}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    try:
        return any(m.error() is None for m in consumer.consume(10, 2.0))
    finally:
        consumer.close()


def entries_per_station(bootstrap: str, topic: str, expected: Counter) -> dict[int, int]:
    """Each station's entries summed over the table's windows (latest committed row per key and window), once
    they add up to the expected count twice over: each event is in two hopping windows."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{suffix()}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    latest: dict[tuple[int, int], int] = {}

    def summed() -> dict[int, int]:
        totals: Counter[int] = Counter()
        for (station, _), count in latest.items():
            totals[station] += count
        return dict(totals)

    def complete() -> bool:
        for message in consumer.consume(1000, 0.5):
            if message.error() is None:
                latest[struct.unpack(">iq", message.key())] = json.loads(message.value())["ENTRIES"]
        return summed() == {station: 2 * count for station, count in expected.items()}

    try:
        wait_for(complete, f"{topic}'s windows to add up to every event twice", timeout=180)
    finally:
        consumer.close()
    return summed()


def test_windowed_counts_are_exact_after_kill_9_and_restart_mid_stream(
    private_servers: Callable[[int], KsqlProcess],
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
) -> None:
    server = private_servers(0)
    server.start()
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    name = f"W_{suffix()}".upper()
    ok(server.url, WINDOWED_STATEMENTS.format(name=name, topic=topic), {"auto.offset.reset": "earliest"})

    def kill_and_restart() -> None:
        # windows in the sink are in the changelog too (one transaction): the restarted query must read them back
        wait_for(lambda: has_rows(bootstrap_servers, f"{name}_BY_TIME"), "the query to commit its first windows", 120)
        server.kill()
        server.start()

    produce_around(events, kill_and_restart)
    totals = entries_per_station(bootstrap_servers, f"{name}_BY_TIME", events.produced)
    assert totals == {station: 2 * count for station, count in events.produced.items()}
