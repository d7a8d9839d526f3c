"""A persistent query (CREATE STREAM/TABLE AS SELECT) running inside the server, exactly once.

Each query is a thread with its own consumer group (``_confluent-ksql-<service>query_<id>``) and a
transactional producer. Every consumed batch ends in one Kafka transaction holding the batch's
output records, its changelog records and its consumer offsets (``exactly_once_v2``): after a
crash the query resumes from the last committed batch, and nothing is missed or counted twice.

Aggregations work like Kafka Streams' do, in two steps inside the same consumer group:
  1. records of the source topic are filtered, grouped and pre-aggregated per batch, and each
     group's partial result goes to the repartition topic, partitioned by the group's key, so that
     one partition owns a group whatever source partition its events came from;
  2. records of the repartition topic are merged into the state of their partition, which is
     written to a compacted changelog topic (same partition) and, as the table's row, to the sink.
What a batch writes and which state it changes is decided by the query's :class:`Processor`
(``processor.py``, no Kafka); this module reads the batches, writes the outputs and owns the
transactions, the rebalances and the restarts.
When a server gains a repartition partition (at start, or when another server of the cluster
goes away) it restores that partition's state from the changelog before processing it.

A batch's in-memory state changes are applied only once its commit is known to have succeeded:
  - an error before the commit, or an abortable one from it, aborts the transaction and rewinds the
    consumer to the last committed offsets (the batch is read again; its state was never applied);
  - any other commit error leaves the outcome unknown (a timeout after the coordinator may have
    committed, a fatal producer error). The commit is tried again while librdkafka calls the error
    retriable; if the outcome stays unknown, a new producer with the same ``transactional.id``
    settles it (``init_transactions`` fences the old producer, whose transaction the coordinator
    then completes or aborts), the state of the assigned partitions is read back from the
    changelog and the consumer goes back to the committed offsets.
    Either way state, output and offsets agree again, whichever way the commit went.

An unexpected error (a bug, a client that cannot be created) does not end the query: its thread
closes its clients, reports the query as ERROR (SHOW QUERIES; the last errors in SHOW QUERIES
EXTENDED) and starts it again after an exponential backoff (``ksql.query.retry.backoff.initial.ms``
doubling up to ``ksql.query.retry.backoff.max.ms``, as ksqlDB names them). The restarted query
resumes from the committed offsets and changelog, and is RUNNING again; a committed batch resets
the backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from clients.kafka import client_config, consume_ready, error_text, read_to_end
from stack.ksql.formats import Registry, RegistryUnavailable, serde
from stack.ksql.metastore import Source
from stack.ksql.plan import QueryPlan, key_serde, reader_for
from stack.ksql.processor import CHANGELOG, REPARTITION, SINK, TABLE_CHANGELOG, Processor, Record, Step

log = logging.getLogger("ksql.query")

BATCH = 2000
POLL_TIMEOUT = 0.1
TRANSACTION_TIMEOUT_MS = 10_000  # how long a killed server's open transaction can hold readers back
COMMIT_TIMEOUT = 60.0
COMMIT_ATTEMPTS = 3  # a commit librdkafka calls retriable is tried this often before its outcome counts as unknown
LOG_EVERY_SKIPPED = 1000
MAX_QUERY_ERRORS = 10  # ksqlDB's ksql.query.error.max.queue.size: the errors a query keeps for SHOW QUERIES EXTENDED


@dataclass
class Runtime:
    """What every query of this server shares."""

    bootstrap_servers: str
    service_id: str
    instance_id: str
    registry: Registry
    retry_backoff_initial: float = 1.0  # seconds before a failed query's first restart
    retry_backoff_max: float = 60.0  # the longest wait between restarts

    def application_id(self, query_id: str) -> str:
        return f"_confluent-ksql-{self.service_id}query_{query_id}"


@dataclass
class QueryStats:
    processed: int = 0
    skipped: int = 0
    started: float = field(default_factory=time.time)


@dataclass(frozen=True)
class QueryError:
    """One error that stopped a query, as ksqlDB's ``queryErrors`` show it."""

    timestamp: int  # ms since the epoch
    message: str
    kind: str  # SYSTEM (Kafka failed us), UNKNOWN (anything else)

    def entity(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "errorMessage": self.message, "type": self.kind}


class UnknownCommitOutcome(Exception):
    """The coordinator may or may not have committed the batch's transaction."""


def restart_delay(failures: int, initial: float, longest: float) -> float:
    """Seconds before a failed query starts again: ``initial``, doubled for each failure in a row, up to ``longest``."""
    return min(longest, initial * 2 ** min(failures - 1, 62))


