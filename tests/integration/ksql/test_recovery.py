"""Counts stay exact when a KSQL server is killed mid-stream: restarted alone, or replaced by its cluster;
a windowed table's counts too."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable

from confluent_kafka.admin import AdminClient

from stack.ksql.__main__ import instance_id
from stack.settings import Settings
from tests.support.ksql import (
    KsqlProcess,
    TurnstileEvents,
    committed_offsets,
    latest_values,
    ok,
    query_group,
    suffix,
    turnstile_topic,
)
from tests.support.reading import follow
from tests.support.waiting import wait_for

COUNT_STATEMENTS = """
CREATE STREAM {name} (station_id INT, station_name STRING, line STRING)
    WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');
CREATE TABLE {name}_SUMMARY WITH (VALUE_FORMAT='JSON') AS
    SELECT station_id, AS_VALUE(station_id) AS station_id_value, COUNT(*) AS count FROM {name} GROUP BY station_id;
"""


def station_of(key: bytes) -> int:
    return struct.unpack(">i", key)[0]


def produce_around(events: TurnstileEvents, during: Callable[[], None], after: int = 3000) -> None:
    """Produces events in steps of 200 on a thread while ``during`` runs (a kill, a restart), then ``after`` more.

    ``during`` waits for a condition (the query has counted some events) before it kills, so the
    events keep coming until then, however long that takes (at most 20,000 before it: then they wait).
    """
    done = threading.Event()

    def produce() -> None:
        start = 0
        while not done.is_set():
            if start < 20_000:
                events.produce(200, start=start)
                start += 200
                time.sleep(0.05)  # a pace, not a barrier: records keep flowing while the servers change
            else:
                done.wait()
        events.produce(after, start=start)

    producing = threading.Thread(target=produce)
    producing.start()
    try:
        during()
    finally:
        done.set()
        producing.join(300)
    assert not producing.is_alive()


def has_committed(admin: AdminClient, sink: str) -> bool:
    """Whether the query writing ``sink`` has committed a batch: counts in its changelog to restore."""
    group = query_group(admin, sink)
    return group is not None and bool(committed_offsets(admin, group))


def members_with_partitions(admin: AdminClient, sink: str) -> set[str]:
    """The ``host:port`` of each server whose member of the query's group holds partitions."""
    group = query_group(admin, sink)
    if group is None:
        return set()
    described = admin.describe_consumer_groups([group], request_timeout=30)[group].result(60)
    # Each member's static id is the group's (the query's application id), a dash, and its server's instance id.
    return {
        (m.group_instance_id or "").removeprefix(f"{group}-")
        for m in described.members
        if m.assignment.topic_partitions
    }


def test_counts_are_exact_after_kill_9_and_restart_mid_stream(
    private_servers: Callable[[int], KsqlProcess],
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
) -> None:
    server = private_servers(0)
    server.start()
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    name = f"T_{suffix()}".upper()
    ok(server.url, COUNT_STATEMENTS.format(name=name, topic=topic), {"auto.offset.reset": "earliest"})

    def kill_and_restart() -> None:
        wait_for(lambda: has_committed(admin, f"{name}_SUMMARY"), "the query to commit its first counts", 120)
        server.kill()
        server.start()

    produce_around(events, kill_and_restart)
    rows = latest_values(bootstrap_servers, f"{name}_SUMMARY", events.produced, station_of)
    assert {station: row["COUNT"] for station, row in rows.items()} == dict(events.produced)
    (tables,) = ok(server.url, "SHOW TABLES;")
    assert f"{name}_SUMMARY" in {t["name"] for t in tables["tables"]}  # replayed from the command topic


def test_two_servers_share_a_query_and_counts_stay_exact_when_one_is_killed(
    private_servers: Callable[[int], KsqlProcess],
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
) -> None:
    first, second = private_servers(1), private_servers(2)
    first.start()
    second.start()
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap_servers, running_platform.endpoints.schema_registry_url, topic)
    name = f"T_{suffix()}".upper()
    created = ok(first.url, COUNT_STATEMENTS.format(name=name, topic=topic), {"auto.offset.reset": "earliest"})
    # The other server applies the same commands: asked with the last sequence number, it knows the table.
    (described,) = ok(second.url, f"DESCRIBE {name}_SUMMARY;", sequence=created[-1]["commandSequenceNumber"])
    assert described["sourceDescription"]["writeQueries"]

    def kill_first() -> None:
        both = {instance_id(first.port), instance_id(second.port)}
        wait_for(
            lambda: members_with_partitions(admin, f"{name}_SUMMARY") == both, "both servers to hold partitions", 120
        )
        wait_for(lambda: has_committed(admin, f"{name}_SUMMARY"), "the query to commit its first counts", 120)
        first.kill()

    produce_around(events, kill_first)
    rows = latest_values(bootstrap_servers, f"{name}_SUMMARY", events.produced, station_of, timeout=120)
    assert {station: row["COUNT"] for station, row in rows.items()} == dict(events.produced)


def test_the_instance_id_is_the_host_name_and_port() -> None:
    assert instance_id(8088) == f"{socket.gethostname()}:8088"


def test_a_query_joins_its_group_under_the_servers_host_name_and_port(
    private_servers: Callable[[int], KsqlProcess], admin: AdminClient
) -> None:
    """Static membership (and the transactional.id beside it) must differ between hosts: 127.0.0.1 does not."""
    server = private_servers(0)
    server.start()
    topic = turnstile_topic(admin)
    name = f"T_{suffix()}".upper()
    created = ok(server.url, COUNT_STATEMENTS.format(name=name, topic=topic))
    group = f"_confluent-ksql-{server.script.env['KSQL_SERVICE_ID']}query_{created[-1]['commandStatus']['queryId']}"

    def members() -> list[str | None]:
        described = admin.describe_consumer_groups([group])[group].result(30)
        return [m.group_instance_id for m in described.members]

    assert wait_for(members, f"a member of {group}") == [f"{group}-{socket.gethostname()}:{server.port}"]


# --- a windowed table: its groups (hour-long windows, open across the restart) come back from the changelog

WINDOWED_STATEMENTS = """
CREATE STREAM {name} (station_id INT, station_name STRING, line STRING)
    WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');
CREATE TABLE {name}_BY_TIME WITH (VALUE_FORMAT='JSON') AS
    SELECT station_id, COUNT(*) AS entries FROM {name}
    WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 30 MINUTES) GROUP BY station_id;
"""


def entries_per_station(bootstrap: str, topic: str, expected: Counter) -> dict[int, int]:
    """Each station's entries summed over the table's windows (latest committed row per key and window), once
    they add up to the expected count twice over: each event is in two hopping windows."""
    latest: dict[tuple[int, int], int] = {}

    def summed() -> dict[int, int]:
        totals: Counter[int] = Counter()
        for (station, _), count in latest.items():
            totals[station] += count
        return dict(totals)

    twice = {station: 2 * count for station, count in expected.items()}
    for message in follow(bootstrap, [topic], f"{topic}'s windows to add up to every event twice", timeout=180):
        latest[struct.unpack(">iq", message.key())] = json.loads(message.value())["ENTRIES"]
        if summed() == twice:
            break
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
        next(follow(bootstrap_servers, [f"{name}_BY_TIME"], "the query to commit its first windows", timeout=120))
        server.kill()
        server.start()

    produce_around(events, kill_and_restart)
    totals = entries_per_station(bootstrap_servers, f"{name}_BY_TIME", events.produced)
    assert totals == {station: 2 * count for station, count in events.produced.items()}
