"""A Kafka-free test driver: statements and input records in, output records out, as ksqlDB's QTT runs them.

ksqlDB's query validation tests (``ksqldb-functional-tests``) give each case its statements, the
records piped into its source topics and the records expected in its sinks. :class:`Driver` does
the same with the server's own code: the statement checks (``checks.py``), the plans, and the one
record processor (``processor.py``) that persistent and push queries run. Only Kafka is left out:
topics are lists, a CSAS/CTAS processes each :meth:`Driver.pipe` call as one batch and feeds its
repartition records straight back, committing as a committed transaction would.

Formats that need no Schema Registry (KAFKA, JSON, DELIMITED, NONE) work; AVRO needs a registry
(``Driver(registry=...)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from stack.ksql.checks import (
    check_name_free,
    declared_source,
    dropped_source,
    planned_sink,
    source_topic,
    terminated_queries,
)
from stack.ksql.formats import Registry, serde
from stack.ksql.metastore import Metastore, QueryRecord, Source
from stack.ksql.parser import parse
from stack.ksql.persistent import Runtime
from stack.ksql.plan import QueryPlan, key_serde, plan_query, reader_for
from stack.ksql.processor import REPARTITION, SINK, Processor, Record
from stack.ksql.statements import CreateAsSelect, CreateSource, Drop, Query, StatementError, Terminate
from stack.ksql.transient import Tombstone, TransientQuery, check_pull

# No statement the driver runs reaches a registry unless it is AVRO: this one answers nothing.
NO_REGISTRY_URL = "http://localhost:1"


@dataclass(frozen=True)
class Written:
    """A record in one of the driver's topics."""

    key: bytes | None
    value: bytes | None
    timestamp: int
    partition: int = 0

    def text(self) -> tuple[str | None, Any, int]:
        """(key as text, value as JSON, timestamp): how most QTT cases spell their expected outputs."""
        key = None if self.key is None else self.key.decode("utf-8", errors="replace")
        value = None if self.value is None else json.loads(self.value)
        return key, value, self.timestamp


@dataclass
class _Query:
    id: str
    plan: QueryPlan
    sink: Source
    processor: Processor


