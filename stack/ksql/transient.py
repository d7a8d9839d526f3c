"""Push and pull queries: a SELECT that streams rows to one client and then goes away.

A push query (``EMIT CHANGES``) reads its source from the end (or the beginning, with
``auto.offset.reset=earliest``) and sends a row for every record that passes, or for every change
of a group when it aggregates, until its LIMIT or until the client leaves. A pull query reads the
source's topic up to where it ends now: every row of a stream, the latest row per key of a table.

Queries read partitions directly (no consumer group), so the first row arrives without waiting for
a group to form. Each runs on its own thread and hands rows to ``emit``, which blocks while the
client is behind (``http.py`` holds a few hundred rows for it): a query reads at its client's pace.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, Message, TopicPartition

from stack.common.kafka import client_config, consume_ready
from stack.ksql.formats import RecordError
from stack.ksql.persistent import Runtime
from stack.ksql.plan import QueryPlan, group_key_text, reader_for
from stack.ksql.statements import StatementError

log = logging.getLogger("ksql.transient")

Emit = Callable[[list[Any]], None]
PREFETCH_KBYTES = 4096


def query_id(source: str) -> str:
    return f"transient_{source}_{secrets.randbelow(10**19)}"


def check_pull(plan: QueryPlan) -> None:
    if plan.is_aggregate:
        raise StatementError(
            "Pull queries don't support GROUP BY clauses. See https://cnfl.io/queries for more info.\n"
            "Add EMIT CHANGES if you intended to issue a push query."
        )


class TransientQuery:
    """One running push or pull query; :meth:`run` blocks (call it on a worker thread)."""

    def __init__(self, plan: QueryPlan, runtime: Runtime, push: bool, offset_reset: str = "latest") -> None:
        self.plan = plan
        self.runtime = runtime
        self.push = push
        self.offset_reset = offset_reset
        self.id = query_id(plan.source.name)
        self.stopping = threading.Event()
        self.reader = reader_for(plan.source, runtime.registry)
        self.skipped = 0
        self.limit_reached = False

    def stop(self) -> None:
        self.stopping.set()

    def run(self, emit: Emit) -> None:
        """Emits the query's rows (as lists in the header's column order) until done or stopped."""
        columns = [c.name for c in self.plan.output.columns]
        limit = self.plan.limit
        for sent, row in enumerate(self._rows(), start=1):
            emit([row.get(name) for name in columns])
            if limit is not None and sent >= limit:
                self.limit_reached = True
                return

    def _rows(self) -> Iterator[dict[str, Any]]:
        plan = self.plan
        records = self._records()
        if plan.is_aggregate:
            yield from self._aggregated(records)
        elif not self.push and plan.source.kind == "TABLE" and plan.source.schema.key:
            yield from self._latest_per_key(records)
        else:
            for row in records:
                if row is not None and plan.accepts(row):
                    yield plan.project(row)

    def _aggregated(self, records: Iterator[dict[str, Any] | None]) -> Iterator[dict[str, Any]]:
        plan = self.plan
        groups: dict[str, tuple[list[Any], list[Any]]] = {}
        for row in records:
            if row is None or not plan.accepts(row):
                continue
            group = plan.group_key(row)
            key = group_key_text(group)
            states = groups[key][1] if key in groups else [a.initial() for a in plan.aggregates]
            states = [a.add(s, row) for a, s in zip(plan.aggregates, states, strict=True)]
            groups[key] = (group, states)
            output = plan.output_row(group, states)
            if output is not None:
                yield output

    def _latest_per_key(self, records: Iterator[dict[str, Any] | None]) -> Iterator[dict[str, Any]]:
        """A table's current rows: later records replace earlier ones with the same key, tombstones delete."""
        key_names = [c.name for c in self.plan.source.schema.key]
        latest: dict[str, dict[str, Any]] = {}
        for row in records:
            if row is None:
                continue
            key = group_key_text([row.get(name) for name in key_names])
            if row.get("__tombstone__"):
                latest.pop(key, None)
            else:
                latest[key] = row
        for row in latest.values():
            if self.plan.accepts(row):
                yield self.plan.project(row)

    def _records(self) -> Iterator[dict[str, Any] | None]:
        """The source's records as rows: from the start or the end (push), or up to the current end (pull)."""
        for message in self._messages():
            try:
                row = self.reader.row(
                    message.key(), message.value(), message.timestamp()[1], message.partition(), message.offset()
                )
            except RecordError as error:
                self.skipped += 1
                log.debug("Query %s skipped an unreadable record: %s", self.id, error)
                continue
            if row is None and message.value() is None and not self.push:
                keys = self.reader.key.decode(message.key()) or {}
                yield {**keys, "__tombstone__": True}
                continue
            yield row

    def _messages(self) -> Iterator[Message]:
        topic = self.plan.source.topic
        consumer = Consumer(
            client_config(
                self.runtime.bootstrap_servers,
                **{
                    "group.id": self.id,
                    "enable.auto.commit": False,
                    "isolation.level": "read_committed",
                    "enable.partition.eof": not self.push,
                    "fetch.wait.max.ms": 10,
                    "fetch.min.bytes": 1,
                    # Every SELECT has its own consumer, read at its client's pace: librdkafka's default
                    # of 64 MB fetched ahead would let each slow client hold that much.
                    "queued.max.messages.kbytes": PREFETCH_KBYTES,
                },
            )
        )
        try:
            metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
            partitions = sorted(metadata.partitions) if metadata is not None and metadata.error is None else []
            start = OFFSET_BEGINNING if (not self.push or self.offset_reset == "earliest") else OFFSET_END
            consumer.assign([TopicPartition(topic, p, start) for p in partitions])
            open_partitions = set(partitions)
            while not self.stopping.is_set() and (self.push or open_partitions):
                for message in consume_ready(consumer, 500, 0.05):
                    error = message.error()
                    if error is None:
                        yield message
                    elif error.code() == KafkaError._PARTITION_EOF:
                        open_partitions.discard(message.partition())
                    else:
                        log.warning("Query %s: %s", self.id, error.str())
        finally:
            consumer.close()
