"""Push and pull queries: a SELECT that streams rows to one client and then goes away.

A push query (``EMIT CHANGES``) reads its source from the end (or the beginning, with
``auto.offset.reset=earliest``) and sends a row for every record that passes, or for every change
of a group when it aggregates, until its LIMIT or until the client leaves. A pull query reads the
source's topic up to where it ends now: every row of a stream, the latest row per key of a table.

Queries read partitions directly (no consumer group), so the first row arrives without waiting for
a group to form. Each runs on its own thread and hands rows to ``emit``, which blocks while the
client is behind (``http.py`` holds a few hundred rows for it): a query reads at its client's pace.
A push query that aggregates runs the persistent queries' processor (``processor.py``), one row per
batch; :meth:`TransientQuery.run` reads Kafka unless given the records (the test driver's).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

from clients.kafka import client_config, consume_ready
from stack.ksql.formats import RecordError
from stack.ksql.persistent import Runtime
from stack.ksql.plan import QueryPlan, group_key_text, reader_for
from stack.ksql.processor import Deleted, Processor, Record
from stack.ksql.statements import StatementError

log = logging.getLogger("ksql.transient")

Emit = Callable[[Any], None]
PREFETCH_KBYTES = 4096


def query_id(source: str) -> str:
    return f"transient_{source}_{secrets.randbelow(10**19)}"


def check_pull(plan: QueryPlan) -> None:
    if plan.is_aggregate:
        raise StatementError(
            "Pull queries don't support GROUP BY clauses. See https://cnfl.io/queries for more info.\n"
            "Add EMIT CHANGES if you intended to issue a push query."
        )


@dataclass(frozen=True)
class Tombstone:
    """A row deleted from a table, as ksqlDB's /query sends it: the key columns, every other column null."""

    values: list[Any]


@dataclass(frozen=True)
class SourceRow:
    """A readable source record: its key bytes, its key columns, its row (None for a null value), its timestamp."""

    key: bytes | None
    keys: dict[str, Any]
    row: dict[str, Any] | None
    timestamp: int


class TransientQuery:
    """One running push or pull query; :meth:`run` blocks (call it on a worker thread).

    ``tombstones``: whether a push query over a table sends deleted rows (/query does, /query-stream not).
    """

    def __init__(
        self, plan: QueryPlan, runtime: Runtime, push: bool, offset_reset: str = "latest", tombstones: bool = False
    ) -> None:
        self.plan = plan
        self.runtime = runtime
        self.push = push
        self.offset_reset = offset_reset
        self.tombstones = tombstones
        self.id = query_id(plan.source.name)
        self.stopping = threading.Event()
        self.reader = reader_for(plan.source, runtime.registry)
        self.skipped = 0
        self.limit_reached = False

    def stop(self) -> None:
        self.stopping.set()

    def run(self, emit: Emit, records: Iterable[Record] | None = None) -> None:
        """Emits the query's rows (as lists in the header's column order) until done or stopped.

        It reads its source topic, or ``records`` when given (the test driver's, without Kafka).
        """
        columns = [c.name for c in self.plan.output.columns]
        keys = {c.name for c in self.plan.output.key}
        limit = self.plan.limit
        if limit == 0:  # ksqlDB ends a LIMIT 0 at once, without reading anything
            self.limit_reached = True
            return
        for sent, row in enumerate(self.rows(self._records() if records is None else records), start=1):
            if isinstance(row, Deleted):
                emit(Tombstone([row.keys.get(name) if name in keys else None for name in columns]))
            else:
                emit([row.get(name) for name in columns])
            if limit is not None and sent >= limit:
                self.limit_reached = True
                return

    def _table_changes(self, records: Iterator[SourceRow]) -> Iterator[Any]:
        """A push query's rows over a table; a deleted row, or one WHERE now drops, as a tombstone
        (when the query sends them) if the query had sent that key's row."""
        sent: set[bytes | None] = set()
        for record in records:
            if record.row is not None and self.plan.accepts(record.row):
                sent.add(record.key)
                yield self.plan.project(record.row)
            elif record.key in sent:
                sent.discard(record.key)
                if self.tombstones:
                    yield Deleted(self.plan.project_key(record.keys))

    def _aggregated(self, records: Iterator[SourceRow]) -> Iterator[Any]:
        """Each change of a group, as the persistent query's processor makes them; a group HAVING drops
        is sent as a tombstone (when the query sends them) if it was sent before."""
        processor = Processor(self.plan, self.reader)
        for record in records:
            for change in processor.aggregate(record.key, record.row, record.timestamp):
                if not isinstance(change, Deleted) or self.tombstones:
                    yield change

    def _latest_per_key(self, records: Iterator[SourceRow]) -> Iterator[dict[str, Any]]:
        """A table's current rows: later records replace earlier ones with the same key, tombstones delete.

        A windowed table has a row per key and window.
        """
        key_names = [c.name for c in self.plan.source.schema.key] + (
            ["WINDOWSTART"] if self.plan.source.window is not None else []
        )
        latest: dict[str, dict[str, Any]] = {}
        for record in records:
            key = group_key_text([record.keys.get(name) for name in key_names])
            if record.row is None:
                latest.pop(key, None)
            else:
                latest[key] = record.row
        for row in latest.values():
            if self.plan.accepts(row):
                yield self.plan.project(row)

    def rows(self, records: Iterable[Record]) -> Iterator[Any]:
        """The query's rows (dicts, or Deleted) for these source records; ``run`` reads them from Kafka."""
        plan = self.plan
        readable = self._readable(records)
        if plan.is_aggregate:
            yield from self._aggregated(readable)
        elif not self.push and plan.source.kind == "TABLE" and plan.source.schema.key:
            yield from self._latest_per_key(readable)
        elif plan.source.kind == "TABLE":
            yield from self._table_changes(readable)
        else:
            for record in readable:
                if record.row is not None and plan.accepts(record.row):
                    yield plan.project(record.row)

    def _readable(self, records: Iterable[Record]) -> Iterator[SourceRow]:
        """The records as rows, unreadable ones skipped."""
        for record in records:
            try:
                row = self.reader.row(record.key, record.value, record.timestamp, record.partition, record.offset)
                keys = row if row is not None else self.reader.key.decode(record.key) or {}
            except RecordError as error:
                self.skipped += 1
                log.debug("Query %s skipped an unreadable record: %s", self.id, error)
                continue
            yield SourceRow(record.key, keys, row, record.timestamp if row is None else row["ROWTIME"])

    def _records(self) -> Iterator[Record]:
        """The source's records: from the start or the end (push), or up to the current end (pull)."""
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
                        yield Record(
                            message.key(),
                            message.value(),
                            message.timestamp()[1],
                            message.partition(),
                            message.offset(),
                        )
                    elif error.code() == KafkaError._PARTITION_EOF:
                        open_partitions.discard(message.partition())
                    else:
                        log.warning("Query %s: %s", self.id, error.str())
        finally:
            consumer.close()