def internal_topics(runtime: Runtime, query_id: str) -> tuple[str, str]:
    """The repartition and changelog topics of an aggregation, named as ksqlDB names them."""
    app = runtime.application_id(query_id)
    return f"{app}-Aggregate-GroupBy-repartition", f"{app}-Aggregate-Aggregate-Materialize-changelog"


def table_changelog(runtime: Runtime, query_id: str) -> str:
    """The compacted topic keeping the rows of an aggregated TABLE (partitioned as its topic), named as ksqlDB's."""
    return f"{runtime.application_id(query_id)}-KsqlTopic-Reduce-changelog"


class RunningQuery(threading.Thread):
    """Runs one CSAS/CTAS until :meth:`stop`; what the metastore keeps of the query is its ``QueryRecord``."""

    def __init__(self, query_id: str, plan: QueryPlan, sink: Source, runtime: Runtime, offset_reset: str) -> None:
        super().__init__(name=f"query-{query_id}", daemon=True)
        self.query_id = query_id
        self.plan = plan
        self.sink = sink
        self.runtime = runtime
        self.offset_reset = offset_reset
        self.stats = QueryStats()
        self.app_id = runtime.application_id(query_id)
        self.repartition, self.changelog = internal_topics(runtime, query_id)
        self.table_changelog = table_changelog(runtime, query_id)
        self.processor = Processor(
            plan,
            reader_for(plan.source, runtime.registry),
            key_serde(sink, runtime.registry),
            serde(
                sink.value_format,
                sink.schema.value,
                runtime.registry,
                sink.topic,
                is_key=False,
                wrap_single=sink.wrap_single_value,
            ),
            plan.source.partitions,
        )
        self.topics = {
            SINK: sink.topic,
            REPARTITION: self.repartition,
            CHANGELOG: self.changelog,
            TABLE_CHANGELOG: self.table_changelog,
        }
        self.status = "RUNNING"  # what SHOW QUERIES reports: ERROR from a failure until the restart after it
        self.errors: deque[QueryError] = deque(maxlen=MAX_QUERY_ERRORS)
        self._failures = 0  # failures since the last committed batch: the next restart's backoff
        self._stopping = threading.Event()
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Runs the query until :meth:`stop`, starting it again after a backoff whenever it fails."""
        while not self._stopping.is_set():
            try:
                self._run()
                return
            except Exception as error:  # the query's thread must not die: report, wait, start again
                delay = self._failed(error)
            finally:
                self._close_clients()
            self._stopping.wait(delay)

    def _failed(self, error: Exception) -> float:
        """Records an error that stopped the query; returns how long to wait before the restart."""
        kind = "SYSTEM" if isinstance(error, KafkaException) else "UNKNOWN"
        text = error_text(error) if isinstance(error, KafkaException) else f"{type(error).__name__}: {error}"
        self.errors.append(QueryError(int(time.time() * 1000), text, kind))
        self.status = "ERROR"
        self._failures += 1
        delay = restart_delay(self._failures, self.runtime.retry_backoff_initial, self.runtime.retry_backoff_max)
        log.exception("Query %s failed (%s); restarting it in %.1f s.", self.query_id, text, delay)
        return delay

    def _close_clients(self) -> None:
        """Closes the consumer and the producer (which aborts a transaction left open)."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except (KafkaException, RuntimeError) as error:
                log.warning("Query %s: closing its consumer failed: %s", self.query_id, error)
        producer, self._producer = self._producer, None
        if producer is not None:
            self._close_producer(producer)

    def _close_producer(self, producer: Producer) -> None:
        """Closes a producer: aborts its open transaction, flushes, frees its threads and connections.

        A fenced producer cannot abort and says so, but is closed all the same.
        """
        try:
            producer.close()
        except KafkaException as error:
            fenced = (kafka_error := _kafka_error(error)) is not None and kafka_error.code() == KafkaError._FENCED
            log.log(
                logging.DEBUG if fenced else logging.WARNING,
                "Query %s closed a producer: %s",
                self.query_id,
                error_text(error),
            )
        except RuntimeError as error:  # closed already
            log.debug("Query %s: %s", self.query_id, error)

    def _run(self) -> None:
        self.processor.clear()  # a restart reads its state back from the changelogs as partitions are assigned
        self._producer = self._new_producer()
        consumer = self._consumer = Consumer(
            client_config(
                self.runtime.bootstrap_servers,
                **{
                    "group.id": self.app_id,
                    # Static membership: a restarted server takes its partitions back at once instead of
                    # waiting for the group to notice, after session.timeout.ms, that its old self is gone.
                    "group.instance.id": f"{self.app_id}-{self.runtime.instance_id}",
                    "enable.auto.commit": False,
                    "isolation.level": "read_committed",
                    "auto.offset.reset": self.offset_reset,
                    "fetch.wait.max.ms": 50,
                    "session.timeout.ms": 10_000,
                    "heartbeat.interval.ms": 1_000,
                },
            )
        )
        topics = [self.plan.source.topic] + ([self.repartition] if self.plan.is_aggregate else [])
        consumer.subscribe(topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked)
        self.status = "RUNNING"
        log.info("Query %s is running: %s -> %s.", self.query_id, self.plan.source.topic, self.sink.topic)
        while not self._stopping.is_set():
            if self._producer is not None:
                self._producer.poll(0)  # serves its log lines even while no records come: they queue up unserved
            messages = consume_ready(consumer, BATCH, POLL_TIMEOUT)
            records = [m for m in messages if m.error() is None]
            for message in messages:
                if message.error() is not None and message.error().code() != KafkaError._PARTITION_EOF:
                    log.warning("Query %s: %s", self.query_id, message.error().str())
            if records:
                self._process_batch(records)

    def _new_producer(self) -> Producer:
        producer = Producer(
            client_config(
                self.runtime.bootstrap_servers,
                **{
                    # Stable per query and server: a restarted server fences its predecessor's open transaction.
                    "transactional.id": f"{self.app_id}-{self.runtime.instance_id}",
                    "transaction.timeout.ms": TRANSACTION_TIMEOUT_MS,
                    "partitioner": "murmur2_random",  # where Java clients (and ksqlDB) put a key
                    "linger.ms": 5,
                },
            )
        )
        producer.init_transactions(60)
        return producer

    def _replace_producer(self) -> None:
        """A new producer with the same transactional.id; its init_transactions fences the old one.

        The coordinator completes or aborts the old producer's open transaction before it answers,
        so the outcome of a commit in doubt is settled once this returns.
        """
        old = self._producer
        self._producer = self._new_producer()
        if old is not None:
            self._close_producer(old)

    # --- rebalancing ---------------------------------------------------------------------------

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gained = [p.partition for p in partitions if p.topic == self.repartition]
        rows = [p.partition for p in partitions if p.topic == self.plan.source.topic and self.plan.undoes]
        if gained or rows:
            began = time.monotonic()
            count = self._restore(gained, rows)
            log.info(
                "Query %s restored %d groups of partition(s) %s and table rows of %s from its changelogs (%.1f s).",
                self.query_id,
                count,
                gained,
                rows,
                time.monotonic() - began,
            )

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for p in partitions:
            if p.topic == self.repartition:
                self.processor.forget_groups(p.partition)
            elif p.topic == self.plan.source.topic:
                self.processor.forget_rows(p.partition)

    def _restore(self, groups: list[int], rows: list[int]) -> int:
        """Reads changelog partitions to their end (committed records only): groups into ``state``, an
        aggregated table's rows into ``table``. Returns the number of groups."""
        for p in groups:
            self.processor.reset_groups(p)
        for p in rows:
            self.processor.reset_rows(p)
        changelogs = [TopicPartition(self.changelog, p) for p in groups]
        changelogs += [TopicPartition(self.table_changelog, p) for p in rows]
        for message in read_to_end(self.runtime.bootstrap_servers, changelogs, f"{self.app_id}-restore"):
            if message.topic() == self.changelog:
                self.processor.restore_group(message.partition(), message.key(), message.value())
            else:
                self.processor.restore_row(_record(message))
        return self.processor.group_count(groups)

    # --- processing ----------------------------------------------------------------------------

    def _process_batch(self, records: list[Message]) -> None:
        producer = self._producer
        assert producer is not None and self._consumer is not None
        producer.begin_transaction()
        try:
            step = self._read_source(records)
            self._produce(step)
            positions = self._positions(records)
            producer.send_offsets_to_transaction(positions, self._consumer.consumer_group_metadata(), 30)
            self._commit()
        except UnknownCommitOutcome as error:
            self._resynchronise(str(error))
            return
        except KafkaException as error:
            self._recover(_kafka_error(error), error_text(error))
            return
        except RegistryUnavailable as error:  # not the records' fault: wait, then read them again
            log.warning("Query %s waits for the Schema Registry: %s", self.query_id, error)
            self._recover(None, str(error))
            self._stopping.wait(1.0)
            return
        self.processor.commit(step)
        self._failures = 0

    def _commit(self) -> None:
        """Commits the open transaction; raises UnknownCommitOutcome unless it surely failed or succeeded.

        An abortable error means the transaction did not commit (KafkaException, for _recover). A
        retriable one (a timeout) is tried again, as librdkafka allows: the new call reports the
        outcome of the commit already under way. Anything else leaves the outcome unknown.
        """
        assert self._producer is not None
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                self._producer.commit_transaction(COMMIT_TIMEOUT)
                return
            except KafkaException as error:
                kafka_error = _kafka_error(error)
                if kafka_error is not None and kafka_error.txn_requires_abort():
                    raise
                if kafka_error is None or not kafka_error.retriable() or attempt == COMMIT_ATTEMPTS:
                    raise UnknownCommitOutcome(error_text(error)) from error
                log.warning(
                    "Query %s: commit attempt %d failed (%s); trying again.", self.query_id, attempt, error_text(error)
                )

    def _read_source(self, records: list[Message]) -> Step:
        """The batch through the query's processor: what to write, and the state it leaves."""
        repartition = self.repartition
        step = self.processor.process([_record(m, m.topic() == repartition) for m in records])
        self.stats.processed += step.processed
        for record, error in step.skipped:
            self._skip(record, error)
        for error in step.unwritable:
            self.stats.skipped += 1
            log.warning("Query %s could not write a row to %s: %s", self.query_id, self.sink.topic, error)
        return step

    def _produce(self, step: Step) -> None:
        """The batch's outputs, into its transaction."""
        assert self._producer is not None
        for output in step.outputs:
            topic = self.topics[output.topic]
            extra: dict[str, Any] = {}
            if output.partition is not None:
                extra["partition"] = output.partition
            if output.timestamp is not None:
                extra["timestamp"] = output.timestamp
            self._producer.produce(topic, key=output.key, value=output.value, **extra)
            if output.topic == SINK:
                self._producer.poll(0)

    def _skip(self, record: Record, error: Exception) -> None:
        self.stats.skipped += 1
        if self.stats.skipped % LOG_EVERY_SKIPPED == 1:
            log.warning(
                "Query %s skipped an unreadable record of %s [%d] at offset %d (%d skipped so far): %s",
                self.query_id,
                self.repartition if record.repartitioned else self.plan.source.topic,
                record.partition,
                record.offset,
                self.stats.skipped,
                error,
            )

    @staticmethod
    def _positions(records: list[Message]) -> list[TopicPartition]:
        last: dict[tuple[str, int], int] = {}
        for message in records:
            last[(message.topic(), message.partition())] = message.offset()
        return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]

    def _recover(self, kafka_error: KafkaError | None, reason: str) -> None:
        """A batch that did not commit: abort its transaction, go back to the last committed offsets, forget it."""
        log.warning("Query %s: a batch failed (%s); retrying from the last commit.", self.query_id, reason)
        assert self._producer is not None and self._consumer is not None
        if kafka_error is not None and kafka_error.fatal():
            self._replace_producer()
        else:
            try:
                self._producer.abort_transaction(30)
            except KafkaException as abort_error:
                log.warning(
                    "Query %s: abort failed (%s); starting a new producer.", self.query_id, error_text(abort_error)
                )
                self._replace_producer()
        self._rewind()

    def _resynchronise(self, reason: str) -> None:
        """A commit in doubt: settle it, then take state and positions from what Kafka holds."""
        log.warning(
            "Query %s: the outcome of a commit is unknown (%s); fencing it and restoring from the changelog.",
            self.query_id,
            reason,
        )
        assert self._consumer is not None
        self._replace_producer()
        assignment = self._consumer.assignment()
        owned = sorted(tp.partition for tp in assignment if tp.topic == self.repartition)
        rows = sorted(tp.partition for tp in assignment if tp.topic == self.plan.source.topic and self.plan.undoes)
        if owned or rows:
            count = self._restore(owned, rows)
            log.info("Query %s restored %d groups of partition(s) %s.", self.query_id, count, owned)
        self._rewind()

    def _rewind(self) -> None:
        """Seeks every assigned partition back to its committed offset (read_committed: stable ones only)."""
        assert self._consumer is not None
        assignment = self._consumer.assignment()
        if not assignment:
            return
        committed = self._consumer.committed(assignment, 30)
        reset = OFFSET_BEGINNING if self.offset_reset == "earliest" else OFFSET_END
        for tp in committed:
            self._consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else reset))


def _record(message: Message, repartitioned: bool = False) -> Record:
    return Record(
        message.key(), message.value(), message.timestamp()[1], message.partition(), message.offset(), repartitioned
    )


def _kafka_error(error: KafkaException) -> KafkaError | None:
    inner = error.args[0] if error.args else None
    return inner if isinstance(inner, KafkaError) else None
