"""The command topic: every statement that changes the metastore, in order, for every server of a cluster.

ksqlDB keeps its streams, tables and queries as a log of statements in
``_confluent-ksql-<service id>_command_topic`` (one partition, kept forever). A server that
accepts CREATE / DROP / TERMINATE writes it there and answers only once its own runner has read and
applied it, exactly as every other server of the same service id applies it. A server that starts
replays the topic from the beginning before it answers, so it knows everything the cluster knows.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from clients.kafka import client_config, create_topic

log = logging.getLogger("ksql.commands")

Apply = Callable[[dict[str, Any], int], Any]
"""Applies one command (its JSON and its offset) and returns the result for the server that issued it."""


def command_topic(service_id: str) -> str:
    return f"_confluent-ksql-{service_id}_command_topic"


class CommandStore:
    """Writes commands and runs the thread that applies them in topic order."""

    def __init__(self, bootstrap_servers: str, service_id: str, apply: Apply) -> None:
        self.topic = command_topic(service_id)
        self.bootstrap_servers = bootstrap_servers
        self._apply = apply
        self._producer = Producer(client_config(bootstrap_servers, **{"enable.idempotence": True, "acks": "all"}))
        self._waiting: dict[str, Future[tuple[int, Any]]] = {}
        self._lock = threading.Lock()
        self._applied_changed = threading.Condition()
        self._stopping = threading.Event()
        self._caught_up = threading.Event()
        self._thread = threading.Thread(target=self._run, name="command-runner", daemon=True)
        self.applied = -1

    def start(self, timeout: float = 60.0) -> int:
        """Creates the topic if needed, replays it to its end and keeps following it; returns commands replayed."""
        admin = AdminClient(client_config(self.bootstrap_servers))
        create_topic(
            admin, self.topic, 1, {"cleanup.policy": "delete", "retention.ms": "-1", "min.insync.replicas": "1"}
        )
        self._end = self._end_offset(admin)
        self._thread.start()
        if not self._caught_up.wait(timeout):
            raise TimeoutError(f"the command topic {self.topic} could not be read within {timeout:.0f} s")
        return self.applied + 1

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self._producer.flush(10)

    def execute(self, command: dict[str, Any], timeout: float) -> tuple[int, Any]:
        """Writes a command and waits until the runner has applied it here: (its offset, the result).

        Raises TimeoutError after ``timeout`` seconds; the command is no longer waited for then, so
        that commands which never come back (a write that failed) leave nothing behind.
        """
        command_id = uuid.uuid4().hex
        future: Future[tuple[int, Any]] = Future()
        with self._lock:
            self._waiting[command_id] = future
        try:
            self._producer.produce(self.topic, key=command_id.encode(), value=json.dumps(command).encode())
            self._producer.flush(30)
            return future.result(timeout)
        finally:
            with self._lock:
                self._waiting.pop(command_id, None)

    def wait_applied(self, offset: int, timeout: float) -> bool:
        """Waits until the command at ``offset`` has been applied here (a client's commandSequenceNumber)."""
        with self._applied_changed:
            return self._applied_changed.wait_for(lambda: self.applied >= offset, timeout)

    def _end_offset(self, admin: AdminClient) -> int:
        """The topic's end, asked of its leader by the client that has just seen the topic usable.

        A new consumer's metadata may not know a topic created a moment ago ("Unknown partition").
        """
        partition = TopicPartition(self.topic, 0)
        return admin.list_offsets({partition: OffsetSpec.latest()}, request_timeout=30)[partition].result(60).offset

    def _run(self) -> None:
        consumer = Consumer(
            client_config(
                self.bootstrap_servers,
                **{
                    "group.id": f"ksql-command-runner-{uuid.uuid4().hex}",
                    "enable.auto.commit": False,
                    "fetch.wait.max.ms": 20,
                },
            )
        )
        consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        if self._end == 0:
            self._caught_up.set()
        try:
            while not self._stopping.is_set():
                self._producer.poll(0)  # serves the producer's log lines, which would queue up between commands
                message = consumer.poll(0.1)
                if message is None:
                    continue
                if message.error() is not None:
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        log.warning("Reading the command topic: %s", message.error().str())
                    continue
                self._handle(message.key().decode() if message.key() else "", message.value(), message.offset())
                if message.offset() + 1 >= self._end:
                    self._caught_up.set()
        finally:
            consumer.close()

    def _handle(self, command_id: str, value: bytes, offset: int) -> None:
        try:
            result: Any = self._apply(json.loads(value), offset)
        except Exception as error:  # a command that fails here fails on every server: report it, keep going
            result = error
            log.warning("Command %d was not applied: %s", offset, error)
        with self._applied_changed:
            self.applied = offset
            self._applied_changed.notify_all()
        with self._lock:
            future = self._waiting.pop(command_id, None)
        if future is not None:
            future.set_result((offset, result))