@dataclass
class Driver:
    """Runs CREATE STREAM/TABLE, CSAS/CTAS, DROP, TERMINATE and SELECT statements over in-memory topics.

    ``commands`` counts the statements run, as the server's command topic does: a query's id ends in
    the offset of its statement there (``CSAS_NAME_3``).
    """

    registry: Registry = field(default_factory=lambda: Registry(NO_REGISTRY_URL))
    default_partitions: int = 1
    metastore: Metastore = field(default_factory=Metastore)
    topics: dict[str, list[Written]] = field(default_factory=dict)
    queries: list[_Query] = field(default_factory=list)
    commands: int = 0

    def execute(self, sql: str) -> None:
        """Runs CREATE, CREATE ... AS SELECT, DROP and TERMINATE statements; StatementError as the server
        would answer."""
        for statement in parse(sql):
            if isinstance(statement, CreateSource):
                check_name_free(self.metastore, statement.kind, statement.name, statement.or_replace)
                topic = source_topic(statement)
                partitions = int(statement.properties.get("PARTITIONS", self.default_partitions))
                self.topics.setdefault(topic, [])
                source = declared_source(statement, partitions, 1, self.registry)
                self.metastore.sources[source.name] = source
            elif isinstance(statement, CreateAsSelect):
                self._create_as_select(statement)
            elif isinstance(statement, Drop):
                self._drop(statement)
            elif isinstance(statement, Terminate):
                self._terminate(terminated_queries(self.metastore, statement))
            else:
                raise StatementError(f"The test driver does not run {type(statement).__name__} statements.")
            self.commands += 1

    def _create_as_select(self, statement: CreateAsSelect) -> None:
        check_name_free(self.metastore, statement.kind, statement.name, statement.or_replace)
        plan, sink = planned_sink(self.metastore, statement, self.registry)
        self._terminate([q.id for q in self.metastore.writers_of(sink.name)])  # CREATE OR REPLACE
        sink.writer = f"{'CTAS' if sink.kind == 'TABLE' else 'CSAS'}_{sink.name}_{self.commands}"
        self.metastore.sources[sink.name] = sink
        self.metastore.queries[sink.writer] = QueryRecord(
            sink.writer, statement.text, sink.name, sink.topic, (plan.source.name,)
        )
        self.topics.setdefault(sink.topic, [])
        sink_key = key_serde(sink, self.registry)
        sink_value = serde(
            sink.value_format, sink.schema.value, self.registry, sink.topic, False, sink.wrap_single_value
        )
        reader = reader_for(plan.source, self.registry)
        processor = Processor(plan, reader, sink_key, sink_value, plan.source.partitions)
        self.queries.append(_Query(sink.writer, plan, sink, processor))

    def _drop(self, statement: Drop) -> None:
        """As the server drops: the query writing the source stops with it; DELETE TOPIC empties its topic."""
        source = dropped_source(self.metastore, statement)
        if source is None:
            return
        self._terminate([q.id for q in self.metastore.writers_of(source.name)])
        del self.metastore.sources[source.name]
        if statement.delete_topic:
            self.topics.pop(source.topic, None)

    def _terminate(self, query_ids: list[str]) -> None:
        for query_id in query_ids:
            self.metastore.queries.pop(query_id, None)
        self.queries = [q for q in self.queries if q.id not in query_ids]

    def pipe(self, topic: str, *records: tuple[Any, Any, int] | tuple[Any, Any, int, int]) -> None:
        """Writes records (key, value, timestamp[, partition]) to a topic; each query reading it processes
        them as one batch. Keys and values: bytes, text, None, or (values) a dict written as JSON."""
        written = [Written(_bytes(r[0]), _bytes(r[1]), r[2], r[3] if len(r) > 3 else 0) for r in records]
        self._write(topic, written)

    def _write(self, topic: str, records: list[Written]) -> None:
        log = self.topics.setdefault(topic, [])
        first = len(log)
        log.extend(records)
        batch = [Record(w.key, w.value, w.timestamp, w.partition, first + i) for i, w in enumerate(records)]
        for query in [q for q in self.queries if q.plan.source.topic == topic]:
            self._process(query, batch)

    def _process(self, query: _Query, batch: list[Record]) -> None:
        step = query.processor.process(batch)
        query.processor.commit(step)
        sink = [Written(o.key, o.value, o.timestamp or 0) for o in step.outputs if o.topic == SINK]
        repartitioned = [
            Record(o.key, o.value, o.timestamp or 0, o.partition or 0, i, repartitioned=True)
            for i, o in enumerate(step.outputs)
            if o.topic == REPARTITION
        ]
        if sink:
            self._write(query.sink.topic, sink)
        if repartitioned:
            self._process(query, repartitioned)

    def read(self, topic: str) -> list[Written]:
        return list(self.topics.get(topic, []))

    def outputs(self, topic: str) -> list[tuple[str | None, Any, int]]:
        """A topic's records as (key text, JSON value, timestamp)."""
        return [w.text() for w in self.read(topic)]

    def select(self, sql: str, tombstones: bool = True) -> list[list[Any] | Tombstone]:
        """A push query (``EMIT CHANGES``) from the start of its source, or a pull query, over what the
        source topic holds now: the rows /query would stream, tombstones as /query sends them."""
        (statement,) = parse(sql)
        if not isinstance(statement, Query):
            raise StatementError("The test driver selects with SELECT statements only.")
        source = self.metastore.source(statement.select.source)
        if source is None:
            raise StatementError(f"{statement.select.source} does not exist.")
        plan = plan_query(statement.select, source)
        if not statement.select.emit_changes:
            check_pull(plan)
        runtime = Runtime("", "driver", "driver", self.registry)
        query = TransientQuery(plan, runtime, push=statement.select.emit_changes, tombstones=tombstones)
        records = [
            Record(w.key, w.value, w.timestamp, w.partition, i) for i, w in enumerate(self.topics.get(source.topic, []))
        ]
        rows: list[list[Any] | Tombstone] = []
        query.run(rows.append, records)
        return rows


def _bytes(data: Any) -> bytes | None:
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return json.dumps(data).encode()
