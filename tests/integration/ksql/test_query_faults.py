"""Persistent queries keep their counts exact through failures injected into a real run against Kafka.

The engine runs inside the test process (a service id of its own), so a test can make a query's
producer or plan fail at a chosen moment: a commit whose outcome is in doubt, or an error nobody
expected. The counts are read back from the sink with read_committed, as any consumer reads them.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from clients.kafka import client_config
from stack.ksql import persistent
from stack.ksql.commands import CommandStore
from stack.ksql.engine import Engine, Session
from stack.ksql.formats import Registry
from stack.ksql.parser import parse
from stack.ksql.persistent import RunningQuery, Runtime, restart_delay
from stack.settings import Settings
from tests.support.ksql import TurnstileEvents, latest_values, suffix, turnstile_topic
from tests.support.waiting import wait_for

EARLIEST = {"auto.offset.reset": "earliest"}
COUNT_STATEMENTS = """
CREATE STREAM {name} (station_id INT, station_name STRING, line STRING)
    WITH (KAFKA_TOPIC='{topic}', VALUE_FORMAT='AVRO');
CREATE TABLE {name}_SUMMARY WITH (VALUE_FORMAT='JSON') AS
    SELECT station_id, COUNT(*) AS count FROM {name} GROUP BY station_id;
"""


@pytest.fixture
def engine(running_platform: Settings, bootstrap_servers: str) -> Iterator[Engine]:
    """A KSQL engine in this process with a service id of its own; its queries stop after the test."""
    service_id = f"test_{suffix()}_"
    registry = Registry(running_platform.endpoints.schema_registry_url)
    runtime = Runtime(bootstrap_servers, service_id, f"{socket.gethostname()}:in-process", registry)
    engine = Engine(runtime, AdminClient(client_config(bootstrap_servers)), {})
    engine.start(CommandStore(bootstrap_servers, service_id, engine.apply))
    yield engine
    engine.stop()


def execute(engine: Engine, text: str, properties: dict[str, Any] | None = None) -> list[Any]:
    session = Session(dict(properties or {}))
    return [engine.execute(statement, session) for statement in parse(text)]


def station_of(key: bytes) -> int:
    return struct.unpack(">i", key)[0]


def count_stations(
    engine: Engine, admin: AdminClient, bootstrap: str, registry_url: str
) -> tuple[str, TurnstileEvents]:
    """A turnstile topic with 3000 events and a table counting them per station, read from the start."""
    topic = turnstile_topic(admin)
    events = TurnstileEvents(bootstrap, registry_url, topic)
    events.produce(3000)
    name = f"T_{suffix()}".upper()
    execute(engine, COUNT_STATEMENTS.format(name=name, topic=topic), EARLIEST)
    return f"{name}_SUMMARY", events


def assert_exact_counts(bootstrap: str, sink: str, events: TurnstileEvents) -> None:
    rows = latest_values(bootstrap, sink, events.produced, station_of)
    assert {station: row["COUNT"] for station, row in rows.items()} == dict(events.produced)


# --- a commit whose outcome is in doubt ---------------------------------------------------------------

TIMED_OUT = KafkaError(KafkaError._TIMED_OUT, "injected: commit timed out", retriable=True)
ABORTABLE = KafkaError(KafkaError._TIMED_OUT, "injected: transaction must be aborted", txn_requires_abort=True)

# How the first commit of a batch that changes the state fails, and what a retried commit then says.
SCENARIOS = {
    # The coordinator committed but its answer was lost; commit_transaction again reports the earlier outcome.
    "committed, the retry confirms it": ("commit", TIMED_OUT, "confirm"),
    # Committed, and the retry cannot tell (the real producer: "Operation not valid in state Ready").
    "committed, the outcome stays unknown": ("commit", TIMED_OUT, "real"),
    # Not committed, and every retry times out as well.
    "not committed, the outcome stays unknown": ("skip", TIMED_OUT, "fail"),
    # Not committed; the retry commits for real.
    "not committed, the retry commits": ("skip", TIMED_OUT, "real"),
    # An abortable error: the transaction did not commit and is aborted.
    "not committed, abortable": ("skip", ABORTABLE, "real"),
}


def producer_failing_one_commit(first: str, error: KafkaError, retry: str) -> tuple[type[Producer], threading.Event]:
    """A Producer class whose first commit of a batch with changelog records fails as a scenario says.

    ``first``: "commit" commits for real before raising ``error``, "skip" raises without committing.
    ``retry``: what later commit calls of the same producer do: "confirm" (return, as librdkafka does
    for the commit it had under way), "fail" (raise ``error`` again) or "real" (call the real one).
    """
    injected = threading.Event()

    class FailingCommit(Producer):
        in_doubt = False
        changelog_records = 0

        def begin_transaction(self, *args: Any) -> None:
            self.changelog_records = 0
            super().begin_transaction(*args)

        def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
            if topic.endswith("-changelog"):
                self.changelog_records += 1
            super().produce(topic, *args, **kwargs)

        def abort_transaction(self, *args: Any) -> None:
            self.in_doubt = False
            super().abort_transaction(*args)

        def commit_transaction(self, *args: Any) -> None:
            if self.in_doubt:
                if retry == "confirm":
                    self.in_doubt = False
                    return
                if retry == "fail":
                    raise KafkaException(error)
                self.in_doubt = False
                super().commit_transaction(*args)
                return
            if injected.is_set() or not self.changelog_records:
                super().commit_transaction(*args)
                return
            injected.set()
            if first == "commit":
                super().commit_transaction(*args)
            self.in_doubt = True
            raise KafkaException(error)

    return FailingCommit, injected


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_counts_stay_exact_when_a_commit_fails_with_its_outcome_in_doubt(
    scenario: str,
    engine: Engine,
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failing, injected = producer_failing_one_commit(*SCENARIOS[scenario])
    monkeypatch.setattr(persistent, "Producer", failing)
    sink, events = count_stations(engine, admin, bootstrap_servers, running_platform.endpoints.schema_registry_url)
    events.produce(1000, start=3000)

    assert_exact_counts(bootstrap_servers, sink, events)
    assert injected.is_set()


# --- an error nobody expected ----------------------------------------------------------------------


def query_state(engine: Engine) -> tuple[str, dict[str, int]]:
    (queries,) = execute(engine, "SHOW QUERIES;")
    (query,) = queries["queries"]
    return query["state"], query["statusCount"]


def query_errors(engine: Engine) -> list[dict[str, Any]]:
    (described,) = execute(engine, "SHOW QUERIES EXTENDED;")
    (query,) = described["queryDescriptions"]
    return query["queryErrors"]


def test_a_query_that_fails_unexpectedly_shows_error_restarts_and_counts_exactly(
    engine: Engine,
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed, restart_allowed = threading.Event(), threading.Event()
    read_source = RunningQuery._read_source
    new_producer = RunningQuery._new_producer

    def read_source_failing_once(self: RunningQuery, *args: Any) -> Any:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("injected: the plan failed")
        return read_source(self, *args)

    def new_producer_held_after_the_failure(self: RunningQuery) -> Producer:
        if failed.is_set():  # the restart waits until the test has seen the query in ERROR
            restart_allowed.wait(60)
        return new_producer(self)

    monkeypatch.setattr(RunningQuery, "_read_source", read_source_failing_once)
    monkeypatch.setattr(RunningQuery, "_new_producer", new_producer_held_after_the_failure)
    sink, events = count_stations(engine, admin, bootstrap_servers, running_platform.endpoints.schema_registry_url)

    assert wait_for(lambda: query_state(engine) == ("ERROR", {"ERROR": 1}), "the query in ERROR")
    (error,) = query_errors(engine)
    assert error["errorMessage"] == "RuntimeError: injected: the plan failed" and error["type"] == "UNKNOWN"

    restart_allowed.set()
    assert wait_for(lambda: query_state(engine) == ("RUNNING", {"RUNNING": 1}), "the query RUNNING again")
    events.produce(1000, start=3000)
    assert_exact_counts(bootstrap_servers, sink, events)
    assert [e["errorMessage"] for e in query_errors(engine)] == [error["errorMessage"]]  # the last error stays


def test_a_query_failing_again_and_again_keeps_its_last_ten_errors(
    engine: Engine,
    admin: AdminClient,
    bootstrap_servers: str,
    running_platform: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine.runtime.retry_backoff_initial = engine.runtime.retry_backoff_max = 0.01
    failures: list[int] = []

    def read_source_failing(self: RunningQuery, *args: Any) -> Any:
        failures.append(len(failures) + 1)
        raise RuntimeError(f"injected failure {len(failures)}")

    monkeypatch.setattr(RunningQuery, "_read_source", read_source_failing)
    count_stations(engine, admin, bootstrap_servers, running_platform.endpoints.schema_registry_url)

    wait_for(lambda: len(failures) >= 12, "twelve failures")
    errors = [e["errorMessage"] for e in query_errors(engine)]
    assert len(errors) == 10
    numbers = [int(text.rsplit(" ", 1)[1]) for text in errors]
    assert numbers == list(range(numbers[0], numbers[0] + 10)) and numbers[0] > 1  # the latest ten, in order


def test_a_failed_querys_restarts_back_off_exponentially_up_to_the_maximum() -> None:
    assert [restart_delay(n, 1.0, 60.0) for n in range(1, 9)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert [restart_delay(n, 15.0, 900.0) for n in range(1, 9)] == [15, 30, 60, 120, 240, 480, 900, 900]
    assert restart_delay(10_000, 1.0, 60.0) == 60.0  # no overflow after a long run of failures
